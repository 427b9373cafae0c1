#include <cstdint>
#include <vector>

#include "detect_backends.h"
#include "detect_pixels_impl.h"
#include "detect_regions_impl.h"
#include "parallel_for.h"

namespace campscope::detect {

std::vector<CandidateResult> analyse_block_cpu(const RgbBlock& block, const PixelParams& params) {
  const int w = block.width;
  const int h = block.height;
  const std::int64_t pixels = static_cast<std::int64_t>(w) * h;
  const std::int64_t integral_size = static_cast<std::int64_t>(kChannels) * (w + 1) * (h + 1);
  std::vector<std::uint32_t> integral(integral_size);
  std::vector<std::uint16_t> response(pixels);
  std::vector<std::uint8_t> is_candidate(pixels);

  parallel_for_cpu(static_cast<std::int64_t>(w + 1) * (h + 1),
                   ScatterPixels{block.rgb.data(), block.valid.data(), integral.data(), w, h});
  parallel_for_cpu(static_cast<std::int64_t>(kChannels) * (h + 1), PrefixRows{integral.data(), w, h});
  parallel_for_cpu(static_cast<std::int64_t>(kChannels) * (w + 1), PrefixColumns{integral.data(), w, h});
  parallel_for_cpu(pixels, ContrastResponse{integral.data(), response.data(), w, h, params});
  parallel_for_cpu(pixels, LocalMaxima{response.data(), is_candidate.data(), w, h, params.nms_radius,
                                       params.physical.min_contrast});

  std::vector<std::int32_t> candidates;
  for (std::int64_t i = 0; i < pixels; ++i)
    if (is_candidate[i]) candidates.push_back(static_cast<std::int32_t>(i));

  std::vector<CandidateResult> results(candidates.size());
  AnalyseCandidates analyse{block.rgb.data(), block.valid.data(), candidates.data(), results.data(), w, h, params};
#pragma omp parallel for schedule(dynamic, 64)
  for (std::int64_t i = 0; i < static_cast<std::int64_t>(candidates.size()); ++i) analyse(i);
  return results;
}

}  // namespace campscope::detect

// Backend entry points of the detector; both return one result per candidate of the contrast response in row-major
// pixel order, then the tents found by follow_tent_neighbours in the order it found them.
#pragma once
#include <algorithm>
#include <cstdint>
#include <vector>

#include "campscope/image.h"
#include "detect_impl.h"

namespace campscope::detect {

// The places found tents name (CandidateResult::neighbour_candidates) are analysed in turn, round after round until
// none is new; `analyse(candidates, out)` runs AnalyseCandidates over them on a backend. A place within the
// non-maximum radius of a candidate analysed before, or on a tent found before (within half its width of the
// tent's centre), is not analysed again. Such a place is a tent or nothing: only tents are appended to `results`.
// Each pixel is analysed at most once, so the rounds end.
template <typename Analyse>
void follow_tent_neighbours(int width, int height, const PixelParams& params, std::vector<CandidateResult>& results,
                            const Analyse& analyse) {
  if (std::none_of(results.begin(), results.end(),
                   [](const CandidateResult& r) { return r.neighbour_candidate_count > 0; }))
    return;  // no packed tents: spares the block-sized map of covered pixels
  std::vector<std::uint8_t> covered(static_cast<std::size_t>(width) * height, 0);
  const auto cover = [&](int x, int y, int r) {
    for (int yy = std::max(0, y - r); yy <= std::min(height - 1, y + r); ++yy)
      if (x + r >= 0 && x - r < width)
        std::fill_n(covered.begin() + static_cast<std::ptrdiff_t>(yy) * width + std::max(0, x - r),
                    std::min(width - 1, x + r) - std::max(0, x - r) + 1, std::uint8_t{1});
  };
  const auto cover_result = [&](const CandidateResult& result) {
    cover(result.candidate_pixel % width, result.candidate_pixel / width, params.nms_radius);
    if (result.cls == static_cast<int>(ObjectClass::Tent))
      cover(static_cast<int>(result.x), static_cast<int>(result.y),
            static_cast<int>(result.measured.width_m / (2.0 * params.gsd_m)));
  };
  for (const CandidateResult& result : results) cover_result(result);
  std::vector<std::int32_t> next;
  std::vector<CandidateResult> found;
  for (std::size_t first = 0; first < results.size();) {
    next.clear();
    for (std::size_t i = first; i < results.size(); ++i)
      for (int k = 0; k < results[i].neighbour_candidate_count; ++k) {
        const std::int32_t pixel = results[i].neighbour_candidates[k];
        if (covered[static_cast<std::size_t>(pixel)]) continue;
        cover(pixel % width, pixel / width, params.nms_radius);
        next.push_back(pixel);
      }
    first = results.size();
    if (next.empty()) break;
    found.resize(next.size());
    analyse(next, found.data());
    for (const CandidateResult& result : found)
      if (result.cls == static_cast<int>(ObjectClass::Tent)) {
        cover_result(result);
        results.push_back(result);
      }
  }
}

std::vector<CandidateResult> analyse_block_cpu(const RgbBlock& block, const PixelParams& params);
#ifdef CAMPSCOPE_WITH_CUDA
std::vector<CandidateResult> analyse_block_cuda(const RgbBlock& block, const PixelParams& params);
// The integral images of host arrays built on the device as analyse_block_cuda builds them where the boxes are too
// large for a tile, for comparison with integral_images_cpu.
std::vector<std::uint32_t> integral_images_cuda(const std::uint8_t* rgb, const std::uint8_t* valid, int width,
                                                int height);
// The contrast response of host arrays computed on the device as analyse_block_cuda computes it, for comparison
// with contrast_response_cpu.
std::vector<std::uint16_t> contrast_response_cuda(const std::uint8_t* rgb, const std::uint8_t* valid, int width,
                                                  int height, const PixelParams& params);
// Whether the current device computes the contrast response in tiles (tiled_contrast_cuda, contrast_cuda.h): a
// tile's integral images must fit in a CUDA block's shared memory, and the contrast's products be exact in double.
bool tiled_contrast_fits(const PixelParams& params);
#endif

}  // namespace campscope::detect

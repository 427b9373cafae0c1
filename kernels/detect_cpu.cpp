#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "detect_backends.h"
#include "detect_pixels_impl.h"
#include "detect_regions_impl.h"
#include "parallel_for.h"

namespace campscope::detect {
namespace {

// Kept between blocks on a thread; every element is written by a stage before it is read.
struct DetectScratch {
  ScratchBuffer<std::uint32_t> integral;
  ScratchBuffer<std::uint16_t> response;
  ScratchBuffer<std::uint8_t> is_candidate;
};

// Bands of the integral pass per thread: several, so a thread the system preempts holds back little of the work.
constexpr int kBandsPerThread = 4;

}  // namespace

void integral_images_cpu(const std::uint8_t* rgb, const std::uint8_t* valid, int width, int height,
                         std::uint32_t* integral) {
  if (height == 0) {
    zero_integral_row(width, integral);
    return;
  }
  const int wanted = kBandsPerThread * omp_get_max_threads();
  const int band_rows = std::max(1, (height + wanted - 1) / wanted);
  const std::int64_t bands = (height + band_rows - 1) / band_rows;
  const std::int64_t words = column_sum_words(width);
  std::vector<std::uint32_t> sums(static_cast<std::size_t>(bands * words));
  // The last band's sums would be nobody's start.
  parallel_for_cpu(bands - 1, ColumnSums{rgb, valid, sums.data(), width, height, band_rows});
  // Each band starts from the sums of all bands above it.
  std::vector<std::uint32_t> above(static_cast<std::size_t>(words), 0);
  for (std::int64_t b = 0; b < bands; ++b) {
    std::uint32_t* band_sums = sums.data() + b * words;
    for (std::int64_t k = 0; k < words; ++k) {
      const std::uint32_t own = band_sums[k];
      band_sums[k] = above[k];
      above[k] += own;
    }
  }
  parallel_for_cpu(IntegralBand{rgb, valid, integral, sums.data(), width, height, band_rows});
}

void contrast_response_cpu(const std::uint32_t* integral, int width, int height, const PixelParams& params,
                           std::uint16_t* response) {
  parallel_for_cpu(ContrastResponse{integral, response, width, height, params, std::max(width, 1)});
}

void local_maxima_cpu(const std::uint16_t* response, int width, int height, const PixelParams& params,
                      std::uint8_t* is_candidate) {
  parallel_for_cpu(LocalMaxima{response, is_candidate, width, height, params.nms_radius,
                               params.physical.min_contrast, std::max(width, 1)});
}

std::vector<CandidateResult> analyse_block_cpu(const RgbBlock& block, const PixelParams& params) {
  const int w = block.width;
  const int h = block.height;
  const std::int64_t pixels = static_cast<std::int64_t>(w) * h;
  thread_local DetectScratch scratch;
  std::uint32_t* integral = scratch.integral.get(integral_size(w, h));
  std::uint16_t* response = scratch.response.get(pixels);
  std::uint8_t* is_candidate = scratch.is_candidate.get(pixels);
  integral_images_cpu(block.rgb.data(), block.valid.data(), w, h, integral);
  contrast_response_cpu(integral, w, h, params, response);
  local_maxima_cpu(response, w, h, params, is_candidate);

  std::vector<std::int32_t> candidates;
  for (std::int64_t i = 0; i < pixels; ++i)
    if (is_candidate[i]) candidates.push_back(static_cast<std::int32_t>(i));

  const auto analyse = [&](const std::vector<std::int32_t>& pixels_to_analyse, CandidateResult* out) {
    parallel_for_cpu(static_cast<std::int64_t>(pixels_to_analyse.size()),
                     AnalyseCandidates{block.rgb.data(), block.valid.data(), pixels_to_analyse.data(), out, w, h,
                                       params});
  };
  std::vector<CandidateResult> results(candidates.size());
  analyse(candidates, results.data());
  follow_tent_neighbours(w, h, params, results, analyse);
  return results;
}

}  // namespace campscope::detect

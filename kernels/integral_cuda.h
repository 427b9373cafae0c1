// The detector's integral images on CUDA (defined in integral_cuda.cu, compiled only when CAMPSCOPE_WITH_CUDA is
// set): the same entries as integral_images_cpu, since both are integer sums, built as rows then columns. Only
// for boxes too large for tiled_contrast_cuda (contrast_cuda.h).
#pragma once
#include <cuda_runtime.h>

#include <cstdint>

namespace campscope::detect {

// Every integral row summed from the west: entry (x, y) becomes the masked sum of image row y - 1 over [0, x).
void integral_rows_cuda(const std::uint8_t* rgb, const std::uint8_t* valid, int width, int height,
                        std::uint32_t* integral, cudaStream_t stream);

// Words of scratch prefix_columns_cuda needs for a width x height image.
std::int64_t prefix_columns_scratch_words(int width, int height);

// Sums the row sums down the columns, completing the integral images. `scratch` holds
// prefix_columns_scratch_words(width, height) words.
void prefix_columns_cuda(std::uint32_t* integral, int width, int height, std::uint32_t* scratch,
                         cudaStream_t stream);

}  // namespace campscope::detect

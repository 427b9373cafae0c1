// The detector's contrast response on CUDA straight from the pixels (defined in contrast_cuda.cu, compiled only when
// CAMPSCOPE_WITH_CUDA is set).
#pragma once
#include <cuda_runtime.h>

#include <cstdint>

#include "detect_backends.h"

namespace campscope::detect {

// ContrastResponse's values for every pixel of a width x height block, without integral images in global memory:
// each CUDA block sums its tile of the image, and a halo as wide as the largest box reaches, into integral images in
// shared memory and reads the boxes from those. Pixels outside the block count as nodata, which gives the clipped
// boxes ContrastResponse takes at the block's edges. Requires tiled_contrast_fits(params).
void tiled_contrast_cuda(const std::uint8_t* rgb, const std::uint8_t* valid, int width, int height,
                         const PixelParams& params, std::uint16_t* response, cudaStream_t stream);

}  // namespace campscope::detect

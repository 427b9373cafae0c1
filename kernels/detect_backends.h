// Backend entry points of the detector; both return one result per candidate in row-major pixel order.
#pragma once
#include <cstdint>
#include <vector>

#include "campscope/image.h"
#include "detect_impl.h"

namespace campscope::detect {

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

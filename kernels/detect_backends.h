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
// The integral images of host arrays built on the device as analyse_block_cuda builds them, for comparison with
// integral_images_cpu.
std::vector<std::uint32_t> integral_images_cuda(const std::uint8_t* rgb, const std::uint8_t* valid, int width,
                                                int height);
#endif

}  // namespace campscope::detect

// Backend entry points of the detector; both return one result per candidate in row-major pixel order.
#pragma once
#include <vector>

#include "campscope/image.h"
#include "detect_impl.h"

namespace campscope::detect {

std::vector<CandidateResult> analyse_block_cpu(const RgbBlock& block, const PixelParams& params);
#ifdef CAMPSCOPE_WITH_CUDA
std::vector<CandidateResult> analyse_block_cuda(const RgbBlock& block, const PixelParams& params);
#endif

}  // namespace campscope::detect

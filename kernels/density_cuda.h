// CUDA entry points of the density kernels, declared in plain C++ so density.cpp can call them without nvcc.
// Defined in density_cuda.cu, which is compiled only when CAMPSCOPE_WITH_CUDA is set.
#pragma once
#include <cstdint>
#include <vector>

#include "campscope/density.h"
#include "density_impl.h"

namespace campscope {

// Same contract as density_map_cpu, and bit-identical results.
std::vector<float> density_map_cuda(const DensityPlan& plan, const std::vector<WeightedPoint>& points,
                                    const std::vector<std::int64_t>& micro_persons);

}  // namespace campscope

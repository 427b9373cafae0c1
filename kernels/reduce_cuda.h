// CUDA entry points of the camp reduction, declared in plain C++ so reduce.cpp can call them without nvcc.
// Defined in reduce_cuda.cu, which is compiled only when CAMPSCOPE_WITH_CUDA is set.
#pragma once
#include <cstdint>
#include <vector>

#include "campscope/reduce.h"
#include "reduce_impl.h"

namespace campscope {

// Same contracts as the _cpu functions in reduce_impl.h, and identical results.
std::vector<std::int32_t> assign_camps_cuda(const PreparedCamps& camps, const std::vector<ReducePoint>& points);
std::vector<CampTotals> reduce_by_camp_cuda(const std::vector<ReducePoint>& points,
                                            const std::vector<std::int32_t>& camp_of_point, int camp_count);

}  // namespace campscope

#pragma once
#include <cstdint>
#include <vector>

#include "campscope/backend.h"
#include "campscope/camps.h"
#include "campscope/types.h"

namespace campscope {

struct ReducePoint {
  double x = 0.0;  // same coordinate system as the CampPolygons it is tested against
  double y = 0.0;
  ObjectClass cls = ObjectClass::Tent;
};

// Index of the first camp containing each point, or -1.
std::vector<std::int32_t> assign_camps(const CampPolygons& camps, const std::vector<ReducePoint>& points,
                                       Backend backend);

struct CampTotals {
  std::int64_t tents = 0;
  std::int64_t vehicles = 0;
};

// Per-camp counts; integer sums, so identical on every run and both backends.
std::vector<CampTotals> reduce_by_camp(const std::vector<ReducePoint>& points,
                                       const std::vector<std::int32_t>& camp_of_point, int camp_count,
                                       Backend backend);

}  // namespace campscope

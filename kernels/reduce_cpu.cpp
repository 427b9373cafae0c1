#include <omp.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "reduce_impl.h"

namespace campscope {

std::vector<std::int32_t> assign_camps_cpu(const PreparedCamps& camps, const std::vector<ReducePoint>& points) {
  std::vector<std::int32_t> camp_of_point(points.size());
  parallel_for_cpu(static_cast<std::int64_t>(points.size()),
                   AssignCampsBody{camps.view(), points.data(), camp_of_point.data()});
  return camp_of_point;
}

std::vector<CampTotals> reduce_by_camp_cpu(const std::vector<ReducePoint>& points,
                                           const std::vector<std::int32_t>& camp_of_point, int camp_count) {
  const std::size_t camps = static_cast<std::size_t>(camp_count);
  std::vector<std::vector<CampTotals>> partials(static_cast<std::size_t>(omp_get_max_threads()),
                                                std::vector<CampTotals>(camps));
  const std::int64_t count = static_cast<std::int64_t>(points.size());
#pragma omp parallel
  {
    std::vector<CampTotals>& mine = partials[static_cast<std::size_t>(omp_get_thread_num())];
#pragma omp for schedule(static)
    for (std::int64_t i = 0; i < count; ++i) {
      const std::int32_t camp = camp_of_point[i];
      if (camp < 0) continue;
      if (points[i].cls == ObjectClass::Vehicle) {
        ++mine[camp].vehicles;
      } else {
        ++mine[camp].tents;
      }
    }
  }
  std::vector<CampTotals> totals(camps);
  for (const std::vector<CampTotals>& partial : partials) {
    for (std::size_t c = 0; c < camps; ++c) {
      totals[c].tents += partial[c].tents;
      totals[c].vehicles += partial[c].vehicles;
    }
  }
  return totals;
}

}  // namespace campscope

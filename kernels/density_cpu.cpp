#include <cstddef>
#include <cstdint>
#include <vector>

#include "density_impl.h"

namespace campscope {

std::vector<float> density_map_cpu(const DensityPlan& plan, const std::vector<WeightedPoint>& points,
                                   const std::vector<std::int64_t>& micro_persons) {
  const DensityGeometry& g = plan.geometry;
  const std::int64_t cells = static_cast<std::int64_t>(g.width) * g.height;
  std::vector<std::int64_t> micro(static_cast<std::size_t>(cells), 0);
  const std::int64_t point_count = static_cast<std::int64_t>(points.size());
  std::int64_t* micro_data = micro.data();
  // Integer addition is associative, so the atomic order between threads cannot change the sums.
#pragma omp parallel for schedule(static)
  for (std::int64_t i = 0; i < point_count; ++i) {
    const std::int64_t cell = density_cell_of(points[i].x, points[i].y, g);
    if (cell < 0) continue;
#pragma omp atomic
    micro_data[cell] += micro_persons[i];
  }

  std::vector<float> persons(static_cast<std::size_t>(cells));
  parallel_for_cpu(cells, DensityCellsToPersons{micro.data(), persons.data()});
  std::vector<float> smoothed_rows(static_cast<std::size_t>(cells));
  parallel_for_cpu(cells, DensityRowPass{persons.data(), smoothed_rows.data(), plan.weights.data(), plan.radius(),
                                         g.width});
  parallel_for_cpu(cells, DensityColumnPass{smoothed_rows.data(), persons.data(), plan.weights.data(), plan.radius(),
                                            g.width, g.height, plan.per_km2});
  return persons;
}

}  // namespace campscope

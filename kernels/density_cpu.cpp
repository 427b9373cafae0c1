#include <omp.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "density_impl.h"
#include "parallel_for.h"

namespace campscope {
namespace {

// Kept between calls on a thread. The micro-person grid stays all zero between calls: the conversion to persons
// clears the few cells the splat filled, which is much cheaper than clearing the grid.
struct DensityScratch {
  ScratchBuffer<std::int64_t> micro;
  ScratchBuffer<float> persons;
  ScratchBuffer<float> smoothed_rows;
  ScratchBuffer<std::int64_t> cell_of;
  ScratchBuffer<std::uint8_t> row_has_points;
  ScratchBuffer<DensitySpan> person_spans;
  ScratchBuffer<DensitySpan> smoothed_spans;
};

}  // namespace

std::vector<float> density_map_cpu(const DensityPlan& plan, const std::vector<WeightedPoint>& points,
                                   const std::vector<std::int64_t>& micro_persons) {
  const DensityGeometry& g = plan.geometry;
  const int width = g.width;
  const std::int64_t cells = static_cast<std::int64_t>(width) * g.height;
  const std::int64_t point_count = static_cast<std::int64_t>(points.size());
  thread_local DensityScratch scratch;
  std::int64_t* micro = scratch.micro.get(cells);
  float* persons = scratch.persons.get(cells);
  float* smoothed_rows = scratch.smoothed_rows.get(cells);
  std::int64_t* cell_of = scratch.cell_of.get(point_count);
  std::uint8_t* row_has_points = scratch.row_has_points.get(g.height);
  DensitySpan* person_spans = scratch.person_spans.get(g.height);
  DensitySpan* smoothed_spans = scratch.smoothed_spans.get(g.height);
  std::vector<float> density(static_cast<std::size_t>(cells));

  // Each band of rows adds the points that fall in it, so no two threads add to one cell and the adds need no
  // atomics (whose serialising cost dominates a scattered splat); integer sums do not depend on the order anyway.
  parallel_for_cpu(point_count, [&](std::int64_t i) { cell_of[i] = density_cell_of(points[i].x, points[i].y, g); });
  std::fill(row_has_points, row_has_points + g.height, std::uint8_t{0});
  const std::int64_t bands = omp_get_max_threads();
  parallel_for_cpu(bands, [&](std::int64_t band) {
    const std::int64_t first = g.height * band / bands * width;
    const std::int64_t end = g.height * (band + 1) / bands * width;
    for (std::int64_t i = 0; i < point_count; ++i) {
      const std::int64_t cell = cell_of[i];
      if (cell < first || cell >= end) continue;
      micro[cell] += micro_persons[i];
      row_has_points[cell / width] = 1;
    }
  });

  // Rows without points get an empty span, and the row pass reads no row but its own, so they stay unwritten.
  parallel_for_cpu(g.height, [&](std::int64_t y) {
    DensitySpan span{width, 0};
    if (row_has_points[y]) {
      std::int64_t* row_micro = micro + y * width;
      const DensityCellsToPersons convert{row_micro, persons + y * width};
      for (int x = 0; x < width; ++x) {
        convert(x);
        if (row_micro[x] == 0) continue;
        row_micro[x] = 0;
        span.first = std::min(span.first, x);
        span.end = x + 1;
      }
    }
    person_spans[y] = span;
  });

  const int row_run = std::max(width, 1);
  parallel_for_cpu(DensityRowPass{persons, smoothed_rows, plan.weights.data(), plan.radius(), width, g.height,
                                  row_run, person_spans, smoothed_spans});
  // `density` starts zeroed, as the column pass with spans needs.
  parallel_for_cpu(DensityColumnPass{smoothed_rows, density.data(), plan.weights.data(), plan.radius(), width,
                                     g.height, plan.per_km2, row_run, smoothed_spans});
  return density;
}

}  // namespace campscope

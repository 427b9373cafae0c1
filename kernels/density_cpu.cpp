#include <omp.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "density_impl.h"
#include "parallel_for.h"

namespace campscope {
namespace {

// Kept between calls on a thread. The micro-person and person grids stay all zero between calls: the conversion to
// persons clears the cells the splat filled, and the persons are cleared once smoothed, which costs a visit per point
// rather than a pass over the grid.
struct DensityScratch {
  ScratchBuffer<std::int64_t> micro;
  ScratchBuffer<float> persons;
  ScratchBuffer<float> smoothed_rows;
  ScratchBuffer<std::int64_t> cell_of;
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
  DensitySpan* person_spans = scratch.person_spans.get(g.height);
  DensitySpan* smoothed_spans = scratch.smoothed_spans.get(g.height);
  std::vector<float> density(static_cast<std::size_t>(cells));

  // Each band of rows visits the points that fall in it, so no two threads write one cell and the adds need no
  // atomics (whose serialising cost dominates a scattered splat); integer sums do not depend on the order anyway.
  parallel_for_cpu(point_count, [&](std::int64_t i) { cell_of[i] = density_cell_of(points[i].x, points[i].y, g); });
  const std::int64_t bands = omp_get_max_threads();
  const auto for_points_of_band = [&](std::int64_t band, const auto& visit) {
    const std::int64_t first = g.height * band / bands * width;
    const std::int64_t end = g.height * (band + 1) / bands * width;
    for (std::int64_t i = 0; i < point_count; ++i) {
      const std::int64_t cell = cell_of[i];
      if (cell >= first && cell < end) visit(i, cell);
    }
  };
  parallel_for_cpu(bands, [&](std::int64_t band) {
    for_points_of_band(band, [&](std::int64_t i, std::int64_t cell) { micro[cell] += micro_persons[i]; });
  });
  // The first point of a cell converts its sum and clears it; each row's span covers the cells that hold persons.
  // Rows without any get an empty span, and the row pass reads no row but its own, so they stay unwritten.
  parallel_for_cpu(bands, [&](std::int64_t band) {
    for (std::int64_t y = g.height * band / bands; y < g.height * (band + 1) / bands; ++y) person_spans[y] = {width, 0};
    for_points_of_band(band, [&](std::int64_t, std::int64_t cell) {
      if (micro[cell] == 0) return;
      persons[cell] = micro_to_persons(micro[cell]);
      micro[cell] = 0;
      DensitySpan& span = person_spans[cell / width];
      const int x = static_cast<int>(cell % width);
      span.first = std::min(span.first, x);
      span.end = std::max(span.end, x + 1);
    });
  });

  const int row_run = std::max(width, 1);
  parallel_for_cpu(DensityRowPass{persons, smoothed_rows, plan.weights.data(), plan.radius(), width, g.height,
                                  row_run, person_spans, smoothed_spans});
  // `density` starts zeroed, as the column pass with spans needs.
  parallel_for_cpu(DensityColumnPass{smoothed_rows, density.data(), plan.weights.data(), plan.radius(), width,
                                     g.height, plan.per_km2, row_run, smoothed_spans});
  parallel_for_cpu(bands, [&](std::int64_t band) {
    for_points_of_band(band, [&](std::int64_t, std::int64_t cell) { persons[cell] = 0.0f; });
  });
  return density;
}

}  // namespace campscope

// Point-in-camp math shared by reduce_cpu.cpp and reduce_cuda.cu, so both backends make the same decision for
// every point, including points on edges and vertices.
#pragma once
#include <cstdint>
#include <vector>

#include "campscope/camps.h"
#include "campscope/reduce.h"
#include "parallel_for.h"

namespace campscope {

// CampPolygons as raw arrays (host or device), plus each camp's bounding box (min_x, min_y, max_x, max_y).
struct CampPolygonView {
  const double* xs;
  const double* ys;
  const std::int32_t* ring_offsets;
  const std::int32_t* camp_rings;
  const double* camp_boxes;
  int camp_count;
};

// Edge rule: a horizontal ray from the point towards +x crosses an edge when the point's y lies in the edge's
// half-open span [y_low, y_high) and the point is strictly west of the edge. In exact arithmetic this puts a
// boundary point inside exactly when the interior lies just east of it (or, on a horizontal edge, just north):
// left and bottom sides are in, right and top sides out, like pixel coverage. The endpoints are ordered by y
// before the arithmetic, so an edge shared by two polygons gives the same bits in both and each point on it is
// claimed by exactly one of them.
CAMPSCOPE_HD bool ray_crosses_edge(double px, double py, double ax, double ay, double bx, double by) {
  if (by < ay) {
    const double tx = ax, ty = ay;
    ax = bx;
    ay = by;
    bx = tx;
    by = ty;
  }
  if (!(ay <= py && py < by)) return false;
  return (bx - ax) * (py - ay) - (px - ax) * (by - ay) > 0.0;
}

// Even-odd over all rings of the camp together, so holes and multipolygon parts need no special case.
// The bounding-box rejection agrees with the edge rule: no point outside [min, max) in x and y can be inside.
CAMPSCOPE_HD bool camp_contains(const CampPolygonView& v, int camp, double px, double py) {
  const double* box = v.camp_boxes + 4 * static_cast<std::int64_t>(camp);
  if (!(px >= box[0] && py >= box[1] && px < box[2] && py < box[3])) return false;
  bool inside = false;
  for (std::int32_t ring = v.camp_rings[camp]; ring < v.camp_rings[camp + 1]; ++ring) {
    const std::int32_t begin = v.ring_offsets[ring];
    const std::int32_t end = v.ring_offsets[ring + 1];
    std::int32_t prev = end - 1;
    for (std::int32_t i = begin; i < end; prev = i++) {
      if (ray_crosses_edge(px, py, v.xs[prev], v.ys[prev], v.xs[i], v.ys[i])) inside = !inside;
    }
  }
  return inside;
}

CAMPSCOPE_HD std::int32_t first_camp_containing(const CampPolygonView& v, double px, double py) {
  for (int camp = 0; camp < v.camp_count; ++camp) {
    if (camp_contains(v, camp, px, py)) return camp;
  }
  return -1;
}

struct AssignCampsBody {
  CampPolygonView camps;
  const ReducePoint* points;
  std::int32_t* camp_of_point;
  CAMPSCOPE_HD void operator()(std::int64_t i) const {
    camp_of_point[i] = first_camp_containing(camps, points[i].x, points[i].y);
  }
};

// Sort key grouping points by (camp, class); -1 for points outside every camp.
CAMPSCOPE_HD std::int32_t camp_class_key(std::int32_t camp, std::uint8_t cls) {
  return camp < 0 ? -1 : camp * 2 + static_cast<std::int32_t>(cls);
}

// Flattened polygons, validated, with the bounding boxes the view needs.
struct PreparedCamps {
  const CampPolygons* polygons;
  std::vector<double> boxes;
  CampPolygonView view() const {
    return CampPolygonView{polygons->xs.data(),         polygons->ys.data(), polygons->ring_offsets.data(),
                           polygons->camp_rings.data(), boxes.data(),        polygons->camp_count()};
  }
};

// CPU backend; inputs are validated by the caller (reduce.cpp).
std::vector<std::int32_t> assign_camps_cpu(const PreparedCamps& camps, const std::vector<ReducePoint>& points);
std::vector<CampTotals> reduce_by_camp_cpu(const std::vector<ReducePoint>& points,
                                           const std::vector<std::int32_t>& camp_of_point, int camp_count);

}  // namespace campscope

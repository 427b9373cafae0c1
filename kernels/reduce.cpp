#include "campscope/reduce.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "reduce_impl.h"
#ifdef CAMPSCOPE_WITH_CUDA
#include "reduce_cuda.h"
#endif

namespace campscope {
namespace {

// Offsets must start at 0, never decrease and stay inside the array they index.
void require_offsets(const std::vector<std::int32_t>& offsets, std::size_t limit, const std::string& what) {
  if (offsets.empty()) return;
  if (offsets.front() != 0) throw std::invalid_argument("camps: " + what + " do not start at 0");
  for (std::size_t i = 1; i < offsets.size(); ++i) {
    if (offsets[i] < offsets[i - 1]) {
      throw std::invalid_argument("camps: " + what + " decrease at index " + std::to_string(i));
    }
  }
  if (static_cast<std::size_t>(offsets.back()) > limit) {
    throw std::invalid_argument("camps: " + what + " end at " + std::to_string(offsets.back()) + ", past the " +
                                std::to_string(limit) + " available");
  }
}

PreparedCamps prepare_camps(const CampPolygons& camps) {
  if (camps.xs.size() != camps.ys.size()) {
    throw std::invalid_argument("camps: " + std::to_string(camps.xs.size()) + " x coordinates but " +
                                std::to_string(camps.ys.size()) + " y coordinates");
  }
  if (camps.xs.size() > static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max())) {
    throw std::invalid_argument("camps: more vertices than 32-bit offsets address");
  }
  const std::size_t ring_count = camps.ring_offsets.empty() ? 0 : camps.ring_offsets.size() - 1;
  require_offsets(camps.ring_offsets, camps.xs.size(), "ring offsets");
  require_offsets(camps.camp_rings, ring_count, "camp ring offsets");
  for (std::size_t i = 0; i < camps.xs.size(); ++i) {
    if (!std::isfinite(camps.xs[i]) || !std::isfinite(camps.ys[i])) {
      throw InputError("camps: vertex " + std::to_string(i) + " has non-finite coordinates");
    }
  }

  PreparedCamps prepared{&camps, {}};
  const int camp_count = camps.camp_count();
  const double inf = std::numeric_limits<double>::infinity();
  prepared.boxes.resize(4 * static_cast<std::size_t>(camp_count));
  for (int camp = 0; camp < camp_count; ++camp) {
    // An empty camp keeps the inverted box, which rejects every point.
    double min_x = inf, min_y = inf, max_x = -inf, max_y = -inf;
    const std::int32_t first_vertex = camps.ring_offsets.empty() ? 0 : camps.ring_offsets[camps.camp_rings[camp]];
    const std::int32_t end_vertex = camps.ring_offsets.empty() ? 0 : camps.ring_offsets[camps.camp_rings[camp + 1]];
    for (std::int32_t i = first_vertex; i < end_vertex; ++i) {
      min_x = std::min(min_x, camps.xs[i]);
      min_y = std::min(min_y, camps.ys[i]);
      max_x = std::max(max_x, camps.xs[i]);
      max_y = std::max(max_y, camps.ys[i]);
    }
    double* box = prepared.boxes.data() + 4 * static_cast<std::size_t>(camp);
    box[0] = min_x;
    box[1] = min_y;
    box[2] = max_x;
    box[3] = max_y;
  }
  return prepared;
}

void require_camp_ids(const std::vector<ReducePoint>& points, const std::vector<std::int32_t>& camp_of_point,
                      int camp_count) {
  if (camp_of_point.size() != points.size()) {
    throw std::invalid_argument("reduce_by_camp: " + std::to_string(points.size()) + " points but " +
                                std::to_string(camp_of_point.size()) + " camp assignments");
  }
  if (camp_count < 0 || camp_count > std::numeric_limits<std::int32_t>::max() / 2) {
    throw std::invalid_argument("reduce_by_camp: invalid camp count " + std::to_string(camp_count));
  }
  for (std::size_t i = 0; i < camp_of_point.size(); ++i) {
    if (camp_of_point[i] < -1 || camp_of_point[i] >= camp_count) {
      throw std::invalid_argument("reduce_by_camp: point " + std::to_string(i) + " has camp " +
                                  std::to_string(camp_of_point[i]) + ", outside -1.." +
                                  std::to_string(camp_count - 1));
    }
    if (points[i].cls != ObjectClass::Tent && points[i].cls != ObjectClass::Vehicle) {
      throw std::invalid_argument("reduce_by_camp: point " + std::to_string(i) + " has an unknown class");
    }
  }
}

}  // namespace

std::vector<std::int32_t> assign_camps(const CampPolygons& camps, const std::vector<ReducePoint>& points,
                                       Backend backend) {
  const PreparedCamps prepared = prepare_camps(camps);
  if (backend == Backend::Cuda) {
#ifdef CAMPSCOPE_WITH_CUDA
    return assign_camps_cuda(prepared, points);
#else
    throw std::runtime_error("assign_camps: this build has no CUDA backend");
#endif
  }
  return assign_camps_cpu(prepared, points);
}

std::vector<CampTotals> reduce_by_camp(const std::vector<ReducePoint>& points,
                                       const std::vector<std::int32_t>& camp_of_point, int camp_count,
                                       Backend backend) {
  require_camp_ids(points, camp_of_point, camp_count);
  if (backend == Backend::Cuda) {
#ifdef CAMPSCOPE_WITH_CUDA
    return reduce_by_camp_cuda(points, camp_of_point, camp_count);
#else
    throw std::runtime_error("reduce_by_camp: this build has no CUDA backend");
#endif
  }
  return reduce_by_camp_cpu(points, camp_of_point, camp_count);
}

}  // namespace campscope

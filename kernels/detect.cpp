#include "campscope/detect.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <numeric>
#include <stdexcept>
#include <utility>
#include <vector>

#include "detect_backends.h"
#include "cell_index.h"
#include "detect_regions_impl.h"
#include "road_markings.h"
#include "solid_covers.h"
#include "tent_rows.h"
#include "vehicle_queues.h"

namespace campscope {
namespace detect {

// The ground-sample distance the physical limits were set at (the default generated scenes).
constexpr double kLimitsGsdM = 0.5;

PixelParams to_pixel_params(const DetectorParams& params, double gsd_m) {
  if (!(gsd_m > 0.0) || !std::isfinite(gsd_m))
    throw std::invalid_argument("detector: ground-sample distance must be positive");
  const auto half = [gsd_m](double metres) { return std::max(1, static_cast<int>(std::lround(metres / gsd_m / 2.0))); };
  PixelParams p;
  p.physical = params;
  p.gsd_m = gsd_m;
  p.vehicle_inner_half = half(params.vehicle_inner_m);
  p.vehicle_outer_half = std::max(p.vehicle_inner_half + 1, half(params.vehicle_outer_m));
  p.tent_inner_half = half(params.tent_inner_m);
  p.tent_outer_half = std::max(p.tent_inner_half + 1, half(params.tent_outer_m));
  p.nms_radius = std::max(1, static_cast<int>(std::lround(params.nms_radius_m / gsd_m)));
  p.shadow_percent = static_cast<int>(std::lround(100.0 * params.shadow_brightness));
  p.region_radius =
      std::clamp(static_cast<int>(std::lround(params.region_radius_m / gsd_m)), 2, kMaxRegionRadius);
  // A width measured over a few pixels is uncertain by about half a pixel at each edge, and a cover's blurred
  // border pixels fall to the ground side of the material split. The limits were set on 0.5 m imagery, where that
  // is absorbed already; coarser pixels (a 4 m tent is 4 pixels at 1 m) get the rest as an allowance.
  p.tent_width_allowance_m = std::max(0.0, gsd_m - kLimitsGsdM);
  // A vehicle region takes in the blurred edge around the car, about a pixel at 0.5 m, where the limits were set;
  // the blur is the optics' and the atmosphere's, a distance on the ground, so coarser pixels do not widen the region
  // by a whole pixel more (taking off a pixel at 1 m left a 1.8 m car 1.3 m wide, under the 1.5 m limit).
  p.vehicle_blur_m = std::min(gsd_m, kLimitsGsdM);
  // Coarser than a windscreen is long, a car is a few pixels of blur about one or two of paint, and thin things
  // blur into car-sized regions of weak contrast: the dashes of a centre line, the gaps of a packed tent block, a
  // shadow's edge. On the hard profile's 1 m tiles 69 of 97 false vehicles had a contrast under 100, 16 of 104 true
  // ones; twice the vehicle contrast there took hard vehicle F1 0.623 -> 0.630.
  p.vehicle_min_region_contrast = gsd_m > kWindscreenM ? 2 * params.vehicle_min_contrast : params.vehicle_min_contrast;
  return p;
}

}  // namespace detect

int detector_halo_px(const DetectorParams& params, double gsd_m) {
  const detect::PixelParams p = detect::to_pixel_params(params, gsd_m);
  // A core candidate reads its region window, and a region reaching the window's edge is looked at again in a
  // window centred on it: two region radii, plus the widest box and one pixel of slack.
  return 2 * p.region_radius + std::max(p.tent_outer_half, p.vehicle_outer_half) + p.nms_radius + 1;
}

std::vector<std::size_t> suppress_duplicates(const std::vector<ScoredPoint>& points, double radius) {
  std::vector<std::size_t> order(points.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return points[a].score > points[b].score; });
  const double cell = radius > 0.0 ? radius : 1.0;
  detect::CellIndex<std::size_t> kept_near(cell);
  std::vector<std::size_t> kept;
  for (std::size_t i : order) {
    bool duplicate = false;
    kept_near.for_each_near(points[i].x, points[i].y, cell, [&](std::size_t k) {
      const double dx = points[k].x - points[i].x, dy = points[k].y - points[i].y;
      duplicate = duplicate || dx * dx + dy * dy <= radius * radius;
    });
    if (duplicate) continue;
    kept_near.add(points[i].x, points[i].y, i);
    kept.push_back(i);
  }
  std::sort(kept.begin(), kept.end());
  return kept;
}

namespace {

// The detected tents of a list, binned in 4 m cells: those near a point are found by looking at a few cells.
class TentIndex {
 public:
  struct Tent {
    double x, y, half_width_px;
  };
  TentIndex(const std::vector<DetectedObject>& objects, double gsd_m) : gsd_m_(gsd_m), cells_(kCellM / gsd_m) {
    for (const DetectedObject& t : objects) {
      if (t.cls != ObjectClass::Tent) continue;
      cells_.add(t.x, t.y, {t.x, t.y, t.measured.width_m / 2.0 / gsd_m});
      widest_m_ = std::max(widest_m_, static_cast<double>(t.measured.width_m));
    }
  }
  double widest_m() const { return widest_m_; }
  // Calls visit(tent) for each tent within reach_m (every tent of the cells that close) of (x, y), in pixels.
  template <typename Visit>
  void for_each_near(double x, double y, double reach_m, const Visit& visit) const {
    cells_.for_each_near(x, y, reach_m / gsd_m_, visit);
  }

 private:
  static constexpr double kCellM = 4.0;
  double gsd_m_;
  double widest_m_ = 0.0;
  detect::CellIndex<Tent> cells_;
};

void drop_vehicles_where(std::vector<DetectedObject>& objects, const std::function<bool(const DetectedObject&)>& drop) {
  objects.erase(std::remove_if(objects.begin(), objects.end(),
                               [&](const DetectedObject& o) { return o.cls == ObjectClass::Vehicle && drop(o); }),
                objects.end());
}

}  // namespace

void drop_vehicles_on_tents(std::vector<DetectedObject>& objects, double gsd_m) {
  const TentIndex tents(objects, gsd_m);
  drop_vehicles_where(objects, [&](const DetectedObject& v) {
    bool on_a_tent = false;
    tents.for_each_near(v.x, v.y, tents.widest_m() / 2.0, [&](const TentIndex::Tent& t) {
      const double dx = t.x - v.x, dy = t.y - v.y;
      on_a_tent = on_a_tent || dx * dx + dy * dy < t.half_width_px * t.half_width_px;
    });
    return on_a_tent;
  });
}

// How far inside a vehicle's measured rectangle another vehicle's centre must lie for the two to be one: a margin
// in from its ends, so that a car beside a region that took in its queue neighbour too (9-10 m long) stays, and a
// little slack across its sides for the blur.
constexpr double kInsideEndsMarginM = 0.5;
constexpr double kInsideSidesSlackM = 0.25;
// Two vehicles are in one lane when their axes are within 25 degrees of each other and their centres within this
// share of the narrower one's width across the longer one's axis.
constexpr double kSameLaneMinCos = 0.9;
constexpr double kSameLaneWidthShare = 0.75;

void merge_overlapping_vehicles(std::vector<DetectedObject>& objects, double gsd_m, double shortest_vehicle_m) {
  std::vector<std::size_t> vehicles;
  double reach_px = 0.0;  // the farthest two vehicles can be and still merge
  for (std::size_t i = 0; i < objects.size(); ++i)
    if (objects[i].cls == ObjectClass::Vehicle) {
      vehicles.push_back(i);
      const ObjectMeasurements& m = objects[i].measured;
      const double corner_m = std::hypot(std::max(0.0, 0.5 * m.length_m - kInsideEndsMarginM),
                                         0.5 * m.width_m + kInsideSidesSlackM);
      reach_px = std::max(reach_px, std::max({static_cast<double>(m.width_m), corner_m, shortest_vehicle_m}) / gsd_m);
    }
  if (vehicles.size() < 2 || reach_px <= 0.0) return;
  std::stable_sort(vehicles.begin(), vehicles.end(), [&](std::size_t a, std::size_t b) {
    if (objects[a].completed != objects[b].completed) return !objects[a].completed;
    return objects[a].score > objects[b].score;
  });
  const auto centre_inside = [gsd_m](const DetectedObject& outer, const DetectedObject& inner) {
    const double dx = (inner.x - outer.x) * gsd_m, dy = (inner.y - outer.y) * gsd_m;
    const float* axis = outer.measured.axis;
    return std::abs(dx * axis[0] + dy * axis[1]) <= 0.5 * outer.measured.length_m - kInsideEndsMarginM &&
           std::abs(dy * axis[0] - dx * axis[1]) <= 0.5 * outer.measured.width_m + kInsideSidesSlackM;
  };
  // Two vehicles of one lane stand a vehicle's length and a gap apart, centre to centre.
  const auto closer_than_a_lane_allows = [&](const DetectedObject& a, const DetectedObject& b) {
    const float* axis = (a.measured.length_m >= b.measured.length_m ? a : b).measured.axis;
    const double parallel = std::abs(a.measured.axis[0] * b.measured.axis[0] + a.measured.axis[1] * b.measured.axis[1]);
    const double dx = (b.x - a.x) * gsd_m, dy = (b.y - a.y) * gsd_m;
    return parallel >= kSameLaneMinCos && std::abs(dx * axis[0] + dy * axis[1]) < shortest_vehicle_m &&
           std::abs(dy * axis[0] - dx * axis[1]) <
               kSameLaneWidthShare * std::min(a.measured.width_m, b.measured.width_m);
  };
  const auto one_vehicle = [&](const DetectedObject& a, const DetectedObject& b) {
    const double apart_px = std::hypot(b.x - a.x, b.y - a.y);
    return apart_px < 0.5 * (a.measured.width_m + b.measured.width_m) / gsd_m || centre_inside(a, b) ||
           centre_inside(b, a) || closer_than_a_lane_allows(a, b);
  };
  detect::CellIndex<std::size_t> near(reach_px);
  for (const std::size_t i : vehicles) near.add(objects[i].x, objects[i].y, i);
  std::vector<char> merged(objects.size(), 0), kept(objects.size(), 0);
  for (const std::size_t a : vehicles) {
    if (merged[a]) continue;
    kept[a] = 1;
    const DetectedObject& va = objects[a];
    double sum_x = va.x, sum_y = va.y;
    int parts = 1;
    near.for_each_near(va.x, va.y, reach_px, [&](std::size_t b) {
      if (merged[b] || kept[b] || !one_vehicle(va, objects[b])) return;
      merged[b] = 1;
      sum_x += objects[b].x;
      sum_y += objects[b].y;
      ++parts;
    });
    objects[a].x = sum_x / parts;
    objects[a].y = sum_y / parts;
  }
  std::size_t next = 0;
  for (std::size_t i = 0; i < objects.size(); ++i)
    if (!merged[i]) objects[next++] = objects[i];
  objects.resize(next);
}

void drop_vehicles_cut_by_unimaged_pixels(const RgbBlock& block, std::vector<DetectedObject>& objects, double gsd_m) {
  drop_vehicles_where(objects, [&](const DetectedObject& v) {
    const double reach = 0.5 * v.measured.length_m / gsd_m;
    const double cx = v.x - block.x0, cy = v.y - block.y0;
    const int y0 = std::max(0, static_cast<int>(std::floor(cy - reach)));
    const int y1 = std::min(block.height - 1, static_cast<int>(std::ceil(cy + reach)));
    const int x0 = std::max(0, static_cast<int>(std::floor(cx - reach)));
    const int x1 = std::min(block.width - 1, static_cast<int>(std::ceil(cx + reach)));
    for (int y = y0; y <= y1; ++y)
      for (int x = x0; x <= x1; ++x) {
        const double dx = x + 0.5 - cx, dy = y + 0.5 - cy;
        if (dx * dx + dy * dy <= reach * reach &&
            !block.valid[static_cast<std::size_t>(y) * static_cast<std::size_t>(block.width) + x])
          return true;
      }
    return false;
  });
}

void drop_vehicles_inside_tent_blocks(std::vector<DetectedObject>& objects, double gsd_m) {
  constexpr double kAroundM = 6.0;
  constexpr int kBlockTents = 3;
  const TentIndex tents(objects, gsd_m);
  const double around_px = kAroundM / gsd_m;
  drop_vehicles_where(objects, [&](const DetectedObject& v) {
    int around = 0;
    tents.for_each_near(v.x, v.y, kAroundM, [&](const TentIndex::Tent& t) {
      const double dx = t.x - v.x, dy = t.y - v.y;
      around += dx * dx + dy * dy <= around_px * around_px;
    });
    return around >= kBlockTents;
  });
}

namespace {

using BlockHistogram = detect::ColourHistogram<std::uint64_t, detect::WideColourSum>;
using BandHistogram = detect::ColourHistogram<std::uint32_t, detect::PackedColourSum>;

// The colour histogram of a block's imaged pixels, built band by band on the CPU threads and summed: the counts and
// sums are integers, so the result does not depend on the bands. On one thread it was about 5% of detection. A band
// is few enough pixels for packed colour sums, so adding a pixel is one addition to its bin's sums and its bin
// comes from the packed colour (ColourHistogram::bin_of).
BlockHistogram block_histogram(const RgbBlock& block) {
  constexpr std::int64_t kBandPixels = detect::PackedColourSum::kMaxPixels;
  const std::int64_t pixels = static_cast<std::int64_t>(block.valid.size());
  const std::int64_t bands = (pixels + kBandPixels - 1) / kBandPixels;
  std::vector<BandHistogram> band_histograms(static_cast<std::size_t>(bands));
  const std::uint8_t* valid = block.valid.data();
  const std::uint8_t* rgb = block.rgb.data();
  parallel_for_cpu(bands, [&](std::int64_t band) {
    BandHistogram& histogram = band_histograms[static_cast<std::size_t>(band)];
    const std::int64_t first = band * kBandPixels;
    const std::int64_t end = std::min(pixels, first + kBandPixels);
    for (std::int64_t i = first; i < end; ++i)
      if (valid[i]) histogram.add(rgb + 3 * i);
  });
  BlockHistogram total;
  for (const BandHistogram& band : band_histograms)
    for (int bin = 0; bin < BlockHistogram::kBins; ++bin) {
      total.counts[bin] += band.counts[bin];
      for (int c = 0; c < 3; ++c) total.sums[bin].channels[c] += static_cast<std::uint64_t>(band.sums[bin].channel(c));
    }
  return total;
}

}  // namespace

std::vector<DetectedObject> detect_objects(const RgbBlock& block, double gsd_m, const DetectorParams& params,
                                           Backend backend, std::vector<CandidatePoint>* other_candidates) {
  if (block.width <= 0 || block.height <= 0) return {};
  if (block.rgb.size() != static_cast<std::size_t>(block.width) * block.height * 3 ||
      block.valid.size() != static_cast<std::size_t>(block.width) * block.height)
    throw std::invalid_argument("detector: block buffers do not match its size");
  detect::PixelParams pixel_params = detect::to_pixel_params(params, gsd_m);
  const BlockHistogram histogram = block_histogram(block);
  BlockHistogram::OccupiedBins occupied;
  histogram.occupied_bins(occupied);
  std::int64_t mass = 0;
  const int ground_bin = BlockHistogram::mode(occupied, -1, 0, mass);
  if (ground_bin < 0) return {};  // nothing imaged
  histogram.mode_colour(ground_bin, pixel_params.block_ground);

  std::vector<detect::CandidateResult> results;
  if (backend == Backend::Cuda) {
#ifdef CAMPSCOPE_WITH_CUDA
    results = detect::analyse_block_cuda(block, pixel_params);
#else
    throw std::runtime_error("detector: this build has no CUDA backend");
#endif
  } else {
    results = detect::analyse_block_cpu(block, pixel_params);
  }

  if (other_candidates) {
    for (const auto& r : results) {
      if (r.cls == static_cast<int>(ObjectClass::Tent)) continue;
      // A vehicle the rules found is at its region's centre; any other candidate at its own pixel.
      const bool rule_vehicle = r.cls == static_cast<int>(ObjectClass::Vehicle);
      CandidatePoint c{block.x0 + (rule_vehicle ? r.x : r.candidate_pixel % block.width + 0.5),
                       block.y0 + (rule_vehicle ? r.y : r.candidate_pixel / block.width + 0.5), rule_vehicle,
                       r.measured};
      const bool region_measured = r.measured.length_m > 0.0f;
      c.placed_x = region_measured ? block.x0 + r.x : c.x;
      c.placed_y = region_measured ? block.y0 + r.y : c.y;
      other_candidates->push_back(c);
    }
  }
  std::vector<DetectedObject> objects;
  for (const auto& r : results) {
    if (r.cls < 0) continue;
    DetectedObject o;
    o.x = r.x + block.x0;
    o.y = r.y + block.y0;
    o.cls = static_cast<ObjectClass>(r.cls);
    o.score = r.score;
    o.measured = r.measured;
    objects.push_back(o);
  }
  drop_vehicles_on_tents(objects, gsd_m);
  // Several candidates on one object grow the same region; keep one result per object, whatever its class.
  std::vector<ScoredPoint> points;
  points.reserve(objects.size());
  for (const auto& o : objects) points.push_back({o.x * gsd_m, o.y * gsd_m, o.score});
  std::vector<DetectedObject> unique;
  for (std::size_t i : suppress_duplicates(points, params.duplicate_radius_m)) unique.push_back(objects[i]);
  // Before the rows and queues are completed: a dash would seed a walk along the centre line.
  detect::drop_dashed_line_markings(block, pixel_params, unique);
  // After duplicates are gone, so that each found tent seeds its row once.
  detect::complete_tent_rows(block, pixel_params, unique);
  detect::fill_solid_covers(block, pixel_params, unique);
  detect::complete_vehicle_queues(block, pixel_params, unique);
  merge_overlapping_vehicles(unique, gsd_m, params.vehicle_min_length_m);
  drop_vehicles_cut_by_unimaged_pixels(block, unique, gsd_m);
  drop_vehicles_inside_tent_blocks(unique, gsd_m);
  std::sort(unique.begin(), unique.end(), [](const DetectedObject& a, const DetectedObject& b) {
    return a.y != b.y ? a.y < b.y : a.x < b.x;
  });
  return unique;
}

}  // namespace campscope

#include "vehicle_queues.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "block_pixels.h"
#include "cell_index.h"
#include "detect_regions_impl.h"

namespace campscope::detect {
namespace {

// Two vehicles found this far apart or nearer give a queue's line (a few vehicles may be missed between them), and
// two at least a short car's length apart.
constexpr double kMinPitchM = 3.5;
constexpr double kMaxPitchM = 40.0;
// How far past a pair the line is followed: six cars, or four trucks.
constexpr double kReachM = 40.0;
// Half the width of the strip averaged along the line: inside the narrowest car even a pixel off its axis.
constexpr double kStripHalfM = 0.5;
// The road is sampled this far to each side of the line: half a lane, where a lane meets the next or the verge.
// A vehicle of the line's lane lies within this of it, too.
constexpr double kBesideM = 1.75;
// A colour beside the line is the road's when this share of the samples there is near it.
constexpr int kRoadModePercent = 15;
// A gap longer than this ends a queue (the generated queues leave 1-2 m, the KIT mosaics' parked rows about as much).
constexpr double kMaxQueueGapM = 3.0;
// A road-coloured run this short inside a vehicle is its glass (a white car's windscreen is mid-grey).
constexpr double kMaxGlassM = 1.0;
// A found vehicle's ends, from its centre and measured length, are within this of the gaps about it: a metre for
// the measurement and the blur of the gap, and a truck found by its cargo alone has its cab (2.2 m) and the 0.3 m
// before it between one end and the road. Vehicle F1 pooled, 1 m -> 3.5 m: default seeds 1-5 0.905 -> 0.906,
// held-out 6-10 0.896 -> 0.898, hard 0.697 -> 0.697, hard 6-10 0.682 -> 0.686, the KIT mosaics 0.365 -> 0.364 (one
// more false); 1.5-3 m gave as much or less, and 3.5 m at one end only (1 m at the other) about as much.
constexpr double kEndToleranceM = 3.5;
// A vehicle put within this of one found or put already is that one.
constexpr double kTakenM = 2.0;
// Two vehicles of one lane whose extents along it overlap by more than the blur are one: the cab of a truck found by
// its cargo, walked to as a vehicle of its own. Until 2026-11-28 one extent had to hold the other's centre: vehicle
// F1 pooled, default seeds 1-5 0.906 -> 0.908, held-out 6-10 0.898 -> 0.899, hard 1-5 and 6-10 +0.0005, the KIT
// mosaics 0.364 -> 0.363 (one parked car fewer, one false fewer); overlaps of any length or of 1 m gave less.
constexpr double kOverlapM = 0.5;
// Half the length of the strip along the line averaged when measuring a vehicle's width across it.
constexpr double kAcrossStripHalfM = 0.5;
// A vehicle measured across may be wider than the widest vehicle by this on each side (blur), and narrower than the
// narrowest by this (a pale roof's blurred edges are road-like).
constexpr double kWidthSlackM = 0.5;
constexpr int kMaxQueueLength = 10;
// The line through two found vehicles lies along the sides of both, within this angle (radians, 10 degrees): a line
// between two rows of parked cars, or across a street, lies along neither.
constexpr double kAxisTolerance = 0.1745;
constexpr double kRightAngle = 1.5707963267948966;

enum class Along { Road, Object, Unimaged };

// A stretch of the line through a found vehicle, in pixels from its centre.
struct Run {
  double t0, t1;
  Along what;
  double length() const { return t1 - t0; }
};

// The line through found vehicle `a` in unit direction (dx, dy), toward a found neighbour `span` away or along a's
// own length (span 0): the road's colours beside it, and the runs of road, of other things and of pixels not imaged
// along it.
class QueueLine {
 public:
  QueueLine(const BlockPixels& pixels, const PixelParams& params, const DetectedObject& a, double dx, double dy,
            double span)
      : pixels_(pixels), params_(params), a_(a), dx_(dx), dy_(dy) {
    const double gsd = params.gsd_m;
    const double reach = kReachM / gsd, beside = kBesideM / gsd;
    using SideHistogram = ColourHistogram<std::uint32_t, PackedColourSum>;
    SideHistogram histogram;
    std::vector<const std::uint8_t*> beside_pixels;
    for (double t = -reach; t <= span + reach; t += 1.0)
      for (const double side : {-beside, beside})
        if (const std::uint8_t* p = pixels.at(a.x + t * dx - side * dy, a.y + t * dy + side * dx)) {
          histogram.add(p);
          beside_pixels.push_back(p);
        }
    const int samples = static_cast<int>(beside_pixels.size());
    if (samples == 0) return;
    SideHistogram::OccupiedBins occupied;
    histogram.occupied_bins(occupied);
    std::int64_t mass[2] = {0, 0};
    const int first = SideHistogram::mode(occupied, -1, 0, mass[0]);
    int second = SideHistogram::mode(occupied, first, 2, mass[1]);
    if (second < 0 || 100 * mass[1] < kRoadModePercent * samples) second = first;
    histogram.mode_colour(first, grounds_[0]);
    histogram.mode_colour(second, grounds_[1]);
    // A mode's colour averages 27 bins, and where a lane meets the verge they hold the blends of the two: the mean
    // of the samples near it, taken twice, is the road's own colour.
    for (int k = 0; k < 2; ++k)
      for (int round = 0; round < 2; ++round) {
        int* ground = grounds_[k];
        std::int64_t sum[3] = {0, 0, 0}, n = 0;
        for (const std::uint8_t* p : beside_pixels)
          if (colour_distance(p, ground) < params.physical.min_contrast) {
            for (int c = 0; c < 3; ++c) sum[c] += p[c];
            ++n;
          }
        if (n > 0)
          for (int c = 0; c < 3; ++c) ground[c] = static_cast<int>(sum[c] / n);
      }
    for (int c = 0; c < 3; ++c) grounds_[2][c] = params.block_ground[c];

    const int strip = static_cast<int>(std::lround(kStripHalfM / gsd));
    constexpr double kStep = 0.5;
    for (double t = -reach; t <= span + reach; t += kStep) {
      int sum[3] = {0, 0, 0}, n = 0;
      for (int s = -strip; s <= strip; ++s)
        if (const std::uint8_t* p = pixels.at(a.x + t * dx - s * dy, a.y + t * dy + s * dx)) {
          for (int c = 0; c < 3; ++c) sum[c] += p[c];
          ++n;
        }
      Along what = Along::Unimaged;
      if (n == 2 * strip + 1) {
        int mean[3];
        for (int c = 0; c < 3; ++c) mean[c] = sum[c] / n;
        what = road_like(mean, false) ? Along::Road : Along::Object;
      }
      if (runs_.empty() || runs_.back().what != what) runs_.push_back({t, t, what});
      runs_.back().t1 = t + kStep;
    }
  }

  // Whether a's extent along the line is its length: road within kEndToleranceM of both its measured ends. Across
  // a vehicle, or along a line that misses it, the runs about it are no such length.
  bool along_found_vehicle() const {
    const double half = a_.measured.length_m / 2.0 / params_.gsd_m;
    return gap_near(runs_, half) >= 0 && gap_near(runs_, -half) >= 0;
  }

  // Calls put(x, y, length_m) at the centre of each vehicle of the queue past a's end in `sense` (+1 along the
  // line, -1 against it): the next object between road runs, a vehicle's length long, that the road runs inside
  // it are glass, and that no gap longer than a queue's or unimaged pixels separate from the last; the road run
  // ending it is the widest a vehicle's length allows (the gap, not the glass). A vehicle's length here is the
  // stretch between road runs less the blur, with none of the slack a rounded region's moments get: shorter
  // stretches were a truck's cab cut from its cargo (with 0.7 m of slack, as for regions, 15 more false vehicles
  // on default seeds 1-5 for one more true).
  template <typename Put>
  void walk(int sense, const Put& put) const {
    const double gsd = params_.gsd_m;
    const double min_length = params_.physical.vehicle_min_length_m / gsd;
    const double max_length = params_.physical.vehicle_max_length_m / gsd;
    const double blur = params_.vehicle_blur_m / gsd;
    std::vector<Run> order;
    for (const Run& r : runs_) order.push_back(sense > 0 ? r : Run{-r.t1, -r.t0, r.what});
    if (sense < 0) std::reverse(order.begin(), order.end());
    int gap = gap_near(order, a_.measured.length_m / 2.0 / gsd);
    for (int members = 0; gap >= 0 && members < kMaxQueueLength; ++members) {
      if (order[gap].length() > kMaxQueueGapM / gsd) return;
      const double start = order[gap].t1;
      int end = -1;
      for (std::size_t j = gap + 1; j < order.size(); ++j) {
        if (order[j].what == Along::Unimaged) break;
        if (order[j].what != Along::Road) continue;
        const double length = order[j].t0 - start - blur;
        if (length > max_length || (length < min_length && order[j].length() > kMaxGlassM / gsd)) break;
        if (length >= min_length && (end < 0 || order[j].length() > order[end].length())) end = static_cast<int>(j);
      }
      // The last run is cut by the reach: what lies past a short one is unknown.
      if (end < 0 || (end + 1 == static_cast<int>(order.size()) && order[end].length() <= kMaxQueueGapM / gsd)) return;
      const double t = sense * 0.5 * (start + order[end].t0);
      put(a_.x + t * dx_, a_.y + t * dy_, (order[end].t0 - start - blur) * gsd);
      gap = end;
    }
  }

  // Whether the object on the line at (x, y), `length_m` long, is a vehicle's width: across it, a quarter of its
  // length before its centre, at it and after it, road on both sides, no further apart than the widest vehicle's
  // width and a blurred edge on each side (a tent or a roof is wider; a lane's width of road lies between two
  // queues; the line may be off the vehicle's axis by as much as a found centre is off), and at one of them at least
  // the narrowest vehicle's width of something else (a windscreen blurred with pale paint is road-like, and can
  // fill one of them). `middle` is set to where the vehicle's middle lies across the line, in pixels along (-dy, dx):
  // the median over the three cuts. The line runs through the centre of the vehicle it was walked from, which is
  // off its lane's axis wherever that vehicle was found by a part of its width (a grey cargo's paler half); put on
  // the line, the next vehicles would be as far off. Vehicle F1 pooled over seeds: default 1-5 0.908 -> 0.909 (one
  // more found, 4 false fewer), held-out 6-10 0.899 -> 0.902 (+4/-5), hard 1-5 0.697 -> 0.698 (-6 false), hard 6-10
  // 0.687 -> 0.687, the KIT mosaics unchanged.
  bool vehicle_wide_at(double x, double y, double length_m, double& middle) const {
    const double gsd = params_.gsd_m;
    double middles[3];
    int cut = 0;
    const double limit = (params_.physical.vehicle_max_width_m + 2.0 * kWidthSlackM) / gsd;
    double widest = 0.0;
    for (const double u : {-0.25, 0.0, 0.25}) {
      const double cx = x + u * length_m / gsd * dx_, cy = y + u * length_m / gsd * dy_;
      double width = 0.0, reach[2];
      for (const double side : {-1.0, 1.0}) {
        double s = 0.0;
        while (width + s <= limit && !road_across(cx - side * s * dy_, cy + side * s * dx_)) s += 0.5;
        width += s;
        reach[side > 0] = s;
        if (width > limit) return false;
      }
      middles[cut++] = 0.5 * (reach[1] - reach[0]);
      widest = std::max(widest, width * gsd);
    }
    std::sort(middles, middles + 3);
    middle = middles[1];
    return widest >= params_.physical.vehicle_min_width_m - kWidthSlackM;
  }

 private:
  // Near one of the road's colours (the two beside the line, and the block's ground), or a blend of the two beside
  // it; with `edge_blends`, or a blend of either with the block's ground too: across a lane its edge blurs asphalt
  // into the soil. Along the line those blends are also a beige cargo's colours (taking them there cost default
  // seeds 1-5 vehicle F1 0.872 -> 0.867).
  bool road_like(const int* colour, bool edge_blends) const {
    const int within = params_.physical.min_contrast;
    for (const auto& ground : grounds_)
      if (colour_distance(colour, ground) < within) return true;
    const std::uint8_t c8[3] = {static_cast<std::uint8_t>(colour[0]), static_cast<std::uint8_t>(colour[1]),
                                static_cast<std::uint8_t>(colour[2])};
    const std::int64_t blend_within = 2 * params_.physical.ground_tolerance;
    if (ColourSegment(grounds_[0], grounds_[1]).within(c8, blend_within * blend_within)) return true;
    return edge_blends && (ColourSegment(grounds_[0], grounds_[2]).within(c8, blend_within * blend_within) ||
                           ColourSegment(grounds_[1], grounds_[2]).within(c8, blend_within * blend_within));
  }

  // The mean along the line of kAcrossStripHalfM about (x, y) is road-like (or not imaged).
  bool road_across(double x, double y) const {
    const double half = kAcrossStripHalfM / params_.gsd_m;
    int sum[3] = {0, 0, 0}, n = 0;
    for (double u = -half; u <= half; u += 1.0) {
      const std::uint8_t* p = pixels_.at(x + u * dx_, y + u * dy_);
      if (!p) return true;
      for (int c = 0; c < 3; ++c) sum[c] += p[c];
      ++n;
    }
    int mean[3];
    for (int c = 0; c < 3; ++c) mean[c] = sum[c] / n;
    return road_like(mean, true);
  }

  // The road run of `runs` nearest position t, within kEndToleranceM of it; -1 if none.
  int gap_near(const std::vector<Run>& runs, double t) const {
    int nearest = -1;
    double best = kEndToleranceM / params_.gsd_m;
    for (std::size_t i = 0; i < runs.size(); ++i) {
      if (runs[i].what != Along::Road) continue;
      const double miss = std::max({0.0, runs[i].t0 - t, t - runs[i].t1});
      if (miss < best || (nearest < 0 && miss <= best)) {
        best = miss;
        nearest = static_cast<int>(i);
      }
    }
    return nearest;
  }

  const BlockPixels& pixels_;
  const PixelParams& params_;
  const DetectedObject& a_;
  double dx_, dy_;
  int grounds_[3][3] = {};
  std::vector<Run> runs_;
};

}  // namespace

void complete_vehicle_queues(const RgbBlock& block, const PixelParams& params, std::vector<DetectedObject>& objects) {
  const double gsd = params.gsd_m;
  const double min_pitch = kMinPitchM / gsd, max_pitch = kMaxPitchM / gsd, taken = kTakenM / gsd;
  const double overlap = kOverlapM / gsd;
  const double lane_half = kBesideM / gsd, longest = params.physical.vehicle_max_length_m / gsd;
  const BlockPixels pixels(block);
  CellIndex<std::size_t> found_near(max_pitch);
  std::vector<std::size_t> found;
  for (std::size_t i = 0; i < objects.size(); ++i)
    if (objects[i].cls == ObjectClass::Vehicle) {
      found_near.add(objects[i].x, objects[i].y, i);
      found.push_back(i);
    }
  // Each found vehicle's sides (BlockPixels::sides_of), as an angle; NaN where they cannot be told.
  std::vector<double> side_angle(objects.size(), std::nan(""));
  for (const std::size_t i : found) {
    const DetectedObject& o = objects[i];
    const int colour[3] = {static_cast<int>(o.measured.colour[0]), static_cast<int>(o.measured.colour[1]),
                           static_cast<int>(o.measured.colour[2])};
    const int half = static_cast<int>(std::ceil(0.5 * o.measured.length_m / gsd));
    double ax, ay;
    if (pixels.sides_of(o.x, o.y, half, colour, params.physical.min_contrast / 2, ax, ay))
      side_angle[i] = std::atan2(ay, ax);
  }
  const auto along_sides_of = [&](std::size_t i, double dx, double dy) {
    if (std::isnan(side_angle[i])) return false;
    const double turn = std::fmod(std::abs(std::atan2(dy, dx) - side_angle[i]), kRightAngle);
    return std::min(turn, kRightAngle - turn) <= kAxisTolerance;
  };
  std::vector<DetectedObject> put;
  CellIndex<std::size_t> put_near(longest);
  // Walks the line through found vehicle a in direction (dx, dy) both ways, sampled `span` past a and kReachM
  // beyond either end.
  const auto complete_along = [&](const DetectedObject& a, double dx, double dy, double span) {
    const QueueLine line(pixels, params, a, dx, dy, span);
    if (!line.along_found_vehicle()) return;
    // A vehicle found or put already is the one at (x, y), `length_px` long, when within kTakenM of it, or in the
    // lane with their extents along the line overlapping by more than kOverlapM: a truck found about its cab, then
    // met again at its cargo, or found by its cargo and walked to its cab.
    const auto same_vehicle = [&](const DetectedObject& o, double x, double y, double length_px) {
      const double along = (o.x - x) * dx + (o.y - y) * dy, off = std::abs((o.y - y) * dx - (o.x - x) * dy);
      return std::hypot(o.x - x, o.y - y) < taken ||
             (off < lane_half && std::abs(along) < 0.5 * (length_px + o.measured.length_m / gsd) - overlap);
    };
    for (const int sense : {1, -1})
      line.walk(sense, [&](double x, double y, double length_m) {
        double middle = 0.0;
        if (!line.vehicle_wide_at(x, y, length_m, middle)) return;
        // Found or put already is judged where the vehicle would stand, its middle across the line: a line half a
        // lane beside a truck found by its cargo (the road bends a few degrees from where the line was walked) met
        // its cab, and the middle put the vehicle on the truck. Vehicle F1 pooled, judged on the line before:
        // default seeds 1-5 0.9186 -> 0.9198 (2 more found, 2 false fewer), held-out 6-10, hard 1-5 and 6-10 and
        // the KIT mosaics unchanged.
        const double put_x = x - middle * dy, put_y = y + middle * dx;
        bool there = false;
        found_near.for_each_near(put_x, put_y, longest, [&](std::size_t k) {
          there = there || same_vehicle(objects[k], put_x, put_y, length_m / gsd);
        });
        put_near.for_each_near(put_x, put_y, longest, [&](std::size_t k) {
          there = there || same_vehicle(put[k], put_x, put_y, length_m / gsd);
        });
        if (there) return;
        DetectedObject vehicle = a;
        vehicle.x = put_x;
        vehicle.y = put_y;
        vehicle.measured.length_m = static_cast<float>(length_m);
        vehicle.measured.axis[0] = static_cast<float>(dx);  // measured along the line
        vehicle.measured.axis[1] = static_cast<float>(dy);
        vehicle.completed = true;
        put_near.add(vehicle.x, vehicle.y, put.size());
        put.push_back(vehicle);
      });
  };
  for (const std::size_t ai : found) {
    const DetectedObject& a = objects[ai];
    found_near.for_each_near(a.x, a.y, max_pitch, [&](std::size_t bi) {
      if (bi <= ai) return;
      const DetectedObject& b = objects[bi];
      const double pitch = std::hypot(b.x - a.x, b.y - a.y);
      if (pitch < min_pitch || pitch > max_pitch) return;
      const double dx = (b.x - a.x) / pitch, dy = (b.y - a.y) / pitch;
      if (along_sides_of(ai, dx, dy) && along_sides_of(bi, dx, dy)) complete_along(a, dx, dy, pitch);
    });
  }
  // Then along each found vehicle's own length, where no pair gave its lane: a queue with one vehicle found.
  for (const std::size_t ai : found)
    if (!std::isnan(side_angle[ai])) complete_along(objects[ai], std::cos(side_angle[ai]), std::sin(side_angle[ai]), 0.0);
  objects.insert(objects.end(), put.begin(), put.end());
}

}  // namespace campscope::detect

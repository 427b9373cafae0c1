#include "road_markings.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <vector>

#include "block_pixels.h"
#include "detect_regions_impl.h"
#include "parallel_for.h"

namespace campscope::detect {
namespace {

// Directions tried through each vehicle: every 2.5 degrees, so that two pitches away (18 m) the line is off a dash's
// axis by under a pixel at 1 m.
constexpr int kDirections = 72;
// The road between two dashes is longer than any gap of a queue (vehicle_queues: at most 3 m), and the pitch no
// longer than a dashed line's (3 m dashes every 9 m in the generated scenes, 6 m every 18 m on motorways).
constexpr double kMinDashGapM = 3.5;
constexpr double kMaxPitchM = 18.0;
// Two dashes of a line lie at whole multiples of its pitch within this: the line is sampled every half pixel, and a
// blurred dash's ends fall a pixel either way.
constexpr double kPitchToleranceM = 0.75;
// A dash's run is at least this long, and two pixels: a few samples of a colour are the speckle of soil or of
// compression, which repeats at any pitch one looks for. Default seeds 1-5: with two pixels alone, 4 cars beside
// tent blocks were dropped, at 2.5 m one.
constexpr double kMinDashM = 2.5;
// Another dash is as long as the vehicle's own run within this share of it and a pixel (blur).
constexpr double kDashLengthShare = 0.5;
constexpr double kStep = 0.5;  // pixels between samples along a line

struct Run {
  double t0 = 0.0, t1 = 0.0;  // pixels from the vehicle's centre along the line: first sample, last one + kStep
  int sum[3] = {0, 0, 0};     // of the colours sampled along it
  int samples = 0;
  double middle() const { return 0.5 * (t0 + t1); }
  double length() const { return t1 - t0; }
  void mean(int* colour) const {
    for (int c = 0; c < 3; ++c) colour[c] = sum[c] / samples;
  }
};

// The line through a vehicle's centre in one direction, sampled every kStep pixels: a sample is of the vehicle's
// colour when nearer it than its ground. A run of the colour is broken only where two samples in a row are not
// (compression flips single samples), and ends where the line leaves the imaged pixels. Runs are looked for
// outward from the centre as far as needed: most directions through a vehicle cross it, and end there.
class LineThrough {
 public:
  LineThrough(const BlockPixels& pixels, const DetectedObject& v, double dx, double dy)
      : pixels_(pixels), x_(v.x), y_(v.y), dx_(dx), dy_(dy) {
    for (int c = 0; c < 3; ++c) {
      colour_[c] = static_cast<int>(v.measured.colour[c]);
      ground_[c] = static_cast<int>(v.measured.ground[c]);
    }
  }

  // The line at right angles to this one through the point `t` pixels along it, judged by the same colours.
  LineThrough across_at(double t) const {
    LineThrough across = *this;
    across.x_ = x_ + t * dx_;
    across.y_ = y_ + t * dy_;
    across.dx_ = -dy_;
    across.dy_ = dx_;
    return across;
  }

  // The run holding the centre; none where the centre's sample is not of the colour.
  std::optional<Run> centre_run() const {
    if (!of_colour(0.0)) return std::nullopt;
    Run run;
    add(run, 0.0);
    run.t0 = extend(run, 0.0, -1);
    run.t1 = extend(run, 0.0, 1) + kStep;
    return run;
  }

  // The next run past `from` (the last sample of a run) in `sense` (+1 or -1), starting within `within` pixels of
  // it; none past the imaged pixels.
  std::optional<Run> next_run(double from, int sense, double within) const {
    for (double t = from + sense * kStep; std::abs(t - from) <= within; t += sense * kStep) {
      const std::uint8_t* p = at(t);
      if (!p) return std::nullopt;
      if (!nearer_colour(p)) continue;
      Run run;
      add(run, t);
      const double end = extend(run, t, sense);
      run.t0 = sense > 0 ? t : end;
      run.t1 = (sense > 0 ? end : t) + kStep;
      return run;
    }
    return std::nullopt;
  }

 private:
  const std::uint8_t* at(double t) const { return pixels_.at(x_ + t * dx_, y_ + t * dy_); }
  bool nearer_colour(const std::uint8_t* p) const { return colour_distance(p, colour_) < colour_distance(p, ground_); }
  bool of_colour(double t) const {
    const std::uint8_t* p = at(t);
    return p && nearer_colour(p);
  }
  void add(Run& run, double t) const {
    const std::uint8_t* p = at(t);
    for (int c = 0; c < 3; ++c) run.sum[c] += p[c];
    ++run.samples;
  }
  // Adds the samples of the colour past t in `sense` up to the run's end to `run`; returns the last one's position.
  double extend(Run& run, double t, int sense) const {
    double last = t;
    for (double u = t + sense * kStep;; u += sense * kStep) {
      if (of_colour(u)) {
        add(run, u);
        last = u;
      } else if (!of_colour(u + sense * kStep)) {
        return last;
      }
    }
  }

  const BlockPixels& pixels_;
  double x_, y_, dx_, dy_;
  int colour_[3], ground_[3];
};

// Whether the run through the vehicle's centre along `line` is repeated at one pitch: by its nearest neighbours on
// both sides at the same distance, or by the next two on one side at one and two pitches; each about as long and as
// wide as it (within kDashLengthShare and a pixel) and of its colour (within the contrast threshold), with nothing
// of that colour between. The widths keep the tents of a block from repeating a car parked in line with a row of
// them (default seeds 1-5: 3 such cars of 4 dropped without; hard seeds 1-5 cost 7 more false vehicles).
bool repeats_at_one_pitch(const LineThrough& line, const Run& own, const PixelParams& params) {
  const double gsd = params.gsd_m;
  const double min_gap = kMinDashGapM / gsd, max_pitch = kMaxPitchM / gsd, tolerance = kPitchToleranceM / gsd;
  int own_colour[3];
  own.mean(own_colour);
  const auto alike = [](double a, double b) { return std::abs(a - b) <= kDashLengthShare * b + 1.0; };
  const auto width_at = [&](double t) {
    const std::optional<Run> across = line.across_at(t).centre_run();
    return across ? across->length() : 0.0;
  };
  std::optional<double> own_width;
  const auto like_own = [&](const Run& r) {
    int colour[3];
    r.mean(colour);
    if (!alike(r.length(), own.length()) || colour_distance(colour, own_colour) > params.physical.min_contrast)
      return false;
    if (!own_width) own_width = width_at(own.middle());
    return alike(width_at(r.middle()), *own_width);
  };
  // The distances between the middles of own and the next run past it in `sense`, and of that run and the one after
  // it; cut short at a run unlike own, too near its predecessor or too far from it.
  const auto next_pitches = [&](int sense) {
    std::vector<double> pitches;
    Run last = own;
    while (pitches.size() < 2) {
      const std::optional<Run> next = line.next_run(sense > 0 ? last.t1 - kStep : last.t0, sense, max_pitch);
      if (!next) break;
      const double gap = sense > 0 ? next->t0 - last.t1 : last.t0 - next->t1;
      const double pitch = std::abs(next->middle() - last.middle());
      if (!like_own(*next) || gap < min_gap || pitch > max_pitch) break;
      pitches.push_back(pitch);
      last = *next;
    }
    return pitches;
  };
  const std::vector<double> ahead = next_pitches(1);
  if (ahead.size() == 2 && std::abs(ahead[0] - ahead[1]) <= tolerance) return true;
  const std::vector<double> behind = next_pitches(-1);
  if (!ahead.empty() && !behind.empty() && std::abs(ahead[0] - behind[0]) <= tolerance) return true;
  return behind.size() == 2 && std::abs(behind[0] - behind[1]) <= tolerance;
}

bool on_a_dashed_line(const BlockPixels& pixels, const PixelParams& params, const DetectedObject& v) {
  const double min_dash = std::max(2.0, kMinDashM / params.gsd_m);
  for (int k = 0; k < kDirections; ++k) {
    const double angle = M_PI * k / kDirections, dx = std::cos(angle), dy = std::sin(angle);
    const LineThrough along(pixels, v, dx, dy);
    const std::optional<Run> own = along.centre_run();
    if (!own || own->length() < min_dash || !repeats_at_one_pitch(along, *own, params)) continue;
    // A dashed line runs along its dashes' length, not across it.
    const std::optional<Run> across = along.across_at(0.0).centre_run();
    if (!across || own->length() >= across->length()) return true;
  }
  return false;
}

}  // namespace

void drop_dashed_line_markings(const RgbBlock& block, const PixelParams& params, std::vector<DetectedObject>& objects) {
  const BlockPixels pixels(block);
  std::vector<char> dash(objects.size(), 0);
  parallel_for_cpu(static_cast<std::int64_t>(objects.size()), [&](std::int64_t i) {
    const DetectedObject& o = objects[static_cast<std::size_t>(i)];
    dash[static_cast<std::size_t>(i)] = o.cls == ObjectClass::Vehicle && on_a_dashed_line(pixels, params, o);
  });
  std::size_t kept = 0;
  for (std::size_t i = 0; i < objects.size(); ++i)
    if (!dash[i]) objects[kept++] = objects[i];
  objects.resize(kept);
}

}  // namespace campscope::detect

#include "solid_covers.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <vector>

#include "detect_regions_impl.h"

namespace campscope::detect {
namespace {

// Coarser than this a metre's gap is under one and a half pixels, blurred into the covers beside it.
constexpr double kSolidCoverMinGsdM = 0.7;
// A packed block's tents stand this far apart, centre to centre: a family tent of 4-5 m and a gap of 1-2 m. The
// tents the region stage measures at these pixels cannot tell it better: their median side in a hard-profile block at
// 1 m was 3.2-4.0 m (blur-corrected, hazy), and a pitch from it put six lattice points where four tents stand.
constexpr double kBlockPitchM = 6.0;
constexpr double kBlockGapM = 1.5;
// The pitches a cover's periodic colour is looked for at, in steps of a twentieth of a pixel, and the share of the
// profile's variance their sinusoid must explain: 0.56 and 0.72 along and across a 4 x 9 block at 1 m whose gaps
// show, 0.08 and 0.03 along and across the solid 2 x 8 block at Deir Hassan (hard seed 2).
constexpr double kMinPitchM = 4.0, kMaxPitchM = 8.0, kPeriodStepPx = 0.05;
constexpr double kMinPeriodicShare = 0.2;
// A block of tents is a rectangle: its cover fills most of its fitted rectangle (a 2 x 8 block at 1 m, 96%).
constexpr double kMinCoverFill = 0.75;
// Larger than a block of 12 x 6 tents: a blue roof or field, not tents. Its flood stops there.
constexpr double kMaxCoverM2 = 3000.0;
// A cover smaller than three tents' lattice cells (108 m^2) is one large tent or two, blurred, which the region stage
// sees whole; so are fewer lattice points. Hard seeds 1-5: two 8.5 x 8 m covers otherwise got four tents each.
constexpr double kMinCoverCells = 3.0;
constexpr std::size_t kMinLatticePoints = 4;

struct Cover {
  double cx, cy;  // centroid, block pixels (pixel centres at +0.5)
  FittedRectangle rectangle;
  double fill;  // pixels over the fitted rectangle's area
};

Cover fit_cover(const std::vector<std::int64_t>& pixels, int block_width) {
  double sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
  for (const std::int64_t p : pixels) {
    const double x = static_cast<double>(p % block_width), y = static_cast<double>(p / block_width);
    sx += x;
    sy += y;
    sxx += x * x;
    syy += y * y;
    sxy += x * y;
  }
  const double n = static_cast<double>(pixels.size());
  const FittedRectangle r = fit_rectangle(n, sx, sy, sxx, syy, sxy);
  return {r.mean_x + 0.5, r.mean_y + 0.5, r, n / (r.length * r.width)};
}

// The pitch of a cover's tents along the unit vector (dx, dy), in pixels. Where the gaps still show a little (at 1 m
// a 1.5 m gap of soil is a pixel of blend), the cover's colour distance from the ground along that direction rises
// and falls once a tent: the period in the tents' pitch range whose sinusoid explains at least kMinPeriodicShare of
// that profile's variance, over at least three periods. Otherwise the typical pitch.
double pitch_along(const RgbBlock& block, const std::vector<std::int64_t>& members, const Cover& c, const int* ground,
                   double dx, double dy, double gsd_m) {
  constexpr double kPi = 3.14159265358979323846;
  std::vector<double> offsets(members.size());
  double lo = 0.0, hi = 0.0;
  for (std::size_t k = 0; k < members.size(); ++k) {
    const double x = static_cast<double>(members[k] % block.width) + 0.5;
    const double y = static_cast<double>(members[k] / block.width) + 0.5;
    offsets[k] = (x - c.cx) * dx + (y - c.cy) * dy;
    lo = std::min(lo, offsets[k]);
    hi = std::max(hi, offsets[k]);
  }
  const std::size_t bins = static_cast<std::size_t>(hi - lo) + 1;
  std::vector<double> sum(bins, 0.0), count(bins, 0.0);
  for (std::size_t k = 0; k < members.size(); ++k) {
    const std::uint8_t* pixel = block.rgb.data() + 3 * members[k];
    const std::size_t b = static_cast<std::size_t>(offsets[k] - lo);
    sum[b] += colour_distance(pixel, ground);
    count[b] += 1.0;
  }
  const double mean = std::accumulate(sum.begin(), sum.end(), 0.0) / static_cast<double>(members.size());
  double variance = 0.0;
  for (std::size_t b = 0; b < bins; ++b)
    if (count[b] > 0.0) variance += count[b] * (sum[b] / count[b] - mean) * (sum[b] / count[b] - mean);
  double best_share = 0.0, best_period = 0.0;
  for (double period = kMinPitchM / gsd_m; period <= kMaxPitchM / gsd_m && 3.0 * period <= hi - lo;
       period += kPeriodStepPx) {
    // The sinusoid at bin b's middle, 2 pi (b + 0.5) / period, turned a bin at a time.
    const double step = 2.0 * kPi / period, step_cos = std::cos(step), step_sin = std::sin(step);
    double cos_b = std::cos(0.5 * step), sin_b = std::sin(0.5 * step);
    double in_phase = 0.0, quadrature = 0.0;
    for (std::size_t b = 0; b < bins; ++b) {
      if (count[b] > 0.0) {
        in_phase += count[b] * (sum[b] / count[b] - mean) * cos_b;
        quadrature += count[b] * (sum[b] / count[b] - mean) * sin_b;
      }
      const double next_cos = cos_b * step_cos - sin_b * step_sin;
      sin_b = sin_b * step_cos + cos_b * step_sin;
      cos_b = next_cos;
    }
    const double share = variance > 0.0 ? (in_phase * in_phase + quadrature * quadrature) /
                                              (0.5 * variance * static_cast<double>(members.size()))
                                        : 0.0;
    if (share > best_share) {
      best_share = share;
      best_period = period;
    }
  }
  return best_share >= kMinPeriodicShare ? best_period : kBlockPitchM / gsd_m;
}

// Offsets from a cover's centroid of as many tents as `pitch` fits into its `extent` (pixels), spread evenly: the
// cover reaches half a gap short of the lattice's outer cells on every side.
std::vector<double> spread_over(double extent, double pitch, double gsd_m) {
  const int n = std::max(1, static_cast<int>(std::lround((extent + kBlockGapM / gsd_m) / pitch)));
  std::vector<double> offsets;
  for (int k = 0; k < n; ++k) offsets.push_back((k - 0.5 * (n - 1)) * extent / n);
  return offsets;
}

}  // namespace

void fill_solid_covers(const RgbBlock& block, const PixelParams& params, std::vector<DetectedObject>& objects) {
  if (params.gsd_m < kSolidCoverMinGsdM) return;
  const DetectorParams& physical = params.physical;
  const auto blue_tent = [&](const DetectedObject& o) {
    return o.cls == ObjectClass::Tent && tarpaulin_blue(o.measured.colour, physical);
  };
  if (std::none_of(objects.begin(), objects.end(), blue_tent)) return;
  const double pitch = kBlockPitchM / params.gsd_m;
  const std::size_t max_pixels = static_cast<std::size_t>(kMaxCoverM2 / (params.gsd_m * params.gsd_m));

  const int w = block.width, h = block.height;
  const auto pixel_of = [&](double x, double y) -> std::int64_t {
    const int px = static_cast<int>(std::floor(x)) - block.x0, py = static_cast<int>(std::floor(y)) - block.y0;
    return px < 0 || py < 0 || px >= w || py >= h ? -1 : static_cast<std::int64_t>(py) * w + px;
  };
  const auto blue_at = [&](std::int64_t p) {
    return block.valid[static_cast<std::size_t>(p)] && tarpaulin_blue(block.rgb.data() + 3 * p, physical);
  };
  // Kept on the thread from block to block: a fresh block-sized map would fault in its pages every time.
  thread_local std::vector<std::int32_t> cover_of;
  cover_of.assign(static_cast<std::size_t>(w) * h, -1);
  std::vector<std::int64_t> members;
  std::vector<DetectedObject> added;
  std::int32_t covers = 0;
  const std::size_t found = objects.size();
  std::vector<char> off_lattice(found, 0);
  for (std::size_t i = 0; i < found; ++i) {
    const DetectedObject seed = objects[i];
    const std::int64_t start = pixel_of(seed.x, seed.y);
    if (!blue_tent(seed) || start < 0 || cover_of[static_cast<std::size_t>(start)] >= 0 || !blue_at(start)) continue;
    const std::int32_t cover = covers++;
    members.assign(1, start);
    cover_of[static_cast<std::size_t>(start)] = cover;
    for (std::size_t k = 0; k < members.size() && members.size() <= max_pixels; ++k) {
      const std::int64_t p = members[k];
      const int x = static_cast<int>(p % w), y = static_cast<int>(p / w);
      const std::int64_t next[4] = {x > 0 ? p - 1 : -1, x + 1 < w ? p + 1 : -1, y > 0 ? p - w : -1,
                                    y + 1 < h ? p + w : -1};
      for (const std::int64_t q : next)
        if (q >= 0 && cover_of[static_cast<std::size_t>(q)] < 0 && blue_at(q)) {
          cover_of[static_cast<std::size_t>(q)] = cover;
          members.push_back(q);
        }
    }
    if (members.size() > max_pixels) continue;
    const Cover c = fit_cover(members, w);
    if (c.fill < kMinCoverFill || static_cast<double>(members.size()) < kMinCoverCells * pitch * pitch) continue;
    const FittedRectangle& r = c.rectangle;
    const double pitch_u = pitch_along(block, members, c, params.block_ground, r.axis_x, r.axis_y, params.gsd_m);
    const double pitch_v = pitch_along(block, members, c, params.block_ground, -r.axis_y, r.axis_x, params.gsd_m);
    const std::vector<double> along = spread_over(r.length, pitch_u, params.gsd_m);
    const std::vector<double> across = spread_over(r.width, pitch_v, params.gsd_m);
    const double apart = 0.5 * std::min(r.length / along.size(), r.width / across.size());
    std::vector<std::size_t> standing;  // the tents found in the cover
    for (std::size_t k = 0; k < found; ++k) {
      const std::int64_t p = pixel_of(objects[k].x, objects[k].y);
      if (objects[k].cls == ObjectClass::Tent && p >= 0 && cover_of[static_cast<std::size_t>(p)] == cover)
        standing.push_back(k);
    }
    std::vector<std::pair<double, double>> lattice;
    for (const double u : along)
      for (const double v : across) {
        const double x = block.x0 + c.cx + u * r.axis_x - v * r.axis_y;
        const double y = block.y0 + c.cy + u * r.axis_y + v * r.axis_x;
        const std::int64_t p = pixel_of(x, y);
        if (p >= 0 && cover_of[static_cast<std::size_t>(p)] == cover) lattice.emplace_back(x, y);
      }
    // Where the gaps show, the region stage and complete_tent_rows found most of the block's tents on its own
    // lattice, which the typical pitch need not match.
    if (lattice.size() < kMinLatticePoints || 2 * standing.size() >= lattice.size()) continue;
    // Otherwise the lattice is the block: a found tent keeps the lattice point within half a step of it, a bare point
    // gets a tent, and a found tent on no point (the region stage's centres fall between a solid block's rows) goes.
    std::vector<char> on_lattice(standing.size(), 0);
    for (const auto& [x, y] : lattice) {
      std::size_t nearest = standing.size();
      double nearest_distance = apart;
      for (std::size_t k = 0; k < standing.size(); ++k) {
        const double d = std::hypot(objects[standing[k]].x - x, objects[standing[k]].y - y);
        if (!on_lattice[k] && d < nearest_distance) {
          nearest = k;
          nearest_distance = d;
        }
      }
      if (nearest < standing.size()) {
        on_lattice[nearest] = 1;
        continue;
      }
      DetectedObject tent = seed;
      tent.x = x;
      tent.y = y;
      tent.completed = true;
      added.push_back(tent);
    }
    for (std::size_t k = 0; k < standing.size(); ++k)
      if (!on_lattice[k]) off_lattice[standing[k]] = 1;
  }
  std::size_t kept = 0;
  for (std::size_t k = 0; k < found; ++k)
    if (!off_lattice[k]) objects[kept++] = objects[k];
  objects.resize(kept);
  objects.insert(objects.end(), added.begin(), added.end());
}

}  // namespace campscope::detect

// Per-candidate detector stages: region growing around a candidate and its classification. Integer arithmetic up
// to the region moments; the float steps after them run in the same order without FMA contraction on both backends.
#pragma once
#include <cmath>
#include <cstdint>

#include "detect_impl.h"

namespace campscope::detect {

template <typename Channel>
CAMPSCOPE_HD int colour_distance(const Channel* p, const int* mean) {
  int d = 0;
  for (int c = 0; c < 3; ++c) {
    const int diff = p[c] - mean[c];
    d += diff < 0 ? -diff : diff;
  }
  return d;
}

// Squared Euclidean distance from colour p to the segment a-b in RGB, in exact integer arithmetic.
CAMPSCOPE_HD std::int64_t segment_distance_sq(const std::uint8_t* p, const int* a, const int* b) {
  std::int64_t along = 0, length_sq = 0, to_a_sq = 0;
  for (int c = 0; c < 3; ++c) {
    const std::int64_t d = b[c] - a[c];
    const std::int64_t v = p[c] - a[c];
    along += v * d;
    length_sq += d * d;
    to_a_sq += v * v;
  }
  if (along <= 0 || length_sq == 0) return to_a_sq;
  if (along >= length_sq) {
    std::int64_t to_b_sq = 0;
    for (int c = 0; c < 3; ++c) to_b_sq += static_cast<std::int64_t>(p[c] - b[c]) * (p[c] - b[c]);
    return to_b_sq;
  }
  return to_a_sq - along * along / length_sq;
}

CAMPSCOPE_HD double luma(const double* rgb) { return (77.0 * rgb[0] + 150.0 * rgb[1] + 29.0 * rgb[2]) / 256.0; }
CAMPSCOPE_HD int luma_of(const int* rgb) { return (77 * rgb[0] + 150 * rgb[1] + 29 * rgb[2]) >> 8; }
CAMPSCOPE_HD int luma_of_pixel(const std::uint8_t* rgb) { return (77 * rgb[0] + 150 * rgb[1] + 29 * rgb[2]) >> 8; }

struct RegionFeatures {
  std::int64_t n = 0;
  double cx = 0, cy = 0;        // block pixel coordinates of the centroid (pixel centres at +0.5)
  double length_px = 0, width_px = 0;
  double mean[3] = {0, 0, 0};
  double background[3] = {0, 0, 0};
  double contrast = 0;  // mean L1 colour distance of the region's pixels from the ground they stand on
  bool touches_window = false;
};

// The square of pixels an object centred near (cx, cy) must fit in, clipped to the block.
struct RegionWindow {
  int x0, y0, x1, y1;
  CAMPSCOPE_HD RegionWindow(int cx, int cy, int radius, int width, int height)
      : x0(cx - radius < 0 ? 0 : cx - radius),
        y0(cy - radius < 0 ? 0 : cy - radius),
        x1(cx + radius + 1 > width ? width : cx + radius + 1),
        y1(cy + radius + 1 > height ? height : cy + radius + 1) {}
  CAMPSCOPE_HD int side() const { return x1 - x0; }
  CAMPSCOPE_HD bool contains(int x, int y) const { return x >= x0 && y >= y0 && x < x1 && y < y1; }
};

// Mean colour of the valid pixels of a box, optionally only those within `max_distance` of `like`.
CAMPSCOPE_HD bool box_mean(const std::uint8_t* rgb, const std::uint8_t* valid, int width, int height, int x0, int y0,
                           int x1, int y1, const int* like, int max_distance, int* mean) {
  std::int64_t sum[3] = {0, 0, 0};
  std::int64_t n = 0;
  for (int y = y0 < 0 ? 0 : y0; y < (y1 > height ? height : y1); ++y) {
    for (int x = x0 < 0 ? 0 : x0; x < (x1 > width ? width : x1); ++x) {
      const std::int64_t p = static_cast<std::int64_t>(y) * width + x;
      if (!valid[p] || (like && colour_distance(rgb + p * 3, like) > max_distance)) continue;
      for (int c = 0; c < 3; ++c) sum[c] += rgb[p * 3 + c];
      ++n;
    }
  }
  if (n == 0) return false;
  for (int c = 0; c < 3; ++c) mean[c] = static_cast<int>(sum[c] / n);
  return true;
}

// The 4-connected region of pixels with a positive `strength` (their colour distance from the ground), grown breadth-first from (sx, sy) inside `window` with a
// bounded queue of window-local indices; its size, centroid, second moments and mean colour.
template <typename Strength>
CAMPSCOPE_HD bool flood_region(const std::uint8_t* rgb, int width, const RegionWindow& window, int sx, int sy,
                               const Strength& strength, RegionFeatures& f) {
  if (!window.contains(sx, sy) || strength(sx, sy) <= 0) return false;
  const int wside = window.side();
  std::uint32_t visited[(kMaxRegionPixels + 31) / 32] = {};
  std::uint16_t queue[kMaxRegionPixels];
  int head = 0, tail = 0;
  const int start = (sy - window.y0) * wside + (sx - window.x0);
  visited[start >> 5] |= 1u << (start & 31);
  queue[tail++] = static_cast<std::uint16_t>(start);

  std::int64_t sum_x = 0, sum_y = 0, sum_xx = 0, sum_yy = 0, sum_xy = 0, sum_c[3] = {0, 0, 0}, sum_strength = 0;
  bool touches = false;
  while (head < tail) {
    const int local = queue[head++];
    const int lx = local % wside;
    const int ly = local / wside;
    const int x = window.x0 + lx;
    const int y = window.y0 + ly;
    const std::int64_t p = static_cast<std::int64_t>(y) * width + x;
    sum_x += lx;
    sum_y += ly;
    sum_xx += static_cast<std::int64_t>(lx) * lx;
    sum_yy += static_cast<std::int64_t>(ly) * ly;
    sum_xy += static_cast<std::int64_t>(lx) * ly;
    for (int c = 0; c < 3; ++c) sum_c[c] += rgb[p * 3 + c];
    sum_strength += strength(x, y);
    if (x == window.x0 || y == window.y0 || x == window.x1 - 1 || y == window.y1 - 1) touches = true;
    const int nx[4] = {x - 1, x + 1, x, x};
    const int ny[4] = {y, y, y - 1, y + 1};
    for (int k = 0; k < 4; ++k) {
      if (!window.contains(nx[k], ny[k])) continue;
      const int nl = (ny[k] - window.y0) * wside + (nx[k] - window.x0);
      if (visited[nl >> 5] & (1u << (nl & 31))) continue;
      visited[nl >> 5] |= 1u << (nl & 31);
      if (strength(nx[k], ny[k]) > 0) queue[tail++] = static_cast<std::uint16_t>(nl);
    }
  }

  const double n = static_cast<double>(tail);
  const double mx = sum_x / n;
  const double my = sum_y / n;
  const double vxx = sum_xx / n - mx * mx;
  const double vyy = sum_yy / n - my * my;
  const double vxy = sum_xy / n - mx * my;
  const double half_trace = (vxx + vyy) / 2.0;
  const double half_diff = (vxx - vyy) / 2.0;
  const double spread = sqrt(half_diff * half_diff + vxy * vxy);
  const double major = half_trace + spread;
  const double minor = half_trace - spread > 0.0 ? half_trace - spread : 0.0;
  f.n = tail;
  f.cx = window.x0 + mx + 0.5;
  f.cy = window.y0 + my + 0.5;
  // A uniform rectangle of side k has variance k^2/12 along it; the +1 restores the pixel's own extent.
  f.length_px = sqrt(12.0 * major + 1.0);
  f.width_px = sqrt(12.0 * minor + 1.0);
  for (int c = 0; c < 3; ++c) f.mean[c] = sum_c[c] / n;
  f.contrast = sum_strength / n;
  f.touches_window = touches;
  return true;
}

// The inner-box pixel that stands out most from the ring around it: the most object-like pixel near a candidate
// (the response maximum itself can sit on an object's edge).
CAMPSCOPE_HD std::int64_t most_distinct_pixel(const std::uint8_t* rgb, const std::uint8_t* valid, int width,
                                              int height, int cx, int cy, const PixelParams& params) {
  const int h = params.vehicle_inner_half;
  const int ho = params.vehicle_outer_half;
  int ring[3];
  if (!box_mean(rgb, valid, width, height, cx - ho, cy - ho, cx + ho + 1, cy + ho + 1, nullptr, 0, ring)) return -1;
  std::int64_t best = -1;
  int best_distance = -1;
  for (int y = cy - h; y <= cy + h; ++y) {
    for (int x = cx - h; x <= cx + h; ++x) {
      if (x < 0 || y < 0 || x >= width || y >= height) continue;
      const std::int64_t p = static_cast<std::int64_t>(y) * width + x;
      if (!valid[p]) continue;
      const int d = colour_distance(rgb + p * 3, ring);
      if (d > best_distance) {
        best_distance = d;
        best = p;
      }
    }
  }
  return best;
}

// Uniform-material objects (tents): pixels closer in colour to the seed than to the surroundings or to shadowed
// ground. A two-class nearest-mean split, so the boundary adapts to each object's own contrast; averaging the seed
// over the inner pixels like the most distinct one keeps a thin bright line from growing as wide as the blur.
CAMPSCOPE_HD bool grow_material_region(const std::uint8_t* rgb, const std::uint8_t* valid, int width, int height,
                                       int cx, int cy, const PixelParams& params, RegionFeatures& f) {
  const std::int64_t distinct = most_distinct_pixel(rgb, valid, width, height, cx, cy, params);
  if (distinct < 0) return false;
  const int distinct_colour[3] = {rgb[distinct * 3], rgb[distinct * 3 + 1], rgb[distinct * 3 + 2]};
  const int h = params.vehicle_inner_half;
  const int min_contrast = params.physical.min_contrast;
  int seed[3];
  box_mean(rgb, valid, width, height, cx - h, cy - h, cx + h + 1, cy + h + 1, distinct_colour, min_contrast, seed);

  const RegionWindow window(cx, cy, params.region_radius, width, height);
  // Background: the window's pixels unlike the seed; if nearly none, the seed is part of something larger.
  std::int64_t bg_sum[3] = {0, 0, 0};
  std::int64_t bg_n = 0, window_n = 0;
  for (int y = window.y0; y < window.y1; ++y) {
    for (int x = window.x0; x < window.x1; ++x) {
      const std::int64_t p = static_cast<std::int64_t>(y) * width + x;
      if (!valid[p]) continue;
      ++window_n;
      if (colour_distance(rgb + p * 3, seed) <= min_contrast) continue;
      for (int c = 0; c < 3; ++c) bg_sum[c] += rgb[p * 3 + c];
      ++bg_n;
    }
  }
  if (bg_n * 4 < window_n) return false;
  int bg[3];
  int shadow[3];
  for (int c = 0; c < 3; ++c) {
    bg[c] = static_cast<int>(bg_sum[c] / bg_n);
    shadow[c] = bg[c] * params.shadow_percent / 100;
  }
  const auto strength = [&](int x, int y) {
    const std::int64_t p = static_cast<std::int64_t>(y) * width + x;
    if (!valid[p]) return 0;
    const int to_seed = colour_distance(rgb + p * 3, seed);
    const int to_bg = colour_distance(rgb + p * 3, bg);
    return to_seed < to_bg && to_seed < colour_distance(rgb + p * 3, shadow) ? to_bg : 0;
  };
  if (!flood_region(rgb, width, window, static_cast<int>(distinct % width), static_cast<int>(distinct / width),
                    strength, f))
    return false;
  for (int c = 0; c < 3; ++c) f.background[c] = bg[c];
  return true;
}

// Multi-part objects (vehicles: body, glass, a truck's cab and cargo): pixels unlike the window's two dominant
// ground colours (road and verge). The grounds are the two most frequent colours of a coarse histogram: each is
// one compact colour, while vehicles spread over many bins, so a queue of vehicles filling the road cannot take a
// ground's place the way it pulls a k-means centre.
CAMPSCOPE_HD bool grow_foreground_region(const std::uint8_t* rgb, const std::uint8_t* valid, int width, int height,
                                         int cx, int cy, const PixelParams& params, RegionFeatures& f) {
  const RegionWindow window(cx, cy, params.region_radius, width, height);
  constexpr int kLevels = 8;  // bins per channel, 32 grey levels each
  constexpr int kBins = kLevels * kLevels * kLevels;
  std::uint16_t histogram[kBins] = {};
  const auto bin_of = [](const std::uint8_t* p) {
    return ((p[0] >> 5) * kLevels + (p[1] >> 5)) * kLevels + (p[2] >> 5);
  };
  const auto bin_gap = [](int a, int b) {
    int gap = 0;
    for (int c = 0, scale = kLevels * kLevels; c < 3; ++c, scale /= kLevels) {
      const int d = (a / scale) % kLevels - (b / scale) % kLevels;
      gap = (d < 0 ? -d : d) > gap ? (d < 0 ? -d : d) : gap;
    }
    return gap;
  };
  int window_n = 0;
  for (int y = window.y0; y < window.y1; ++y)
    for (int x = window.x0; x < window.x1; ++x) {
      const std::int64_t p = static_cast<std::int64_t>(y) * width + x;
      if (!valid[p]) continue;
      ++histogram[bin_of(rgb + p * 3)];
      ++window_n;
    }
  if (window_n == 0) return false;
  // Smoothed counts, so a ground colour on a bin boundary is not split in two.
  const auto mass = [&](int bin) {
    int total = 0;
    for (int r = -1; r <= 1; ++r)
      for (int g = -1; g <= 1; ++g)
        for (int b = -1; b <= 1; ++b) {
          const int br = bin / (kLevels * kLevels) + r, bg = (bin / kLevels) % kLevels + g, bb = bin % kLevels + b;
          if (br < 0 || bg < 0 || bb < 0 || br >= kLevels || bg >= kLevels || bb >= kLevels) continue;
          total += histogram[(br * kLevels + bg) * kLevels + bb];
        }
    return total;
  };
  int mode[2] = {-1, -1};
  int mode_mass[2] = {0, 0};
  for (int i = 0; i < kBins; ++i) {
    if (!histogram[i]) continue;
    const int m = mass(i);
    if (m > mode_mass[0]) {
      mode_mass[0] = m;
      mode[0] = i;
    }
  }
  for (int i = 0; i < kBins; ++i) {
    if (!histogram[i] || bin_gap(i, mode[0]) < 2) continue;
    const int m = mass(i);
    if (m > mode_mass[1]) {
      mode_mass[1] = m;
      mode[1] = i;
    }
  }
  if (mode[1] < 0 || 10 * mode_mass[1] < window_n) mode[1] = mode[0];  // one ground only
  // Each ground colour is the mean of the pixels in its bin and the bins touching it.
  int ground[2][3];
  for (int k = 0; k < 2; ++k) {
    std::int64_t sum[3] = {0, 0, 0}, n = 0;
    for (int y = window.y0; y < window.y1; ++y)
      for (int x = window.x0; x < window.x1; ++x) {
        const std::int64_t p = static_cast<std::int64_t>(y) * width + x;
        if (!valid[p] || bin_gap(bin_of(rgb + p * 3), mode[k]) > 1) continue;
        for (int c = 0; c < 3; ++c) sum[c] += rgb[p * 3 + c];
        ++n;
      }
    for (int c = 0; c < 3; ++c) ground[k][c] = static_cast<int>(sum[c] / n);
  }
  // Ground also covers blends: pixels straddling the road edge mix asphalt and soil, and shadows darken either
  // ground, so a pixel is ground when it lies near the colour segment between the two grounds or between a ground
  // and its shadow.
  int shadowed[2][3];
  for (int k = 0; k < 2; ++k)
    for (int c = 0; c < 3; ++c) shadowed[k][c] = ground[k][c] * params.shadow_percent / 100;
  const std::int64_t tolerance_sq =
      static_cast<std::int64_t>(params.physical.ground_tolerance) * params.physical.ground_tolerance;
  const auto strength = [&](int x, int y) {
    const std::int64_t p = static_cast<std::int64_t>(y) * width + x;
    if (!valid[p]) return 0;
    const std::uint8_t* colour = rgb + p * 3;
    if (segment_distance_sq(colour, ground[0], shadowed[0]) <= tolerance_sq ||
        segment_distance_sq(colour, ground[1], shadowed[1]) <= tolerance_sq)
      return 0;
    // A blend of the two grounds is ground only where both grounds are at hand (the road edge); a grey vehicle
    // has the same colour but stands on one ground.
    if (segment_distance_sq(colour, ground[0], ground[1]) <= tolerance_sq) {
      bool near[2] = {false, false};
      for (int dy = -2; dy <= 2; ++dy)
        for (int dx = -2; dx <= 2; ++dx) {
          const int xx = x + dx, yy = y + dy;
          if (xx < 0 || yy < 0 || xx >= width || yy >= height) continue;
          const std::int64_t q = static_cast<std::int64_t>(yy) * width + xx;
          if (!valid[q]) continue;
          for (int k = 0; k < 2; ++k)
            if (segment_distance_sq(rgb + q * 3, ground[k], ground[k]) <= tolerance_sq) near[k] = true;
        }
      if (near[0] && near[1]) return 0;
    }
    const int d0 = colour_distance(colour, ground[0]);
    const int d1 = colour_distance(colour, ground[1]);
    return d0 < d1 ? d0 : d1;
  };
  // Start from the inner-box pixel whose 3x3 neighbourhood is most solidly foreground: a thin marking line has
  // single bright pixels, a vehicle has a solid patch.
  const int h = params.vehicle_inner_half;
  int sx = -1, sy = -1, best = -1;
  for (int y = cy - h; y <= cy + h; ++y) {
    for (int x = cx - h; x <= cx + h; ++x) {
      if (!window.contains(x, y) || strength(x, y) <= 0) continue;
      int patch = 0;
      for (int dy = -1; dy <= 1; ++dy)
        for (int dx = -1; dx <= 1; ++dx) {
          const int xx = x + dx, yy = y + dy;
          if (xx < 0 || yy < 0 || xx >= width || yy >= height) continue;
          // Solid patches first; among equally solid ones, the most distinct.
          const int d = strength(xx, yy);
          patch += d > 0 ? 1024 + (d < 1023 ? d : 1023) / 9 : 0;
        }
      if (patch > best) {
        best = patch;
        sx = x;
        sy = y;
      }
    }
  }
  if (!flood_region(rgb, width, window, sx, sy, strength, f)) return false;
  // A truck seen from a candidate near one end reaches past the window; look once more, centred on what was found.
  if (f.touches_window) {
    const RegionWindow centred(static_cast<int>(f.cx), static_cast<int>(f.cy), params.region_radius, width, height);
    RegionFeatures recentred;
    if (flood_region(rgb, width, centred, sx, sy, strength, recentred)) f = recentred;
  }
  // A region whose average colour is a ground's shadow is a shadow (of a roof, wall or tent), not an object;
  // averaging removes the noise that lets single shadow pixels pass as foreground.
  int mean[3];
  std::uint8_t mean_colour[3];
  for (int c = 0; c < 3; ++c) {
    mean[c] = static_cast<int>(f.mean[c]);
    mean_colour[c] = static_cast<std::uint8_t>(mean[c]);
  }
  for (int g = 0; g < 2; ++g)
    if (segment_distance_sq(mean_colour, ground[g], shadowed[g]) <= tolerance_sq) return false;
  // Contrast is judged against the ground colour nearest the object's own colour.
  const int k = colour_distance(mean, ground[0]) <= colour_distance(mean, ground[1]) ? 0 : 1;
  for (int c = 0; c < 3; ++c) f.background[c] = ground[k][c];
  return true;
}

CAMPSCOPE_HD bool looks_like_tent_material(const RegionFeatures& f, const DetectorParams& p) {
  const double brightness_gain = luma(f.mean) - luma(f.background);
  double lo = f.mean[0], hi = f.mean[0];
  for (int c = 1; c < 3; ++c) {
    lo = f.mean[c] < lo ? f.mean[c] : lo;
    hi = f.mean[c] > hi ? f.mean[c] : hi;
  }
  const bool pale = brightness_gain >= p.tent_min_brightness_gain && hi - lo <= p.tent_max_chroma;
  const bool blue_tarp = f.mean[2] - f.mean[0] >= p.tarp_min_blue_excess && f.mean[2] > f.mean[1];
  return pale || blue_tarp;
}

// A dark strip beside a roof, wall or tent: the region's average colour is its ground's colour in shadow.
CAMPSCOPE_HD bool looks_like_shadow(const RegionFeatures& f, const PixelParams& params) {
  std::uint8_t mean[3];
  int ground[3], shadowed[3];
  for (int c = 0; c < 3; ++c) {
    mean[c] = static_cast<std::uint8_t>(f.mean[c]);
    ground[c] = static_cast<int>(f.background[c]);
    shadowed[c] = ground[c] * params.shadow_percent / 100;
  }
  const std::int64_t tolerance = params.physical.ground_tolerance;
  return segment_distance_sq(mean, ground, shadowed) <= tolerance * tolerance;
}

CAMPSCOPE_HD CandidateResult classify_region(const RegionFeatures& f, const PixelParams& params) {
  const DetectorParams& p = params.physical;
  CandidateResult out;
  out.x = f.cx;
  out.y = f.cy;
  if (f.touches_window) return out;
  const double gsd = params.gsd_m;
  const double length = f.length_px * gsd;
  const double width = f.width_px * gsd;
  const double area = static_cast<double>(f.n) * gsd * gsd;
  const double elongation = length / width;
  const double fill = area / (length * width);
  const double contrast = f.contrast;
  // The sensor's blur widens every region by about a pixel; the size limits are for the object itself.
  const double object_length = length - gsd;
  const double object_width = width - gsd;
  out.measured.length_m = static_cast<float>(object_length);
  out.measured.width_m = static_cast<float>(object_width);
  out.measured.fill = static_cast<float>(fill);
  out.measured.contrast = static_cast<float>(contrast);
  for (int c = 0; c < 3; ++c) {
    out.measured.colour[c] = static_cast<float>(f.mean[c]);
    out.measured.ground[c] = static_cast<float>(f.background[c]);
  }
  out.score = static_cast<float>(contrast / (contrast + p.min_contrast));
  if (fill < p.min_fill) return out;
  if (looks_like_tent_material(f, p) && object_width >= p.tent_min_width_m && object_length <= p.tent_max_length_m &&
      area >= p.tent_min_area_m2 && area <= p.tent_max_area_m2 && elongation <= p.tent_max_elongation) {
    out.cls = static_cast<int>(ObjectClass::Tent);
  } else if (!looks_like_shadow(f, params) && contrast >= p.vehicle_min_contrast &&
             object_width >= p.vehicle_min_width_m && object_width <= p.vehicle_max_width_m &&
             object_length >= p.vehicle_min_length_m && object_length <= p.vehicle_max_length_m &&
             elongation >= p.vehicle_min_elongation) {
    out.cls = static_cast<int>(ObjectClass::Vehicle);
  }
  return out;
}

struct AnalyseCandidates {
  const std::uint8_t* rgb;
  const std::uint8_t* valid;
  const std::int32_t* candidate_pixels;
  CandidateResult* results;
  int width, height;
  PixelParams params;
  CAMPSCOPE_HD void operator()(std::int64_t i) const {
    const int pixel = candidate_pixels[i];
    const int x = pixel % width;
    const int y = pixel / width;
    // A tent is one material; a vehicle is often several (body, glass, cab and cargo), so each class is looked
    // for with its own region model. A pale car found as one material still counts when the other model fails.
    RegionFeatures material;
    CandidateResult as_material;
    if (grow_material_region(rgb, valid, width, height, x, y, params, material))
      as_material = classify_region(material, params);
    if (as_material.cls == static_cast<int>(ObjectClass::Tent)) {
      results[i] = as_material;
      return;
    }
    RegionFeatures foreground;
    if (grow_foreground_region(rgb, valid, width, height, x, y, params, foreground)) {
      const CandidateResult as_foreground = classify_region(foreground, params);
      if (as_foreground.cls == static_cast<int>(ObjectClass::Vehicle)) {
        results[i] = as_foreground;
        return;
      }
    }
    results[i] = as_material;
  }
};

}  // namespace campscope::detect

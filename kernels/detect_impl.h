// Per-pixel and per-candidate detector math shared by the CPU (detect_cpu.cpp) and CUDA (detect_cuda.cu) backends.
// Everything up to the region features is integer arithmetic, and the float steps after it run in the same order
// without FMA contraction on both sides, so both backends return identical candidates.
#pragma once
#include <cmath>
#include <cstdint>

#include "campscope/detect.h"
#include "parallel_for.h"

namespace campscope::detect {

// The region of one object must fit in a (2R+1)^2 window; R is capped so per-thread scratch stays bounded on the GPU.
constexpr int kMaxRegionRadius = 31;
constexpr int kMaxRegionSide = 2 * kMaxRegionRadius + 1;
constexpr int kMaxRegionPixels = kMaxRegionSide * kMaxRegionSide;
constexpr int kChannels = 4;  // R, G, B (masked by validity) and the validity count

// Detector parameters converted to pixels for one ground-sample distance. Plain data: passed by value to kernels.
struct PixelParams {
  DetectorParams physical;
  double gsd_m = 0.5;
  int vehicle_inner_half = 1, vehicle_outer_half = 5;
  int tent_inner_half = 2, tent_outer_half = 8;
  int nms_radius = 2;
  int region_radius = 14;
  int shadow_percent = 55;
};

PixelParams to_pixel_params(const DetectorParams& params, double gsd_m);

// What one candidate turned out to be. cls < 0: rejected.
struct CandidateResult {
  int cls = -1;
  float score = 0.0f;
  double x = 0.0;  // block pixel coordinates of the region centroid
  double y = 0.0;
  float length_m = 0.0f;
  float width_m = 0.0f;
};

// Integral images: plane c of (width+1) x (height+1) uint32; entry (x, y) sums channel c over [0,x) x [0,y).
CAMPSCOPE_HD std::int64_t integral_index(int width, int height, int c, int x, int y) {
  return (static_cast<std::int64_t>(c) * (height + 1) + y) * (width + 1) + x;
}

// Writes each pixel's masked channels into the integral planes, shifted by one row and column (the prefix passes
// below then run in place); the zero first row and column are written by the same pass.
struct ScatterPixels {
  const std::uint8_t* rgb;
  const std::uint8_t* valid;
  std::uint32_t* integral;
  int width, height;
  CAMPSCOPE_HD void operator()(std::int64_t i) const {
    const int stride = width + 1;
    const int x = static_cast<int>(i % stride);
    const int y = static_cast<int>(i / stride);
    for (int c = 0; c < kChannels; ++c) {
      std::uint32_t value = 0;
      if (x > 0 && y > 0) {
        const std::int64_t p = static_cast<std::int64_t>(y - 1) * width + (x - 1);
        const std::uint32_t v = valid[p] ? 1u : 0u;
        value = c < 3 ? v * rgb[p * 3 + c] : v;
      }
      integral[integral_index(width, height, c, x, y)] = value;
    }
  }
};

// Running sum along one row (i = channel * (height+1) + row).
struct PrefixRows {
  std::uint32_t* integral;
  int width, height;
  CAMPSCOPE_HD void operator()(std::int64_t i) const {
    std::uint32_t* row = integral + i * (width + 1);
    for (int x = 1; x <= width; ++x) row[x] += row[x - 1];
  }
};

// Running sum down one column (i = channel * (width+1) + column).
struct PrefixColumns {
  std::uint32_t* integral;
  int width, height;
  CAMPSCOPE_HD void operator()(std::int64_t i) const {
    const int c = static_cast<int>(i / (width + 1));
    const int x = static_cast<int>(i % (width + 1));
    for (int y = 1; y <= height; ++y)
      integral[integral_index(width, height, c, x, y)] += integral[integral_index(width, height, c, x, y - 1)];
  }
};

struct BoxSums {
  std::int64_t s[kChannels];
};

// Sums over the (2*half+1)^2 box centred on (x, y), clipped to the block.
CAMPSCOPE_HD BoxSums box_sums(const std::uint32_t* integral, int width, int height, int x, int y, int half) {
  const int x0 = x - half < 0 ? 0 : x - half;
  const int y0 = y - half < 0 ? 0 : y - half;
  const int x1 = x + half + 1 > width ? width : x + half + 1;
  const int y1 = y + half + 1 > height ? height : y + half + 1;
  BoxSums out{};
  for (int c = 0; c < kChannels; ++c) {
    out.s[c] = static_cast<std::int64_t>(integral[integral_index(width, height, c, x1, y1)]) -
               integral[integral_index(width, height, c, x0, y1)] - integral[integral_index(width, height, c, x1, y0)] +
               integral[integral_index(width, height, c, x0, y0)];
  }
  return out;
}

// L1 distance over R,G,B between the inner box mean and the ring mean around it; 0 when the inner box is not fully
// imaged or the ring is less than half imaged (an object next to nodata is judged on the other block or not at all).
CAMPSCOPE_HD int centre_surround_contrast(const std::uint32_t* integral, int width, int height, int x, int y,
                                          int inner_half, int outer_half) {
  const BoxSums inner = box_sums(integral, width, height, x, y, inner_half);
  const BoxSums outer = box_sums(integral, width, height, x, y, outer_half);
  const std::int64_t inner_side = 2 * inner_half + 1;
  const std::int64_t outer_side = 2 * outer_half + 1;
  const std::int64_t n_inner = inner.s[3];
  const std::int64_t n_ring = outer.s[3] - inner.s[3];
  if (n_inner != inner_side * inner_side) return 0;
  if (2 * n_ring < outer_side * outer_side - inner_side * inner_side) return 0;
  std::int64_t total = 0;
  for (int c = 0; c < 3; ++c) {
    const std::int64_t ring_sum = outer.s[c] - inner.s[c];
    std::int64_t diff = inner.s[c] * n_ring - ring_sum * n_inner;
    if (diff < 0) diff = -diff;
    total += diff / (n_inner * n_ring);
  }
  return static_cast<int>(total);
}

struct ContrastResponse {
  const std::uint32_t* integral;
  std::uint16_t* response;
  int width, height;
  PixelParams params;
  CAMPSCOPE_HD void operator()(std::int64_t i) const {
    const int x = static_cast<int>(i % width);
    const int y = static_cast<int>(i / width);
    const int vehicle = centre_surround_contrast(integral, width, height, x, y, params.vehicle_inner_half,
                                                 params.vehicle_outer_half);
    const int tent =
        centre_surround_contrast(integral, width, height, x, y, params.tent_inner_half, params.tent_outer_half);
    response[i] = static_cast<std::uint16_t>(vehicle > tent ? vehicle : tent);
  }
};

// A candidate is a pixel whose response reaches the threshold and is the maximum of its neighbourhood; on plateaus
// the first pixel in row-major order wins, so every plateau yields exactly one candidate.
struct LocalMaxima {
  const std::uint16_t* response;
  std::uint8_t* is_candidate;
  int width, height;
  int radius;
  int threshold;
  CAMPSCOPE_HD void operator()(std::int64_t i) const {
    const int x = static_cast<int>(i % width);
    const int y = static_cast<int>(i / width);
    const int v = response[i];
    std::uint8_t keep = v >= threshold ? 1 : 0;
    for (int dy = -radius; dy <= radius && keep; ++dy) {
      const int yy = y + dy;
      if (yy < 0 || yy >= height) continue;
      for (int dx = -radius; dx <= radius; ++dx) {
        const int xx = x + dx;
        if (xx < 0 || xx >= width || (dx == 0 && dy == 0)) continue;
        const int u = response[static_cast<std::int64_t>(yy) * width + xx];
        const bool earlier = dy < 0 || (dy == 0 && dx < 0);
        if (u > v || (u == v && earlier)) {
          keep = 0;
          break;
        }
      }
    }
    is_candidate[i] = keep;
  }
};

CAMPSCOPE_HD int colour_distance(const std::uint8_t* p, const int* mean) {
  int d = 0;
  for (int c = 0; c < 3; ++c) {
    const int diff = p[c] - mean[c];
    d += diff < 0 ? -diff : diff;
  }
  return d;
}

CAMPSCOPE_HD double luma(const double* rgb) { return (77.0 * rgb[0] + 150.0 * rgb[1] + 29.0 * rgb[2]) / 256.0; }

struct RegionFeatures {
  std::int64_t n = 0;
  double cx = 0, cy = 0;        // block pixel coordinates of the centroid (pixel centres at +0.5)
  double length_px = 0, width_px = 0;
  double mean[3] = {0, 0, 0};
  double background[3] = {0, 0, 0};
  bool touches_window = false;
};

// Grows the 4-connected region of pixels closer in colour to the candidate's seed than to its surroundings:
// a two-class nearest-mean split of the window, so the boundary adapts to each object's own contrast.
CAMPSCOPE_HD bool grow_region(const std::uint8_t* rgb, const std::uint8_t* valid, int width, int height, int cx, int cy,
                              const PixelParams& params, RegionFeatures& f) {
  const int r = params.region_radius;
  const int wx0 = cx - r < 0 ? 0 : cx - r;
  const int wy0 = cy - r < 0 ? 0 : cy - r;
  const int wx1 = cx + r + 1 > width ? width : cx + r + 1;
  const int wy1 = cy + r + 1 > height ? height : cy + r + 1;
  const int wside = wx1 - wx0;

  // Seed colour: the inner-box pixel that stands out most from its ring, averaged with the inner pixels like it.
  // A mean over the whole inner box would mix a thin bright line with the road under it and grow a region as wide
  // as the blur; the extreme pixel keeps such a line thin.
  std::int64_t ring_sum[3] = {0, 0, 0};
  std::int64_t ring_n = 0;
  const int h = params.vehicle_inner_half;
  const int ho = params.vehicle_outer_half;
  for (int y = cy - ho; y <= cy + ho; ++y) {
    for (int x = cx - ho; x <= cx + ho; ++x) {
      if (x < 0 || y < 0 || x >= width || y >= height) continue;
      if (x >= cx - h && x <= cx + h && y >= cy - h && y <= cy + h) continue;
      const std::int64_t p = static_cast<std::int64_t>(y) * width + x;
      if (!valid[p]) continue;
      for (int c = 0; c < 3; ++c) ring_sum[c] += rgb[p * 3 + c];
      ++ring_n;
    }
  }
  if (ring_n == 0) return false;
  int ring[3];
  for (int c = 0; c < 3; ++c) ring[c] = static_cast<int>(ring_sum[c] / ring_n);
  std::int64_t extreme = -1;
  int extreme_distance = -1;
  for (int y = cy - h; y <= cy + h; ++y) {
    for (int x = cx - h; x <= cx + h; ++x) {
      if (x < 0 || y < 0 || x >= width || y >= height) continue;
      const std::int64_t p = static_cast<std::int64_t>(y) * width + x;
      if (!valid[p]) continue;
      const int d = colour_distance(rgb + p * 3, ring);
      if (d > extreme_distance) {
        extreme_distance = d;
        extreme = p;
      }
    }
  }
  if (extreme < 0) return false;
  const int extreme_colour[3] = {rgb[extreme * 3], rgb[extreme * 3 + 1], rgb[extreme * 3 + 2]};
  std::int64_t seed_sum[3] = {0, 0, 0};
  std::int64_t seed_n = 0;
  for (int y = cy - h; y <= cy + h; ++y) {
    for (int x = cx - h; x <= cx + h; ++x) {
      if (x < 0 || y < 0 || x >= width || y >= height) continue;
      const std::int64_t p = static_cast<std::int64_t>(y) * width + x;
      if (!valid[p] || colour_distance(rgb + p * 3, extreme_colour) > params.physical.min_contrast) continue;
      for (int c = 0; c < 3; ++c) seed_sum[c] += rgb[p * 3 + c];
      ++seed_n;
    }
  }
  int seed[3];
  for (int c = 0; c < 3; ++c) seed[c] = static_cast<int>(seed_sum[c] / seed_n);

  // Background: mean of the window's pixels unlike the seed.
  std::int64_t bg_sum[3] = {0, 0, 0};
  std::int64_t bg_n = 0, window_n = 0;
  for (int y = wy0; y < wy1; ++y) {
    for (int x = wx0; x < wx1; ++x) {
      const std::int64_t p = static_cast<std::int64_t>(y) * width + x;
      if (!valid[p]) continue;
      ++window_n;
      if (colour_distance(rgb + p * 3, seed) <= params.physical.min_contrast) continue;
      for (int c = 0; c < 3; ++c) bg_sum[c] += rgb[p * 3 + c];
      ++bg_n;
    }
  }
  if (bg_n * 4 < window_n) return false;  // the whole window looks like the seed: part of something larger
  int bg[3];
  int shadow[3];  // the ground in an object's shadow: kept out of the object even when its colour is closer
  for (int c = 0; c < 3; ++c) {
    bg[c] = static_cast<int>(bg_sum[c] / bg_n);
    shadow[c] = bg[c] * params.shadow_percent / 100;
  }

  // Breadth-first growth inside the window with a bounded queue of window-local indices.
  std::uint32_t visited[(kMaxRegionPixels + 31) / 32] = {};
  std::uint16_t queue[kMaxRegionPixels];
  int head = 0, tail = 0;
  auto belongs = [&](int x, int y) {
    const std::int64_t p = static_cast<std::int64_t>(y) * width + x;
    if (!valid[p]) return false;
    const int to_seed = colour_distance(rgb + p * 3, seed);
    return to_seed < colour_distance(rgb + p * 3, bg) && to_seed < colour_distance(rgb + p * 3, shadow);
  };
  // Grow from the most distinct pixel: the response maximum can sit on an object's edge.
  const int ex = static_cast<int>(extreme % width);
  const int ey = static_cast<int>(extreme / width);
  if (!belongs(ex, ey)) return false;
  const int start = (ey - wy0) * wside + (ex - wx0);
  visited[start >> 5] |= 1u << (start & 31);
  queue[tail++] = static_cast<std::uint16_t>(start);

  std::int64_t sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0, sc[3] = {0, 0, 0};
  bool touches = false;
  while (head < tail) {
    const int local = queue[head++];
    const int lx = local % wside;
    const int ly = local / wside;
    const int x = wx0 + lx;
    const int y = wy0 + ly;
    const std::int64_t p = static_cast<std::int64_t>(y) * width + x;
    sx += lx;
    sy += ly;
    sxx += static_cast<std::int64_t>(lx) * lx;
    syy += static_cast<std::int64_t>(ly) * ly;
    sxy += static_cast<std::int64_t>(lx) * ly;
    for (int c = 0; c < 3; ++c) sc[c] += rgb[p * 3 + c];
    if (x == wx0 || y == wy0 || x == wx1 - 1 || y == wy1 - 1) touches = true;
    const int nx[4] = {x - 1, x + 1, x, x};
    const int ny[4] = {y, y, y - 1, y + 1};
    for (int k = 0; k < 4; ++k) {
      if (nx[k] < wx0 || ny[k] < wy0 || nx[k] >= wx1 || ny[k] >= wy1) continue;
      const int nl = (ny[k] - wy0) * wside + (nx[k] - wx0);
      if (visited[nl >> 5] & (1u << (nl & 31))) continue;
      visited[nl >> 5] |= 1u << (nl & 31);
      if (belongs(nx[k], ny[k])) queue[tail++] = static_cast<std::uint16_t>(nl);
    }
  }

  const double n = static_cast<double>(tail);
  const double mx = sx / n;
  const double my = sy / n;
  const double vxx = sxx / n - mx * mx;
  const double vyy = syy / n - my * my;
  const double vxy = sxy / n - mx * my;
  const double half_trace = (vxx + vyy) / 2.0;
  const double half_diff = (vxx - vyy) / 2.0;
  const double spread = sqrt(half_diff * half_diff + vxy * vxy);
  const double major = half_trace + spread;
  const double minor = half_trace - spread > 0.0 ? half_trace - spread : 0.0;
  f.n = tail;
  f.cx = wx0 + mx + 0.5;
  f.cy = wy0 + my + 0.5;
  // A uniform rectangle of side k has variance k^2/12 along it; the +1 restores the pixel's own extent.
  f.length_px = sqrt(12.0 * major + 1.0);
  f.width_px = sqrt(12.0 * minor + 1.0);
  for (int c = 0; c < 3; ++c) {
    f.mean[c] = sc[c] / n;
    f.background[c] = bg[c];
  }
  f.touches_window = touches;
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
  double contrast = 0.0;
  for (int c = 0; c < 3; ++c) contrast += fabs(f.mean[c] - f.background[c]);
  out.length_m = static_cast<float>(length);
  out.width_m = static_cast<float>(width);
  out.score = static_cast<float>(contrast / (contrast + p.min_contrast));
  if (fill < p.min_fill) return out;
  if (looks_like_tent_material(f, p) && width >= p.tent_min_width_m && length <= p.tent_max_length_m &&
      area >= p.tent_min_area_m2 && area <= p.tent_max_area_m2 && elongation <= p.tent_max_elongation) {
    out.cls = static_cast<int>(ObjectClass::Tent);
  } else if (contrast >= p.vehicle_min_contrast && width >= p.vehicle_min_width_m &&
             width <= p.vehicle_max_width_m && length >= p.vehicle_min_length_m &&
             length <= p.vehicle_max_length_m && elongation >= p.vehicle_min_elongation) {
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
    RegionFeatures features;
    CandidateResult result;
    if (grow_region(rgb, valid, width, height, pixel % width, pixel / width, params, features))
      result = classify_region(features, params);
    results[i] = result;
  }
};

}  // namespace campscope::detect

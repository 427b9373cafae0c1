// Per-pixel detector stages: integral images, centre-surround contrast, local maxima. Integer arithmetic only.
#pragma once
#include <cstdint>

#include "detect_impl.h"

namespace campscope::detect {

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

}  // namespace campscope::detect

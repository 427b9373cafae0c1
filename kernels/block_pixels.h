// Tile-coordinate access to a block's imaged pixels, for the host-side passes after the region stage.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>

#include "campscope/image.h"
#include "detect_regions_impl.h"

namespace campscope::detect {

// The imaged pixels of a block, looked up by tile pixel coordinates.
class BlockPixels {
 public:
  explicit BlockPixels(const RgbBlock& block) : block_(block) {}

  // The pixel covering tile point (x, y); null where it lies outside the block or was not imaged.
  const std::uint8_t* at(double x, double y) const {
    const int ix = static_cast<int>(std::floor(x)) - block_.x0, iy = static_cast<int>(std::floor(y)) - block_.y0;
    if (ix < 0 || iy < 0 || ix >= block_.width || iy >= block_.height) return nullptr;
    const std::int64_t i = static_cast<std::int64_t>(iy) * block_.width + ix;
    return block_.valid[i] ? block_.rgb.data() + 3 * i : nullptr;
  }

  // Mean colour of the (2 half + 1)^2 pixels about (x, y); false unless all are imaged.
  bool box_mean(double x, double y, int half, int* mean) const {
    int sum[3] = {0, 0, 0};
    for (int dy = -half; dy <= half; ++dy)
      for (int dx = -half; dx <= half; ++dx) {
        const std::uint8_t* p = at(x + dx, y + dy);
        if (!p) return false;
        for (int c = 0; c < 3; ++c) sum[c] += p[c];
      }
    const int n = (2 * half + 1) * (2 * half + 1);
    for (int c = 0; c < 3; ++c) mean[c] = sum[c] / n;
    return true;
  }

  // How distinct from `colour` the gap between (ax, ay) and (bx, by) is: the largest distance from it of the pixels
  // on the line between them within `reach` pixels of the midpoint. False where one is not imaged.
  bool gap(double ax, double ay, double bx, double by, double reach, const int* colour, int& distinct) const {
    const double length = std::hypot(bx - ax, by - ay);
    const int steps = std::max(1, static_cast<int>(std::ceil(2.0 * reach)));
    distinct = 0;
    for (int i = 0; i <= steps; ++i) {
      const double t = 0.5 + (static_cast<double>(i) / steps - 0.5) * 2.0 * reach / length;
      const std::uint8_t* p = at(ax + t * (bx - ax), ay + t * (by - ay));
      if (!p) return false;
      distinct = std::max(distinct, colour_distance(p, colour));
    }
    return true;
  }

  // The direction of the sides of a tent (a unit vector, the other side at right angles), from the luma gradients in
  // the box of half-side `half` about (x, y): gradient directions weighted by their squared magnitude and taken four
  // times over, so that the two sides of a square tent add up instead of cancelling as in its moments. The side whose
  // pixels within `within` of `colour` spread more is the first. False where the box leaves the block or is flat.
  bool sides_of(double x, double y, int half, const int* colour, int within, double& ax, double& ay) const {
    const int ix = static_cast<int>(std::floor(x)), iy = static_cast<int>(std::floor(y));
    const auto luma = [&](int px, int py) {
      const std::uint8_t* p = at(px, py);
      return p ? luma_of_pixel(p) : -1;
    };
    double c4 = 0.0, s4 = 0.0;
    for (int py = iy - half; py <= iy + half; ++py)
      for (int px = ix - half; px <= ix + half; ++px) {
        const int left = luma(px - 1, py), right = luma(px + 1, py), up = luma(px, py - 1), down = luma(px, py + 1);
        if (left < 0 || right < 0 || up < 0 || down < 0) return false;
        const double gx = right - left, gy = down - up, m2 = gx * gx + gy * gy;
        if (m2 == 0.0) continue;
        // cos and sin of 4 phi from those of 2 phi: cos 2phi = (gx^2 - gy^2) / m2, sin 2phi = 2 gx gy / m2.
        const double c2 = (gx * gx - gy * gy) / m2, s2 = 2.0 * gx * gy / m2;
        c4 += m2 * (c2 * c2 - s2 * s2);
        s4 += m2 * 2.0 * c2 * s2;
      }
    if (c4 == 0.0 && s4 == 0.0) return false;
    const double angle = 0.25 * std::atan2(s4, c4);
    ax = std::cos(angle);
    ay = std::sin(angle);
    double along = 0.0, across = 0.0;
    for (int py = iy - half; py <= iy + half; ++py)
      for (int px = ix - half; px <= ix + half; ++px) {
        const std::uint8_t* p = at(px, py);
        if (!p || colour_distance(p, colour) > within) continue;
        const double u = (px - ix) * ax + (py - iy) * ay, v = (py - iy) * ax - (px - ix) * ay;
        along += u * u;
        across += v * v;
      }
    if (across > along) {
      const double turned = ax;
      ax = -ay;
      ay = turned;
    }
    return true;
  }

  // The lowest luma on the middle third of the line from (ax, ay) to (bx, by), about a sample per pixel. False where
  // one is not imaged.
  bool darkest_in_middle(double ax, double ay, double bx, double by, int& darkest) const {
    const int steps = std::max(2, static_cast<int>(std::ceil(std::hypot(bx - ax, by - ay) / 3.0)));
    darkest = 256;
    for (int i = 0; i <= steps; ++i) {
      const double t = (1.0 + static_cast<double>(i) / steps) / 3.0;
      const std::uint8_t* p = at(ax + t * (bx - ax), ay + t * (by - ay));
      if (!p) return false;
      darkest = std::min(darkest, luma_of_pixel(p));
    }
    return true;
  }

  // Moves (x, y) to the centre of the pixels within `within` of `colour` in the box of half-side `half` about it,
  // and returns the share of the box they fill (percent; 0 when there are none).
  int centre_on(double& x, double& y, int half, const int* colour, int within) const {
    const int ix = static_cast<int>(std::floor(x)), iy = static_cast<int>(std::floor(y));
    std::int64_t sum_x = 0, sum_y = 0, n = 0;
    for (int py = iy - half; py <= iy + half; ++py)
      for (int px = ix - half; px <= ix + half; ++px) {
        const std::uint8_t* p = at(px, py);
        if (!p || colour_distance(p, colour) > within) continue;
        sum_x += px;
        sum_y += py;
        ++n;
      }
    if (n == 0) return 0;
    x = static_cast<double>(sum_x) / n + 0.5;
    y = static_cast<double>(sum_y) / n + 0.5;
    return static_cast<int>(100 * n / ((2 * half + 1) * (2 * half + 1)));
  }

 private:
  const RgbBlock& block_;
};

}  // namespace campscope::detect

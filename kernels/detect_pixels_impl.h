// Per-pixel detector stages: integral images, centre-surround contrast, local maxima. Integer results only.
//
// The contrast and maxima functors take one index per run of `run` consecutive pixels along a row: the CPU gives an
// index a whole row, so its inner loop walks memory in order; CUDA gives it run 1, one pixel per thread, so
// neighbouring threads touch neighbouring words. A pixel's value never depends on the run it was computed in.
// The integral images are integer sums, the same in any order; the CPU and CUDA compute them by different
// decompositions from the same row function.
#pragma once
#include <cmath>
#include <cstdint>

#include "detect_impl.h"

namespace campscope::detect {

CAMPSCOPE_HD std::int64_t runs_per_row(std::int64_t row_length, int run) { return (row_length + run - 1) / run; }

// Integral images, channels interleaved: entry (x, y) of (width+1) x (height+1) holds, for each channel c, the
// uint32 sum of c over [0,x) x [0,y), so the four sums of a box corner are one 16-byte load. Rows are padded to
// an odd number of 64-byte lines: with a pitch of a multiple of 4 KiB the rows a box reads would share cache sets.
CAMPSCOPE_HD std::int64_t integral_pitch(int width) {
  const std::int64_t lines = (static_cast<std::int64_t>(width + 1) * kChannels + 15) / 16;
  return (lines | 1) * 16;
}
CAMPSCOPE_HD std::int64_t integral_size(int width, int height) {
  return integral_pitch(width) * (height + 1);
}
CAMPSCOPE_HD std::int64_t integral_index(int width, int c, int x, int y) {
  return integral_pitch(width) * y + static_cast<std::int64_t>(x) * kChannels + c;
}

CAMPSCOPE_HD void zero_integral_row(int width, std::uint32_t* row) {
  for (std::int64_t k = 0; k < static_cast<std::int64_t>(width + 1) * kChannels; ++k) row[k] = 0;
}

// CUDA: row sums of the integral images, one row per index (i = y): the masked channels of image row y-1 summed
// from the west. PrefixColumns then sums the rows down.
struct IntegralRows {
  const std::uint8_t* rgb;
  const std::uint8_t* valid;
  std::uint32_t* integral;
  int width, height;
  CAMPSCOPE_HD std::int64_t items() const { return height + 1; }
  CAMPSCOPE_HD void operator()(std::int64_t i) const {
    const int y = static_cast<int>(i);
    std::uint32_t* row = integral + integral_index(width, 0, 0, y);
    if (y == 0) {
      zero_integral_row(width, row);
      return;
    }
    for (int c = 0; c < kChannels; ++c) row[c] = 0;
    const std::int64_t first = static_cast<std::int64_t>(y - 1) * width;
    const std::uint8_t* pixel = rgb + first * 3;
    const std::uint8_t* mask = valid + first;
    std::uint32_t sum[kChannels] = {0, 0, 0, 0};
    for (int x = 0; x < width; ++x) {
      const std::uint32_t imaged = mask[x] ? 1u : 0u;
      for (int c = 0; c < 3; ++c) sum[c] += imaged * pixel[3 * x + c];
      sum[3] += imaged;
      for (int c = 0; c < kChannels; ++c) row[(x + 1) * kChannels + c] = sum[c];
    }
  }
};

// CUDA: running sums down the columns, one word of a row per index (i over the words of columns 1..width;
// column 0 is zero): each row adds the row above it, in row order, so neighbouring threads read neighbouring words.
struct PrefixColumns {
  std::uint32_t* integral;
  int width, height;
  CAMPSCOPE_HD std::int64_t items() const { return static_cast<std::int64_t>(width) * kChannels; }
  CAMPSCOPE_HD void operator()(std::int64_t i) const {
    const std::int64_t pitch = integral_pitch(width);
    std::uint32_t* word = integral + kChannels + i;
    for (int y = 1; y <= height; ++y) word[y * pitch] += word[(y - 1) * pitch];
  }
};

// CPU: the integral images by bands of `band_rows` image rows, each band walking its rows in order while it keeps
// column sums: a row adds its pixels to them, and its integral row is their running sum from the west. A band
// starts from the column sums of all rows above it, which ColumnSums and a running sum over the bands provide
// (integral_images_cpu). Column sums are laid out as [R,G,B interleaved over 3 * width words | width counts], so
// adding a fully imaged row is a loop over its bytes that vectorises.
CAMPSCOPE_HD std::int64_t column_sum_words(int width) { return static_cast<std::int64_t>(width) * kChannels; }

CAMPSCOPE_HD void add_to_column_sums(const std::uint8_t* rgb, const std::uint8_t* valid, int width, int y,
                                     std::uint32_t* sums) {
  const std::int64_t first = static_cast<std::int64_t>(y) * width;
  const std::uint8_t* pixel = rgb + first * 3;
  const std::uint8_t* mask = valid + first;
  std::uint32_t* counts = sums + 3 * static_cast<std::int64_t>(width);
  int all_imaged = 1;
  for (int x = 0; x < width; ++x) all_imaged &= mask[x] != 0;
  if (all_imaged) {
    for (std::int64_t k = 0; k < 3 * static_cast<std::int64_t>(width); ++k) sums[k] += pixel[k];
    for (int x = 0; x < width; ++x) counts[x] += 1;
  } else {
    for (int x = 0; x < width; ++x) {
      const std::uint32_t keep = 0u - (mask[x] != 0);
      for (int c = 0; c < 3; ++c) sums[3 * x + c] += pixel[3 * x + c] & keep;
      counts[x] += keep & 1u;
    }
  }
}

// Column sums of band i's image rows, into `sums` + i * column_sum_words(width).
struct ColumnSums {
  const std::uint8_t* rgb;
  const std::uint8_t* valid;
  std::uint32_t* sums;
  int width, height, band_rows;
  CAMPSCOPE_HD void operator()(std::int64_t i) const {
    std::uint32_t* band_sums = sums + i * column_sum_words(width);
    for (std::int64_t k = 0; k < column_sum_words(width); ++k) band_sums[k] = 0;
    const int end = (i + 1) * band_rows > height ? height : static_cast<int>((i + 1) * band_rows);
    for (int y = static_cast<int>(i * band_rows); y < end; ++y) add_to_column_sums(rgb, valid, width, y, band_sums);
  }
};

// Integral rows of band i: its image rows [i * band_rows, ...) are integral rows one further down. `sums` +
// i * column_sum_words(width) holds the column sums of the rows above the band, and the band keeps adding to them.
// Band 0 also writes the zero first row.
struct IntegralBand {
  const std::uint8_t* rgb;
  const std::uint8_t* valid;
  std::uint32_t* integral;
  std::uint32_t* sums;
  int width, height, band_rows;
  CAMPSCOPE_HD std::int64_t items() const { return (height + band_rows - 1) / band_rows; }
  CAMPSCOPE_HD void operator()(std::int64_t i) const {
    const std::int64_t pitch = integral_pitch(width);
    const int first = static_cast<int>(i * band_rows);
    const int end = first + band_rows > height ? height : first + band_rows;
    if (i == 0) zero_integral_row(width, integral);
    std::uint32_t* band_sums = sums + i * column_sum_words(width);
    const std::uint32_t* counts = band_sums + 3 * static_cast<std::int64_t>(width);
    for (int y = first; y < end; ++y) {
      add_to_column_sums(rgb, valid, width, y, band_sums);
      std::uint32_t* row = integral + (y + 1) * pitch;
      std::uint32_t sum[kChannels] = {0, 0, 0, 0};
      for (int c = 0; c < kChannels; ++c) row[c] = 0;
      for (int x = 0; x < width; ++x) {
        for (int c = 0; c < 3; ++c) sum[c] += band_sums[3 * x + c];
        sum[3] += counts[x];
        for (int c = 0; c < kChannels; ++c) row[(x + 1) * kChannels + c] = sum[c];
      }
    }
  }
};

struct BoxSums {
  std::uint32_t s[kChannels];
};

// Sums over the (2*half+1)^2 box centred on (x, y), clipped to the block. The integral entries are sums modulo
// 2^32 and a box sum is far below 2^32, so unsigned wrap-around gives it exactly even where the entries overflowed.
CAMPSCOPE_HD BoxSums box_sums(const std::uint32_t* integral, int width, int height, int x, int y, int half) {
  const int x0 = x - half < 0 ? 0 : x - half;
  const int y0 = y - half < 0 ? 0 : y - half;
  const int x1 = x + half + 1 > width ? width : x + half + 1;
  const int y1 = y + half + 1 > height ? height : y + half + 1;
  const std::uint32_t* top_left = integral + integral_index(width, 0, x0, y0);
  const std::uint32_t* top_right = integral + integral_index(width, 0, x1, y0);
  const std::uint32_t* bottom_left = integral + integral_index(width, 0, x0, y1);
  const std::uint32_t* bottom_right = integral + integral_index(width, 0, x1, y1);
  BoxSums out;
  for (int c = 0; c < kChannels; ++c) out.s[c] = bottom_right[c] - bottom_left[c] - top_right[c] + top_left[c];
  return out;
}

// floor(a / b) for a >= 0, b > 0 and a / b below 2^50: the double quotient is within one of it, and the integer
// check settles which. An int64 division costs tens of cycles on a CPU and is emulated on a GPU.
CAMPSCOPE_HD std::int64_t floor_divide(std::int64_t a, std::int64_t b) {
  std::int64_t q = static_cast<std::int64_t>(static_cast<double>(a) / static_cast<double>(b));
  if (q * b > a) {
    --q;
  } else if ((q + 1) * b <= a) {
    ++q;
  }
  return q;
}

// L1 distance over R,G,B between the inner box mean and the ring mean around it, each channel's term rounded
// down; 0 when the inner box is not fully imaged or the ring is less than half imaged (an object next to nodata
// is judged on the other block or not at all).
CAMPSCOPE_HD int centre_surround_contrast(const std::uint32_t* integral, int width, int height, int x, int y,
                                          int inner_half, int outer_half) {
  const BoxSums inner = box_sums(integral, width, height, x, y, inner_half);
  const BoxSums outer = box_sums(integral, width, height, x, y, outer_half);
  const std::int64_t inner_side = 2 * inner_half + 1;
  const std::int64_t outer_side = 2 * outer_half + 1;
  const std::int64_t n_inner = inner.s[3];
  const std::int64_t n_ring = static_cast<std::int64_t>(outer.s[3]) - inner.s[3];
  if (n_inner != inner_side * inner_side) return 0;
  if (2 * n_ring < outer_side * outer_side - inner_side * inner_side) return 0;
  std::int64_t total = 0;
  for (int c = 0; c < 3; ++c) {
    const std::int64_t ring_sum = static_cast<std::int64_t>(outer.s[c]) - inner.s[c];
    std::int64_t diff = inner.s[c] * n_ring - ring_sum * n_inner;
    if (diff < 0) diff = -diff;
    total += floor_divide(diff, n_inner * n_ring);
  }
  return static_cast<int>(total);
}

// Pixels per step of the interior loop: the CPU takes eight side by side, so the loops over them vectorise; a
// CUDA thread has one pixel. The lanes are independent, so their number never changes a value.
#if defined(__CUDA_ARCH__)
constexpr int kContrastLanes = 1;
#else
constexpr int kContrastLanes = 8;
#endif

// One contrast scale for pixels whose boxes lie inside the block, with corner offsets relative to the pixel's own
// integral entry, so nothing is clipped. The same integer as centre_surround_contrast, computed in double: every
// product and difference is an integer below 2^53, hence exact, and the floor of a correctly rounded quotient of
// such integers is the integer quotient.
struct InteriorScale {
  std::int64_t inner[4], outer[4];  // top-left, top-right, bottom-left, bottom-right
  int inner_area, full_ring;
  CAMPSCOPE_HD InteriorScale(std::int64_t pitch, int inner_half, int outer_half) {
    const int halves[2] = {inner_half, outer_half};
    std::int64_t* corners[2] = {inner, outer};
    for (int b = 0; b < 2; ++b) {
      const std::int64_t top = -halves[b] * pitch;
      const std::int64_t bottom = (halves[b] + 1) * pitch;
      const std::int64_t left = -halves[b] * kChannels;
      const std::int64_t right = (halves[b] + 1) * kChannels;
      corners[b][0] = top + left;
      corners[b][1] = top + right;
      corners[b][2] = bottom + left;
      corners[b][3] = bottom + right;
    }
    inner_area = (2 * inner_half + 1) * (2 * inner_half + 1);
    full_ring = (2 * outer_half + 1) * (2 * outer_half + 1) - inner_area;
  }
  // Whether the largest product, 255 * inner area * outer area, stays below 2^53.
  CAMPSCOPE_HD bool exact_in_double() const {
    return 255.0 * inner_area * (static_cast<double>(inner_area) + full_ring) < 9007199254740992.0;
  }
  // Contrast of the `Lanes` pixels whose entries start at `entry`.
  template <int Lanes>
  CAMPSCOPE_HD void operator()(const std::uint32_t* entry, int* contrast) const {
    std::uint32_t in[kChannels][Lanes], out[kChannels][Lanes];
    for (int c = 0; c < kChannels; ++c) {
      for (int j = 0; j < Lanes; ++j) {
        const std::uint32_t* e = entry + j * kChannels + c;
        in[c][j] = e[inner[3]] - e[inner[2]] - e[inner[1]] + e[inner[0]];
        out[c][j] = e[outer[3]] - e[outer[2]] - e[outer[1]] + e[outer[0]];
      }
    }
    for (int j = 0; j < Lanes; ++j) {
      const int n_inner = static_cast<int>(in[3][j]);
      const int n_ring = static_cast<int>(out[3][j] - in[3][j]);
      const bool judged = (n_inner == inner_area) & (2 * n_ring >= full_ring);
      const double ring_count = n_ring > 0 ? n_ring : 1;
      const double divisor = inner_area * ring_count;
      int total = 0;
      for (int c = 0; c < 3; ++c) {
        const double diff = static_cast<int>(in[c][j]) * ring_count -
                            static_cast<int>(out[c][j] - in[c][j]) * static_cast<double>(inner_area);
        total += static_cast<int>(fabs(diff) / divisor);
      }
      contrast[j] = judged * total;
    }
  }
};

// i = row * runs + run index.
struct ContrastResponse {
  const std::uint32_t* integral;
  std::uint16_t* response;
  int width, height;
  PixelParams params;
  int run;
  CAMPSCOPE_HD std::int64_t items() const { return height * runs_per_row(width, run); }
  CAMPSCOPE_HD std::uint16_t at_edge(int x, int y) const {
    const int vehicle = centre_surround_contrast(integral, width, height, x, y, params.vehicle_inner_half,
                                                 params.vehicle_outer_half);
    const int tent =
        centre_surround_contrast(integral, width, height, x, y, params.tent_inner_half, params.tent_outer_half);
    return static_cast<std::uint16_t>(vehicle > tent ? vehicle : tent);
  }
  template <int Lanes>
  CAMPSCOPE_HD void interior(const InteriorScale& vehicle, const InteriorScale& tent, const std::uint32_t* entry,
                             std::uint16_t* out) const {
    int v[Lanes], t[Lanes];
    vehicle.operator()<Lanes>(entry, v);
    tent.operator()<Lanes>(entry, t);
    for (int j = 0; j < Lanes; ++j) out[j] = static_cast<std::uint16_t>(v[j] > t[j] ? v[j] : t[j]);
  }
  CAMPSCOPE_HD void operator()(std::int64_t i) const {
    const std::int64_t runs = runs_per_row(width, run);
    const int y = static_cast<int>(i / runs);
    const int x0 = static_cast<int>(i % runs) * run;
    const int x1 = x0 + run > width ? width : x0 + run;
    std::uint16_t* out = response + static_cast<std::int64_t>(y) * width;
    const std::int64_t pitch = integral_pitch(width);
    const InteriorScale vehicle(pitch, params.vehicle_inner_half, params.vehicle_outer_half);
    const InteriorScale tent(pitch, params.tent_inner_half, params.tent_outer_half);
    // Pixels whose every box lies inside the block take the interior path; the rest clip their boxes.
    const int reach = params.vehicle_outer_half > params.tent_outer_half ? params.vehicle_outer_half
                                                                         : params.tent_outer_half;
    const bool inside = y >= reach && y + reach < height && vehicle.exact_in_double() && tent.exact_in_double();
    const int lo = !inside ? x1 : reach < x0 ? x0 : reach > x1 ? x1 : reach;
    const int hi = !inside ? x1 : width - reach < lo ? lo : width - reach > x1 ? x1 : width - reach;
    for (int x = x0; x < lo; ++x) out[x] = at_edge(x, y);
    const std::uint32_t* row = integral + integral_index(width, 0, 0, y);
    int x = lo;
    for (; x + kContrastLanes <= hi; x += kContrastLanes)
      interior<kContrastLanes>(vehicle, tent, row + x * kChannels, out + x);
    for (; x < hi; ++x) interior<1>(vehicle, tent, row + x * kChannels, out + x);
    for (x = hi; x < x1; ++x) out[x] = at_edge(x, y);
  }
};

// A candidate is a pixel whose response reaches the threshold and is the maximum of its neighbourhood; on plateaus
// the first pixel in row-major order wins, so every plateau yields exactly one candidate. i = row * runs + run
// index; most pixels are below the threshold and cost one comparison.
struct LocalMaxima {
  const std::uint16_t* response;
  std::uint8_t* is_candidate;
  int width, height;
  int radius;
  int threshold;
  int run;
  CAMPSCOPE_HD std::int64_t items() const { return height * runs_per_row(width, run); }
  CAMPSCOPE_HD bool is_local_maximum(int x, int y, int v) const {
    const int y0 = y - radius < 0 ? 0 : y - radius;
    const int y1 = y + radius >= height ? height - 1 : y + radius;
    const int x0 = x - radius < 0 ? 0 : x - radius;
    const int x1 = x + radius >= width ? width - 1 : x + radius;
    for (int yy = y0; yy <= y1; ++yy) {
      const std::uint16_t* row = response + static_cast<std::int64_t>(yy) * width;
      for (int xx = x0; xx <= x1; ++xx) {
        const int u = row[xx];
        const bool earlier = yy < y || (yy == y && xx < x);
        if (u > v || (u == v && earlier)) return false;
      }
    }
    return true;
  }
  CAMPSCOPE_HD void operator()(std::int64_t i) const {
    const std::int64_t runs = runs_per_row(width, run);
    const int y = static_cast<int>(i / runs);
    const int x0 = static_cast<int>(i % runs) * run;
    const int x1 = x0 + run > width ? width : x0 + run;
    const std::uint16_t* values = response + static_cast<std::int64_t>(y) * width;
    std::uint8_t* out = is_candidate + static_cast<std::int64_t>(y) * width;
    for (int x = x0; x < x1; ++x) {
      const int v = values[x];
      out[x] = v >= threshold && is_local_maximum(x, y, v) ? 1 : 0;
    }
  }
};

// The CPU stages as analyse_block_cpu runs them (detect_cpu.cpp), exposed so they can be timed one by one.
void integral_images_cpu(const std::uint8_t* rgb, const std::uint8_t* valid, int width, int height,
                         std::uint32_t* integral);
void contrast_response_cpu(const std::uint32_t* integral, int width, int height, const PixelParams& params,
                           std::uint16_t* response);
void local_maxima_cpu(const std::uint16_t* response, int width, int height, const PixelParams& params,
                      std::uint8_t* is_candidate);

}  // namespace campscope::detect

// Per-pixel detector stages: integral images, centre-surround contrast, local maxima. Integer results only.
//
// The contrast and maxima functors take one index per run of `run` consecutive pixels along a row: the CPU gives an
// index a whole row, so its inner loop walks memory in order; CUDA gives it run 1, one pixel per thread, so
// neighbouring threads touch neighbouring words. A pixel's value never depends on the run it was computed in.
// The integral images are integer sums, the same in any order of addition, so the CPU and CUDA build them by
// different decompositions: bands of rows on the CPU, rows then chunked columns on CUDA (integral_cuda.cu, and
// per tile in shared memory in contrast_cuda.cu).
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>

#include "detect_impl.h"

// IntegralBand, which only the CPU runs, forms its rows with SSE2 where the host compiler offers it.
#if defined(__SSE2__) && !defined(__CUDACC__)
#define CAMPSCOPE_SSE2_SCAN 1
#include <emmintrin.h>
#endif

namespace campscope::detect {

CAMPSCOPE_HD std::int64_t runs_per_row(std::int64_t row_length, int run) { return (row_length + run - 1) / run; }

// Integral images: entry (x, y) of (width+1) x (height+1), for each channel c, is the uint32 sum of c over
// [0,x) x [0,y). A row holds the four channels one after another, each in a segment of integral_segment words,
// so a run of pixels reads each channel's corners contiguously and one row of entries is read together. Segments
// are an odd number of 64-byte lines: at a multiple of 4 KiB apart, the rows and channels a box reads would all
// fall into the same cache sets.
CAMPSCOPE_HD std::int64_t integral_segment(int width) {
  return ((static_cast<std::int64_t>(width) + 16) / 16 | 1) * 16;
}
CAMPSCOPE_HD std::int64_t integral_pitch(int width) { return kChannels * integral_segment(width); }
CAMPSCOPE_HD std::int64_t integral_size(int width, int height) { return integral_pitch(width) * (height + 1); }
CAMPSCOPE_HD std::int64_t integral_index(int width, int c, int x, int y) {
  return integral_pitch(width) * y + c * integral_segment(width) + x;
}

CAMPSCOPE_HD void zero_integral_row(int width, std::uint32_t* row) {
  for (int c = 0; c < kChannels; ++c)
    for (int x = 0; x <= width; ++x) row[c * integral_segment(width) + x] = 0;
}

// Channel c of pixel p as the integral images sum it: the colour where imaged, 1 in the count channel, 0 at nodata.
// The CUDA integral kernels (integral_cuda.cu) sum it one pixel per lane.
CAMPSCOPE_HD std::uint32_t masked_channel(const std::uint8_t* rgb, const std::uint8_t* valid, std::int64_t p, int c) {
  return valid[p] ? (c < 3 ? rgb[3 * p + c] : 1u) : 0u;
}

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

// An integral row is the running sum of the column sums from the west, one channel per segment: pixel by pixel, a
// chain of scalar adds and four scalar stores a pixel, most of the stage's time. With SSE2 (every x86-64 CPU) four
// pixels go at a time: their interleaved R,G,B sums are split by channel, and each channel's four running sums are
// formed in one register. Writes entries 1..n of `row`'s segments for the first n pixels, n a multiple of 4, adds
// their sums to `total`, and returns n, so the caller finishes the row. The sums are the same integers in any order
// of addition.
#if defined(CAMPSCOPE_SSE2_SCAN)
inline int scan_column_sums(const std::uint32_t* sums, int width, std::int64_t segment, std::uint32_t* row,
                            std::uint32_t* total) {
  const std::uint32_t* counts = sums + 3 * static_cast<std::int64_t>(width);
  __m128i carry[kChannels];
  for (int c = 0; c < kChannels; ++c) carry[c] = _mm_set1_epi32(static_cast<int>(total[c]));
  int x = 0;
  for (; x + 4 <= width; x += 4) {
    // Pixels x..x+3 as a = R0 G0 B0 R1, b = G1 B1 R2 G2, c = B2 R3 G3 B3.
    const __m128 a = _mm_castsi128_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(sums + 3 * x)));
    const __m128 b = _mm_castsi128_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(sums + 3 * x + 4)));
    const __m128 c = _mm_castsi128_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(sums + 3 * x + 8)));
    const __m128 b2c1 = _mm_shuffle_ps(b, c, _MM_SHUFFLE(1, 1, 2, 2));
    const __m128 a1b0 = _mm_shuffle_ps(a, b, _MM_SHUFFLE(0, 0, 1, 1));
    const __m128 b3c2 = _mm_shuffle_ps(b, c, _MM_SHUFFLE(2, 2, 3, 3));
    const __m128 a2b1 = _mm_shuffle_ps(a, b, _MM_SHUFFLE(1, 1, 2, 2));
    const __m128i channel[kChannels] = {
        _mm_castps_si128(_mm_shuffle_ps(a, b2c1, _MM_SHUFFLE(2, 0, 3, 0))),
        _mm_castps_si128(_mm_shuffle_ps(a1b0, b3c2, _MM_SHUFFLE(2, 0, 2, 0))),
        _mm_castps_si128(_mm_shuffle_ps(a2b1, c, _MM_SHUFFLE(3, 0, 2, 0))),
        _mm_loadu_si128(reinterpret_cast<const __m128i*>(counts + x))};
    for (int ch = 0; ch < kChannels; ++ch) {
      __m128i v = channel[ch];
      v = _mm_add_epi32(v, _mm_slli_si128(v, 4));
      v = _mm_add_epi32(v, _mm_slli_si128(v, 8));
      v = _mm_add_epi32(v, carry[ch]);
      _mm_storeu_si128(reinterpret_cast<__m128i*>(row + ch * segment + x + 1), v);
      carry[ch] = _mm_shuffle_epi32(v, _MM_SHUFFLE(3, 3, 3, 3));
    }
  }
  for (int c = 0; c < kChannels; ++c) total[c] = static_cast<std::uint32_t>(_mm_cvtsi128_si32(carry[c]));
  return x;
}
#else
CAMPSCOPE_HD int scan_column_sums(const std::uint32_t*, int, std::int64_t, std::uint32_t*, std::uint32_t*) {
  return 0;
}
#endif

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
    const std::int64_t segment = integral_segment(width);
    const int first = static_cast<int>(i * band_rows);
    const int end = first + band_rows > height ? height : first + band_rows;
    if (i == 0) zero_integral_row(width, integral);
    std::uint32_t* band_sums = sums + i * column_sum_words(width);
    const std::uint32_t* counts = band_sums + 3 * static_cast<std::int64_t>(width);
    for (int y = first; y < end; ++y) {
      add_to_column_sums(rgb, valid, width, y, band_sums);
      std::uint32_t* row = integral + (y + 1) * pitch;
      std::uint32_t sum[kChannels] = {0, 0, 0, 0};
      for (int c = 0; c < kChannels; ++c) row[c * segment] = 0;
      const int scanned = scan_column_sums(band_sums, width, segment, row, sum);
      for (int x = scanned; x < width; ++x) {
        for (int c = 0; c < 3; ++c) sum[c] += band_sums[3 * x + c];
        sum[3] += counts[x];
        for (int c = 0; c < kChannels; ++c) row[c * segment + x + 1] = sum[c];
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
  const std::uint32_t* top = integral + integral_index(width, 0, 0, y0);
  const std::uint32_t* bottom = integral + integral_index(width, 0, 0, y1);
  const std::int64_t segment = integral_segment(width);
  BoxSums out;
  for (int c = 0; c < kChannels; ++c)
    out.s[c] = bottom[c * segment + x1] - bottom[c * segment + x0] - top[c * segment + x1] + top[c * segment + x0];
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

// Integers below these magnitudes are exact in float and double, and so is the floor of a correctly rounded
// quotient of two of them: it is the integer quotient.
constexpr double kFloatExactBelow = 16777216.0;           // 2^24
constexpr double kDoubleExactBelow = 9007199254740992.0;  // 2^53

// One contrast scale for pixels whose boxes lie inside the integral images, with corner offsets relative to the
// pixel's own integral entry, so nothing is clipped. The same integer as centre_surround_contrast, computed in
// floating point when every product, 255 * inner area * outer area at most, is exact in it (ContrastResponse
// checks). Integral images laid out as here have pitch integral_pitch(width) and segment integral_segment(width);
// the CUDA backend's tiles in shared memory (contrast_cuda.cu) have their own.
struct InteriorScale {
  std::int64_t segment;
  std::int64_t inner[4], outer[4];  // top-left, top-right, bottom-left, bottom-right
  int inner_area, full_ring;
  CAMPSCOPE_HD InteriorScale(std::int64_t pitch, std::int64_t channel_segment, int inner_half, int outer_half)
      : segment(channel_segment) {
    const int halves[2] = {inner_half, outer_half};
    std::int64_t* corners[2] = {inner, outer};
    for (int b = 0; b < 2; ++b) {
      const std::int64_t top = -halves[b] * pitch;
      const std::int64_t bottom = (halves[b] + 1) * pitch;
      const std::int64_t left = -halves[b];
      const std::int64_t right = halves[b] + 1;
      corners[b][0] = top + left;
      corners[b][1] = top + right;
      corners[b][2] = bottom + left;
      corners[b][3] = bottom + right;
    }
    inner_area = (2 * inner_half + 1) * (2 * inner_half + 1);
    full_ring = (2 * outer_half + 1) * (2 * outer_half + 1) - inner_area;
  }
  // The largest product the contrast forms; kDoubleExactBelow, too large for either type, where a box sum might
  // not fit the int it is read into.
  CAMPSCOPE_HD double largest_product() const {
    const double outer_area = static_cast<double>(inner_area) + full_ring;
    return 255.0 * outer_area < 2147483648.0 ? 255.0 * inner_area * outer_area : kDoubleExactBelow;
  }
  // Contrast of the `Lanes` pixels whose entries start at `entry`.
  template <int Lanes, typename Real>
  CAMPSCOPE_HD void operator()(const std::uint32_t* entry, int* contrast) const {
    std::uint32_t in[kChannels][Lanes], out[kChannels][Lanes];
    for (int c = 0; c < kChannels; ++c) {
      for (int j = 0; j < Lanes; ++j) {
        const std::uint32_t* e = entry + c * segment + j;
        in[c][j] = e[inner[3]] - e[inner[2]] - e[inner[1]] + e[inner[0]];
        out[c][j] = e[outer[3]] - e[outer[2]] - e[outer[1]] + e[outer[0]];
      }
    }
    for (int j = 0; j < Lanes; ++j) {
      const int n_inner = static_cast<int>(in[3][j]);
      const int n_ring = static_cast<int>(out[3][j] - in[3][j]);
      const bool judged = (n_inner == inner_area) & (2 * n_ring >= full_ring);
      const Real ring_count = static_cast<Real>(n_ring > 0 ? n_ring : 1);
      const Real divisor = static_cast<Real>(inner_area) * ring_count;
      int total = 0;
      for (int c = 0; c < 3; ++c) {
        const Real diff = static_cast<Real>(static_cast<int>(in[c][j])) * ring_count -
                          static_cast<Real>(static_cast<int>(out[c][j] - in[c][j])) * static_cast<Real>(inner_area);
        total += static_cast<int>((diff < 0 ? -diff : diff) / divisor);
      }
      // A product, not a branch, so that the loop over the lanes stays vectorisable.
      contrast[j] = judged * total;
    }
  }
};

// How far the largest box reaches from its centre pixel.
CAMPSCOPE_HD int contrast_reach(const PixelParams& params) {
  return params.vehicle_outer_half > params.tent_outer_half ? params.vehicle_outer_half : params.tent_outer_half;
}

CAMPSCOPE_HD double largest_product(const InteriorScale& vehicle, const InteriorScale& tent) {
  return vehicle.largest_product() > tent.largest_product() ? vehicle.largest_product() : tent.largest_product();
}

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
  template <int Lanes, typename Real>
  CAMPSCOPE_HD static void interior(const InteriorScale& vehicle, const InteriorScale& tent,
                                    const std::uint32_t* entry, std::uint16_t* out) {
    int v[Lanes], t[Lanes];
    vehicle.operator()<Lanes, Real>(entry, v);
    tent.operator()<Lanes, Real>(entry, t);
    for (int j = 0; j < Lanes; ++j) out[j] = static_cast<std::uint16_t>(v[j] > t[j] ? v[j] : t[j]);
  }
  // Pixels [lo, hi) of an interior row whose entries start at `row`. A last partial step is taken as a full one
  // ending at `hi`, which recomputes a few pixels to the same values.
  template <typename Real>
  CAMPSCOPE_HD static void interior_run(const InteriorScale& vehicle, const InteriorScale& tent,
                                        const std::uint32_t* row, std::uint16_t* out, int lo, int hi) {
    if (hi - lo >= kContrastLanes) {
      for (int x = lo; x < hi; x += kContrastLanes) {
        const int start = x + kContrastLanes <= hi ? x : hi - kContrastLanes;
        interior<kContrastLanes, Real>(vehicle, tent, row + start, out + start);
      }
    } else {
      for (int x = lo; x < hi; ++x) interior<1, Real>(vehicle, tent, row + x, out + x);
    }
  }
  CAMPSCOPE_HD void operator()(std::int64_t i) const {
    const std::int64_t runs = runs_per_row(width, run);
    const int y = static_cast<int>(i / runs);
    const int x0 = static_cast<int>(i % runs) * run;
    pixels_of_row(x0, x0 + run > width ? width : x0 + run, y);
  }
  // Pixels [x0, x1) of row y.
  CAMPSCOPE_HD void pixels_of_row(int x0, int x1, int y) const {
    std::uint16_t* out = response + static_cast<std::int64_t>(y) * width;
    const std::int64_t pitch = integral_pitch(width), segment = integral_segment(width);
    const InteriorScale vehicle(pitch, segment, params.vehicle_inner_half, params.vehicle_outer_half);
    const InteriorScale tent(pitch, segment, params.tent_inner_half, params.tent_outer_half);
    const double largest = largest_product(vehicle, tent);
    // Pixels whose every box lies inside the block take the interior path; the rest clip their boxes.
    const int reach = contrast_reach(params);
    const bool inside = y >= reach && y + reach < height && largest < kDoubleExactBelow;
    const int lo = !inside ? x1 : reach < x0 ? x0 : reach > x1 ? x1 : reach;
    const int hi = !inside ? x1 : width - reach < lo ? lo : width - reach > x1 ? x1 : width - reach;
    for (int x = x0; x < lo; ++x) out[x] = at_edge(x, y);
    const std::uint32_t* row = integral + integral_index(width, 0, 0, y);
    if (largest < kFloatExactBelow) {
      interior_run<float>(vehicle, tent, row, out, lo, hi);
    } else {
      interior_run<double>(vehicle, tent, row, out, lo, hi);
    }
    for (int x = hi; x < x1; ++x) out[x] = at_edge(x, y);
  }
};

// Pixels per step of the maxima loop away from the block's edges: 32 side by side on the CPU, so the loops over
// them vectorise; one per CUDA thread.
#if defined(__CUDA_ARCH__)
constexpr int kMaximaLanes = 1;
#else
constexpr int kMaximaLanes = 32;
#endif

CAMPSCOPE_HD std::uint16_t larger(std::uint16_t a, std::uint16_t b) { return a > b ? a : b; }

// A candidate is a pixel whose response reaches the threshold and is the maximum of its neighbourhood; on plateaus
// the first pixel in row-major order wins, so every plateau yields exactly one candidate: the pixel must beat every
// earlier neighbour (the rows above, and west in its own row) and reach every later one. i = row * runs + run index.
struct LocalMaxima {
  const std::uint16_t* response;
  std::uint8_t* is_candidate;
  int width, height;
  int radius;
  int threshold;
  int run;
  CAMPSCOPE_HD std::int64_t items() const { return height * runs_per_row(width, run); }
  // Whether a response in columns [x0, x1] of `row` exceeds `limit`.
  CAMPSCOPE_HD static bool exceeds(const std::uint16_t* row, int x0, int x1, int limit) {
    bool exceeded = false;
    for (int x = x0; x <= x1; ++x) exceeded |= row[x] > limit;
    return exceeded;
  }
  // Whether the pixel of response v at (x, y) beats its earlier and reaches its later neighbours at Chebyshev
  // distances from `nearest` to the radius, within the block.
  CAMPSCOPE_HD bool wins_neighbours(int x, int y, int v, int nearest) const {
    const int y0 = y - radius < 0 ? 0 : y - radius;
    const int y1 = y + radius >= height ? height - 1 : y + radius;
    const int x0 = x - radius < 0 ? 0 : x - radius;
    const int x1 = x + radius >= width ? width - 1 : x + radius;
    for (int yy = y0; yy <= y1; ++yy) {
      const std::uint16_t* row = response + static_cast<std::int64_t>(yy) * width;
      // Earlier neighbours must stay below v, later ones at most v.
      const int west_limit = yy <= y ? v - 1 : v;
      const int east_limit = yy < y ? v - 1 : v;
      if ((yy < y ? y - yy : yy - y) < nearest) {
        if (exceeds(row, x0, x - nearest, west_limit) || exceeds(row, x + nearest, x1, east_limit)) return false;
      } else if (exceeds(row, x0, x1, east_limit)) {
        return false;
      }
    }
    return true;
  }
  CAMPSCOPE_HD std::uint8_t at_edge(int x, int y) const {
    const int v = response[static_cast<std::int64_t>(y) * width + x];
    return v >= threshold && wins_neighbours(x, y, v, 1) ? 1 : 0;
  }
  // `Lanes` pixels from (x, y), away from the block's edges, so each has its eight nearest neighbours. Nearly every
  // strong pixel is beaten by one of those, so all lanes test them together, and only the rare pixels that win
  // them go on to test the rest of their window one by one.
  template <int Lanes>
  CAMPSCOPE_HD void interior(int x, int y, std::uint8_t* out) const {
    const std::uint16_t* values = response + static_cast<std::int64_t>(y) * width + x;
    std::uint16_t peak = 0;
    for (int j = 0; j < Lanes; ++j) peak = larger(values[j], peak);
    if (peak < threshold) {
      for (int j = 0; j < Lanes; ++j) out[j] = 0;
      return;
    }
    // The threshold fits 16 bits here, and so every comparison below is one of 16-bit lanes.
    const std::uint16_t strong = threshold > 0 ? static_cast<std::uint16_t>(threshold) : 0;
    const std::uint16_t* above = values - width;
    const std::uint16_t* below = values + width;
    std::uint16_t candidate[Lanes];
    std::uint16_t any_candidate = 0;
    for (int j = 0; j < Lanes; ++j) {
      const std::uint16_t earlier = larger(larger(above[j - 1], above[j]), larger(above[j + 1], values[j - 1]));
      const std::uint16_t later = larger(larger(below[j - 1], below[j]), larger(below[j + 1], values[j + 1]));
      candidate[j] = (values[j] >= strong) & (values[j] > earlier) & (values[j] >= later);
      any_candidate |= candidate[j];
    }
    for (int j = 0; j < Lanes; ++j) out[j] = static_cast<std::uint8_t>(candidate[j]);
    if (any_candidate && radius > 1) test_outer_window<Lanes>(x, y, out);
  }
  // Clears `out` of the `Lanes` pixels from (x, y) that lose to a neighbour outside their eight nearest. On the CPU
  // the few set flags are found eight at a time, from 64-bit words of the flag bytes (little-endian), as a test of
  // each lane costs a branch that the survivors' scattered positions make unpredictable.
  template <int Lanes>
  CAMPSCOPE_HD void test_outer_window(int x, int y, std::uint8_t* out) const {
    const std::uint16_t* values = response + static_cast<std::int64_t>(y) * width + x;
    if constexpr (Lanes % 8 == 0) {
      for (int group = 0; group < Lanes; group += 8) {
        std::uint64_t flags;
        std::memcpy(&flags, out + group, sizeof flags);
        while (flags != 0) {
          const int j = group + lowest_set_bit(flags) / 8;
          flags &= flags - 1;
          if (!wins_neighbours(x + j, y, values[j], 2)) out[j] = 0;
        }
      }
    } else {
      for (int j = 0; j < Lanes; ++j)
        if (out[j] && !wins_neighbours(x + j, y, values[j], 2)) out[j] = 0;
    }
  }
  CAMPSCOPE_HD void operator()(std::int64_t i) const {
    const std::int64_t runs = runs_per_row(width, run);
    const int y = static_cast<int>(i / runs);
    const int x0 = static_cast<int>(i % runs) * run;
    pixels_of_row(x0, x0 + run > width ? width : x0 + run, y);
  }
  // Pixels [x0, x1) of row y.
  CAMPSCOPE_HD void pixels_of_row(int x0, int x1, int y) const {
    std::uint8_t* out = is_candidate + static_cast<std::int64_t>(y) * width;
    // The interior needs all eight nearest neighbours, and a window that holds them: a radius of at least 1.
    const bool inner_row = radius >= 1 && y >= 1 && y + 1 < height;
    const int lo = !inner_row ? x1 : x0 > 1 ? x0 : 1 < x1 ? 1 : x1;
    const int hi = !inner_row || width - 1 < lo ? lo : width - 1 < x1 ? width - 1 : x1;
    for (int x = x0; x < lo; ++x) out[x] = at_edge(x, y);
    // A last partial step is taken as a full one ending at `hi`, which recomputes a few pixels to the same values.
    if (hi - lo >= kMaximaLanes) {
      for (int x = lo; x < hi; x += kMaximaLanes) {
        const int start = x + kMaximaLanes <= hi ? x : hi - kMaximaLanes;
        interior<kMaximaLanes>(start, y, out + start);
      }
    } else {
      for (int x = lo; x < hi; ++x) interior<1>(x, y, out + x);
    }
    for (int x = hi; x < x1; ++x) out[x] = at_edge(x, y);
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

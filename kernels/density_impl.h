// Per-element density math shared by density_cpu.cpp and density_cuda.cu, so both backends run the same
// operations in the same order and give bit-identical floats (the build forbids FMA contraction on both sides).
#pragma once
#include <cmath>
#include <cstdint>
#include <vector>

#include "campscope/density.h"
#include "parallel_for.h"

namespace campscope {

struct DensityGeometry {
  double origin_x = 0.0;
  double origin_y = 0.0;
  double cell_m = 1.0;
  int width = 0;
  int height = 0;
};

// Everything the backends need besides the points, prepared once on the host.
struct DensityPlan {
  DensityGeometry geometry;
  std::vector<float> weights;  // 2 * radius + 1 taps, centre at index radius, sum 1, symmetric (w[r-k] == w[r+k])
  float per_km2 = 1.0f;        // persons per cell -> persons per km^2
  int radius() const { return static_cast<int>(weights.size() / 2); }
};

// Persons are splatted as integer micro-persons so the sum per cell does not depend on the order of addition.
constexpr double kMicroPersonsPerPerson = 1e6;

// Row-major cell index of the cell containing (x, y), or -1 outside the grid. Cells are closed on their west
// and north sides, so a point on a shared cell border belongs to exactly one cell.
// For a coordinate v in cells, floor(v) is in [0, n) exactly when v is, and then it is v truncated, so no floor is
// needed (on a CPU without SSE4.1 it is a library call).
CAMPSCOPE_HD std::int64_t density_cell_of(double x, double y, const DensityGeometry& g) {
  const double col = (x - g.origin_x) / g.cell_m;
  const double row = (g.origin_y - y) / g.cell_m;
  if (!(col >= 0.0 && col < g.width && row >= 0.0 && row < g.height)) return -1;
  return static_cast<std::int64_t>(row) * g.width + static_cast<std::int64_t>(col);
}

CAMPSCOPE_HD float micro_to_persons(std::int64_t micro) {
  return static_cast<float>(static_cast<double>(micro) / kMicroPersonsPerPerson);
}

// Half-sample symmetric reflection of index p into [0, n). With a symmetric kernel this makes the convolution
// matrix symmetric with unit row sums, hence unit column sums: mass that would leave the grid is folded back,
// so even points in the padding (or a grid narrower than the kernel) keep all their persons.
CAMPSCOPE_HD int reflect_index(int p, int n) {
  if (p >= 0 && p < n) return p;
  const int period = 2 * n;
  int q = p % period;
  if (q < 0) q += period;
  return q < n ? q : period - 1 - q;
}

// The two passes of the separable Gaussian take one index per run of `run` consecutive cells along a row
// (i = row * runs + run index): the CPU gives an index a whole row. CUDA runs its own tiled kernels
// (density_cuda.cu), and these functors one cell per thread where a kernel's taps do not fit its tile. Away from
// the borders the CPU steps through a row kDensityLanes cells at a
// time, each tap a loop over the lanes that vectorises; every cell still sums its taps in tap order, so the
// float result does not depend on the lanes or the run.
#if defined(__CUDA_ARCH__)
constexpr int kDensityLanes = 1;
#else
constexpr int kDensityLanes = 32;
#endif

CAMPSCOPE_HD std::int64_t density_runs_per_row(int width, int run) { return (width + run - 1) / run; }

// Calls step(x) for steps of `Lanes` cells covering [lo, hi), the last one shifted back to end at hi (it recomputes
// a few cells to the same values), or calls single(x) per cell when the range is shorter than one step.
template <int Lanes, typename Step, typename Single>
CAMPSCOPE_HD void for_each_step(int lo, int hi, const Step& step, const Single& single) {
  if (hi - lo < Lanes) {
    for (int x = lo; x < hi; ++x) single(x);
    return;
  }
  for (int x = lo; x < hi; x += Lanes) step(x + Lanes <= hi ? x : hi - Lanes);
}

// The CPU also passes spans: per row, the columns [first, end) outside which the row is zero (first >= end: all
// zero). Persons and their smoothing are never negative, so a cell whose taps all read +0 sums to +0 exactly; the
// passes leave those cells zero without summing, which on a camp map is most of the grid. CUDA passes no spans.
struct DensitySpan {
  int first, end;
};

// One tap of the Gaussian added to a cell's sum. The Gaussian is symmetric, so the two cells k apart on either side
// share a weight and are added first, one multiply for both: every pass on either backend sums a cell as
// w[r-k] * (x[i-k] + x[i+k]) for k = r down to 1 (the smallest weights first), then w[r] * x[i] (symmetric_sum), and
// FMA contraction is off on both, so the floats agree to the bit. (On an H200 the pairing took the row pass from
// 52% to 67% of the device's copy bandwidth, the column pass from 58% to 73%, both bound by issuing instructions.)
CAMPSCOPE_HD float add_tap(float sum, float weight, float value) { return sum + weight * value; }

// A cell's symmetric sum over its 2 * radius + 1 taps, `at(k)` giving the value k cells away (k in [-radius, radius]).
template <typename At>
CAMPSCOPE_HD float symmetric_sum(const float* weights, int radius, const At& at) {
  float sum = 0.0f;
  for (int k = radius; k >= 1; --k) sum = add_tap(sum, weights[radius - k], at(-k) + at(k));
  return add_tap(sum, weights[radius], at(0));
}

CAMPSCOPE_HD int clamp_to(int v, int lo, int hi) { return v < lo ? lo : v > hi ? hi : v; }

// Horizontal pass. With spans (a whole row per index) it also writes the spans of its output: the input spans
// widened by the radius.
struct DensityRowPass {
  const float* in;
  float* out;
  const float* weights;
  int radius;
  int width;
  int height;
  int run;
  const DensitySpan* in_spans;
  DensitySpan* out_spans;
  CAMPSCOPE_HD std::int64_t items() const { return height * density_runs_per_row(width, run); }
  CAMPSCOPE_HD float at_border(const float* row, int col) const {
    return symmetric_sum(weights, radius, [&](int k) { return row[reflect_index(col + k, width)]; });
  }
  // Cells [col, col + Lanes), whose taps all lie inside the row: symmetric_sum's order, each step a loop over the
  // lanes.
  template <int Lanes>
  CAMPSCOPE_HD void inside(const float* row, float* result, int col) const {
    float sum[Lanes];
    for (int j = 0; j < Lanes; ++j) sum[j] = 0.0f;
    const float* centre = row + col;
    for (int k = radius; k >= 1; --k) {
      const float weight = weights[radius - k];
      for (int j = 0; j < Lanes; ++j) sum[j] = add_tap(sum[j], weight, centre[j - k] + centre[j + k]);
    }
    for (int j = 0; j < Lanes; ++j) result[col + j] = add_tap(sum[j], weights[radius], centre[j]);
  }
  CAMPSCOPE_HD void operator()(std::int64_t i) const {
    const std::int64_t runs = density_runs_per_row(width, run);
    const int y = static_cast<int>(i / runs);
    const int x0 = static_cast<int>(i % runs) * run;
    pixels_of_row(x0, x0 + run > width ? width : x0 + run, y);
  }
  // Cells [x0, x1) of row y.
  CAMPSCOPE_HD void pixels_of_row(int x0, int x1, int y) const {
    const float* row = in + static_cast<std::int64_t>(y) * width;
    float* result = out + static_cast<std::int64_t>(y) * width;
    int a = x0, b = x1;
    if (in_spans) {
      const DensitySpan span = in_spans[y];
      a = span.first >= span.end ? x1 : clamp_to(span.first - radius, x0, x1);
      b = span.first >= span.end ? x1 : clamp_to(span.end + radius, a, x1);
      for (int x = x0; x < a; ++x) result[x] = 0.0f;
      for (int x = b; x < x1; ++x) result[x] = 0.0f;
      out_spans[y] = DensitySpan{a, b};
    }
    const int lo = clamp_to(radius, a, b);
    const int hi = clamp_to(width - radius, lo, b);
    for (int x = a; x < lo; ++x) result[x] = at_border(row, x);
    for_each_step<kDensityLanes>(
        lo, hi, [&](int x) { inside<kDensityLanes>(row, result, x); }, [&](int x) { inside<1>(row, result, x); });
    for (int x = hi; x < b; ++x) result[x] = at_border(row, x);
  }
};

// Vertical pass: taps summed in symmetric_sum's order, then scaled to persons per km^2. Rows beyond the grid reflect
// back into it, one reflection per tap for the whole run. With spans, `out` must hold zeros already: cells outside
// the spans of a row's taps are not written.
struct DensityColumnPass {
  const float* in;
  float* out;
  const float* weights;
  int radius;
  int width;
  int height;
  float per_km2;
  int run;
  const DensitySpan* in_spans;
  CAMPSCOPE_HD std::int64_t items() const { return height * density_runs_per_row(width, run); }
  template <bool Reflect>
  CAMPSCOPE_HD int tap_row(int row, int k) const {
    return Reflect ? reflect_index(row + k, height) : row + k;
  }
  // Cells [col, col + Lanes) of `row`; rows whose taps all lie inside the grid step from tap to tap without
  // reflecting.
  template <int Lanes, bool Reflect>
  CAMPSCOPE_HD void cells(int row, int col) const {
    float sum[Lanes];
    for (int j = 0; j < Lanes; ++j) sum[j] = 0.0f;
    const auto values_at = [&](int k) { return in + static_cast<std::int64_t>(tap_row<Reflect>(row, k)) * width + col; };
    for (int k = radius; k >= 1; --k) {
      const float weight = weights[radius - k];
      const float* above = values_at(-k);
      const float* below = values_at(k);
      for (int j = 0; j < Lanes; ++j) sum[j] = add_tap(sum[j], weight, above[j] + below[j]);
    }
    const float* centre = values_at(0);
    float* result = out + static_cast<std::int64_t>(row) * width + col;
    for (int j = 0; j < Lanes; ++j) result[j] = add_tap(sum[j], weights[radius], centre[j]) * per_km2;
  }
  template <bool Reflect>
  CAMPSCOPE_HD void row_cells(int row, int x0, int x1) const {
    int a = x0, b = x1;
    if (in_spans) {
      int first = x1, end = x0;
      for (int k = -radius; k <= radius; ++k) {
        const DensitySpan span = in_spans[tap_row<Reflect>(row, k)];
        if (span.first >= span.end) continue;
        first = span.first < first ? span.first : first;
        end = span.end > end ? span.end : end;
      }
      a = clamp_to(first, x0, x1);
      b = clamp_to(end, a, x1);
    }
    for_each_step<kDensityLanes>(
        a, b, [&](int x) { cells<kDensityLanes, Reflect>(row, x); }, [&](int x) { cells<1, Reflect>(row, x); });
  }
  CAMPSCOPE_HD void operator()(std::int64_t i) const {
    const std::int64_t runs = density_runs_per_row(width, run);
    const int row = static_cast<int>(i / runs);
    const int x0 = static_cast<int>(i % runs) * run;
    pixels_of_row(x0, x0 + run > width ? width : x0 + run, row);
  }
  // Cells [x0, x1) of `row`.
  CAMPSCOPE_HD void pixels_of_row(int x0, int x1, int row) const {
    if (row >= radius && row + radius < height) {
      row_cells<false>(row, x0, x1);
    } else {
      row_cells<true>(row, x0, x1);
    }
  }
};

// Most cells hold nobody; their zero needs no division.
struct DensityCellsToPersons {
  const std::int64_t* micro;
  float* persons;
  CAMPSCOPE_HD void operator()(std::int64_t i) const { persons[i] = micro[i] == 0 ? 0.0f : micro_to_persons(micro[i]); }
};

// CPU backend. `micro_persons[i]` is points[i].persons in micro-persons; the caller has validated everything.
std::vector<float> density_map_cpu(const DensityPlan& plan, const std::vector<WeightedPoint>& points,
                                   const std::vector<std::int64_t>& micro_persons);

}  // namespace campscope

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
  std::vector<float> weights;  // 2 * radius + 1 taps, centre at index radius, sum 1
  float per_km2 = 1.0f;        // persons per cell -> persons per km^2
  int radius() const { return static_cast<int>(weights.size() / 2); }
};

// Persons are splatted as integer micro-persons so the sum per cell does not depend on the order of addition.
constexpr double kMicroPersonsPerPerson = 1e6;

// Row-major cell index of the cell containing (x, y), or -1 outside the grid. Cells are closed on their west
// and north sides, so a point on a shared cell border belongs to exactly one cell.
CAMPSCOPE_HD std::int64_t density_cell_of(double x, double y, const DensityGeometry& g) {
  const double col = floor((x - g.origin_x) / g.cell_m);
  const double row = floor((g.origin_y - y) / g.cell_m);
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

// One output of the horizontal pass: taps summed from west to east.
struct DensityRowPass {
  const float* in;
  float* out;
  const float* weights;
  int radius;
  int width;
  CAMPSCOPE_HD void operator()(std::int64_t i) const {
    const std::int64_t row_start = i - i % width;
    const int col = static_cast<int>(i - row_start);
    float sum = 0.0f;
    for (int k = -radius; k <= radius; ++k) {
      sum = sum + weights[k + radius] * in[row_start + reflect_index(col + k, width)];
    }
    out[i] = sum;
  }
};

// One output of the vertical pass: taps summed from north to south, then scaled to persons per km^2.
struct DensityColumnPass {
  const float* in;
  float* out;
  const float* weights;
  int radius;
  int width;
  int height;
  float per_km2;
  CAMPSCOPE_HD void operator()(std::int64_t i) const {
    const int row = static_cast<int>(i / width);
    const std::int64_t col = i - static_cast<std::int64_t>(row) * width;
    float sum = 0.0f;
    for (int k = -radius; k <= radius; ++k) {
      sum = sum + weights[k + radius] * in[static_cast<std::int64_t>(reflect_index(row + k, height)) * width + col];
    }
    out[i] = sum * per_km2;
  }
};

struct DensityCellsToPersons {
  const std::int64_t* micro;
  float* persons;
  CAMPSCOPE_HD void operator()(std::int64_t i) const { persons[i] = micro_to_persons(micro[i]); }
};

// CPU backend. `micro_persons[i]` is points[i].persons in micro-persons; the caller has validated everything.
std::vector<float> density_map_cpu(const DensityPlan& plan, const std::vector<WeightedPoint>& points,
                                   const std::vector<std::int64_t>& micro_persons);

}  // namespace campscope

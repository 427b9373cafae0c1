#include "campscope/density.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "campscope/types.h"
#include "density_impl.h"
#ifdef CAMPSCOPE_WITH_CUDA
#include "density_cuda.h"
#endif

namespace campscope {
namespace {

constexpr double kMaxGridCells = 2147483648.0;  // 2^31
constexpr double kMaxGridSide = 1073741824.0;   // 2^30
// Beyond this the convolution costs more than any real camp map needs; it signals a unit mistake.
constexpr int kMaxKernelRadiusCells = 1 << 16;
constexpr double kSigmasOfSupport = 4.0;

std::string number(double value) {
  std::ostringstream out;
  out.precision(17);
  out << value;
  return out.str();
}

void require_finite(double value, const std::string& what) {
  if (!std::isfinite(value)) throw InputError("density: " + what + " is not finite (" + number(value) + ")");
}

void require_cell_and_bandwidth(double cell_m, double bandwidth_m) {
  require_finite(cell_m, "cell size");
  require_finite(bandwidth_m, "bandwidth");
  if (cell_m <= 0.0) throw InputError("density: cell size must be positive, got " + number(cell_m) + " m");
  if (bandwidth_m < 0.0) throw InputError("density: bandwidth must not be negative, got " + number(bandwidth_m) + " m");
}

// Below half a cell a Gaussian sampled at cell centres is essentially a delta, so the map is left unsmoothed.
int kernel_radius_cells(double cell_m, double bandwidth_m) {
  if (bandwidth_m < 0.5 * cell_m) return 0;
  const double radius = std::ceil(kSigmasOfSupport * bandwidth_m / cell_m);
  if (radius > kMaxKernelRadiusCells) {
    throw InputError("density: bandwidth " + number(bandwidth_m) + " m is too large for " + number(cell_m) +
                     " m cells (kernel radius " + number(radius) + " cells, at most " +
                     std::to_string(kMaxKernelRadiusCells) + ")");
  }
  return static_cast<int>(radius);
}

// Computed once in double and normalised there, so the float taps both backends use are the same and sum to 1
// to float precision.
std::vector<float> gaussian_weights(double cell_m, double bandwidth_m) {
  const int radius = kernel_radius_cells(cell_m, bandwidth_m);
  if (radius == 0) return {1.0f};
  std::vector<double> exact(2 * static_cast<std::size_t>(radius) + 1);
  double total = 0.0;
  for (int k = -radius; k <= radius; ++k) {
    const double z = k * cell_m / bandwidth_m;
    exact[k + radius] = std::exp(-0.5 * z * z);
    total += exact[k + radius];
  }
  std::vector<float> weights(exact.size());
  for (std::size_t i = 0; i < exact.size(); ++i) weights[i] = static_cast<float>(exact[i] / total);
  return weights;
}

// The per-dimension cap keeps index arithmetic (row + tap, twice a dimension for reflection) inside int.
void require_grid_size(double width, double height) {
  if (width * height > kMaxGridCells || width > kMaxGridSide || height > kMaxGridSide) {
    throw InputError("density: grid of " + number(width) + " x " + number(height) + " cells exceeds 2^31 cells or 2^30 on a side");
  }
}

DensityGeometry validated_geometry(const GridSpec& grid) {
  require_finite(grid.origin_x, "grid origin x");
  require_finite(grid.origin_y, "grid origin y");
  if (!(std::isfinite(grid.cell_m) && grid.cell_m > 0.0)) {
    throw InputError("density: grid cell size must be positive and finite, got " + number(grid.cell_m));
  }
  if (grid.width <= 0 || grid.height <= 0) {
    throw InputError("density: grid must have at least one cell, got " + std::to_string(grid.width) + " x " +
                     std::to_string(grid.height));
  }
  require_grid_size(grid.width, grid.height);
  return DensityGeometry{grid.origin_x, grid.origin_y, grid.cell_m, grid.width, grid.height};
}

// Micro-persons per point. Points outside the grid are not splatted, so only the inside ones must keep the
// per-cell and total sums inside int64.
std::vector<std::int64_t> micro_persons_of(const std::vector<WeightedPoint>& points, const DensityGeometry& g) {
  const double max_micro = static_cast<double>(std::numeric_limits<std::int64_t>::max());
  std::vector<std::int64_t> micro(points.size());
  std::int64_t total = 0;
  for (std::size_t i = 0; i < points.size(); ++i) {
    const WeightedPoint& p = points[i];
    const auto fail = [i](const std::string& problem) {
      throw InputError("density: point " + std::to_string(i) + " " + problem);
    };
    if (!std::isfinite(p.x) || !std::isfinite(p.y)) {
      fail("has non-finite coordinates (" + number(p.x) + ", " + number(p.y) + ")");
    }
    if (!std::isfinite(p.persons)) fail("has non-finite persons (" + number(p.persons) + ")");
    if (p.persons < 0.0) fail("has negative persons (" + number(p.persons) + ")");
    const double scaled = p.persons * kMicroPersonsPerPerson;
    if (scaled >= max_micro) fail("has " + number(p.persons) + " persons, more than int64 micro-persons hold");
    micro[i] = std::llround(scaled);
    if (density_cell_of(p.x, p.y, g) < 0) continue;
    if (micro[i] > std::numeric_limits<std::int64_t>::max() - total) {
      throw InputError("density: total persons in the grid exceed what int64 micro-persons hold (about 9.2e12)");
    }
    total += micro[i];
  }
  return micro;
}

}  // namespace

GridSpec make_density_grid(double min_x, double min_y, double max_x, double max_y, double cell_m,
                           double bandwidth_m, const std::string& crs_wkt) {
  require_finite(min_x, "bounds min x");
  require_finite(min_y, "bounds min y");
  require_finite(max_x, "bounds max x");
  require_finite(max_y, "bounds max y");
  if (min_x > max_x || min_y > max_y) {
    throw InputError("density: empty bounds [" + number(min_x) + ", " + number(max_x) + "] x [" + number(min_y) +
                     ", " + number(max_y) + "]");
  }
  require_cell_and_bandwidth(cell_m, bandwidth_m);
  const int radius = kernel_radius_cells(cell_m, bandwidth_m);

  // Column and row indices of the grid's west and north edges, counted in cells from the CRS origin, so the
  // origin is an exact multiple of the cell size.
  double west = std::floor(min_x / cell_m) - radius;
  double north = std::ceil(max_y / cell_m) + radius;
  // The splat's own rounding decides where a bound on a cell border lands; step outwards until it puts the
  // bounds at least `radius` whole cells inside, so no point within them loses mass over the edge.
  constexpr int kMaxSteps = 4;
  for (int step = 0; step < kMaxSteps && std::floor((min_x - west * cell_m) / cell_m) < radius; ++step) west -= 1.0;
  for (int step = 0; step < kMaxSteps && std::floor((north * cell_m - max_y) / cell_m) < radius; ++step) north += 1.0;
  const double origin_x = west * cell_m;
  const double origin_y = north * cell_m;
  if (std::floor((min_x - origin_x) / cell_m) < radius || std::floor((origin_y - max_y) / cell_m) < radius ||
      !std::isfinite(origin_x) || !std::isfinite(origin_y)) {
    throw InputError("density: coordinates near (" + number(min_x) + ", " + number(max_y) +
                     ") are too large to resolve " + number(cell_m) + " m cells");
  }
  const double width = std::floor((max_x - origin_x) / cell_m) + 1.0 + radius;
  const double height = std::floor((origin_y - min_y) / cell_m) + 1.0 + radius;
  require_grid_size(width, height);

  GridSpec grid;
  grid.origin_x = origin_x;
  grid.origin_y = origin_y;
  grid.cell_m = cell_m;
  grid.width = static_cast<int>(width);
  grid.height = static_cast<int>(height);
  grid.crs_wkt = crs_wkt;
  return grid;
}

std::vector<float> density_map(const GridSpec& grid, const std::vector<WeightedPoint>& points, double bandwidth_m,
                               Backend backend) {
  DensityPlan plan;
  plan.geometry = validated_geometry(grid);
  require_cell_and_bandwidth(grid.cell_m, bandwidth_m);
  plan.weights = gaussian_weights(grid.cell_m, bandwidth_m);
  plan.per_km2 = static_cast<float>(1e6 / (grid.cell_m * grid.cell_m));
  const std::vector<std::int64_t> micro_persons = micro_persons_of(points, plan.geometry);

  if (backend == Backend::Cuda) {
#ifdef CAMPSCOPE_WITH_CUDA
    return density_map_cuda(plan, points, micro_persons);
#else
    throw std::runtime_error("density_map: this build has no CUDA backend");
#endif
  }
  return density_map_cpu(plan, points, micro_persons);
}

}  // namespace campscope

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "campscope/backend.h"
#include "campscope/density.h"
#include "campscope/types.h"

namespace campscope {
namespace {

constexpr double kCell = 10.0;

GridSpec grid_of(int width, int height, double cell_m = kCell) {
  GridSpec grid;
  grid.origin_x = 512030.0;
  grid.origin_y = 3871250.0;
  grid.cell_m = cell_m;
  grid.width = width;
  grid.height = height;
  return grid;
}

// Centre of cell (row, col), optionally nudged inside the cell by (fx, fy) in [0, 1).
WeightedPoint point_in_cell(const GridSpec& grid, int row, int col, double persons, double fx = 0.5, double fy = 0.5) {
  return WeightedPoint{grid.origin_x + (col + fx) * grid.cell_m, grid.origin_y - (row + fy) * grid.cell_m, persons};
}

std::vector<WeightedPoint> random_points(const GridSpec& grid, int count, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> col(0, grid.width - 1), row(0, grid.height - 1);
  std::uniform_real_distribution<double> frac(0.0, 0.999), persons(0.5, 20.0);
  std::vector<WeightedPoint> points;
  for (int i = 0; i < count; ++i) points.push_back(point_in_cell(grid, row(rng), col(rng), persons(rng), frac(rng), frac(rng)));
  return points;
}

double total_persons(const std::vector<WeightedPoint>& points) {
  double total = 0.0;
  for (const WeightedPoint& p : points) total += p.persons;
  return total;
}

double integral_persons(const std::vector<float>& map, double cell_m) {
  double sum = 0.0;
  for (float v : map) sum += v;
  return sum * cell_m * cell_m / 1e6;
}

float at(const std::vector<float>& map, const GridSpec& grid, int row, int col) {
  return map[static_cast<std::size_t>(row) * grid.width + col];
}

std::size_t argmax(const std::vector<float>& map) {
  std::size_t best = 0;
  for (std::size_t i = 1; i < map.size(); ++i)
    if (map[i] > map[best]) best = i;
  return best;
}

bool bitwise_equal(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

struct MassCase {
  int width;
  int height;
  double bandwidth_m;
  int points;
  std::uint32_t seed;
};

class DensityMass : public ::testing::TestWithParam<MassCase> {};

TEST_P(DensityMass, IntegralEqualsPersonsInsideGrid) {
  const MassCase c = GetParam();
  const GridSpec grid = grid_of(c.width, c.height);
  const std::vector<WeightedPoint> points = random_points(grid, c.points, c.seed);
  const std::vector<float> map = density_map(grid, points, c.bandwidth_m, Backend::Cpu);
  ASSERT_EQ(map.size(), static_cast<std::size_t>(c.width) * c.height);
  for (float v : map) {
    ASSERT_TRUE(std::isfinite(v));
    ASSERT_GE(v, 0.0f);
  }
  const double total = total_persons(points);
  EXPECT_NEAR(integral_persons(map, kCell), total, 1e-5 * total);
}

INSTANTIATE_TEST_SUITE_P(
    DensityCases, DensityMass,
    ::testing::Values(MassCase{37, 53, 0.0, 501, 1}, MassCase{37, 53, 5.0, 499, 2}, MassCase{37, 53, 25.0, 733, 3},
                      MassCase{37, 53, 80.0, 257, 4}, MassCase{101, 7, 0.0, 311, 5}, MassCase{101, 7, 5.0, 97, 6},
                      MassCase{101, 7, 25.0, 1009, 7}, MassCase{101, 7, 80.0, 13, 8}, MassCase{1, 1, 0.0, 3, 9},
                      MassCase{1, 1, 5.0, 17, 10}, MassCase{1, 1, 25.0, 1, 11}, MassCase{1, 1, 80.0, 29, 12}));

TEST(DensityGrid, PadsBoundsByKernelRadiusOnCellMultiples) {
  const double min_x = 512345.6, min_y = 3870987.25, max_x = 513001.9, max_y = 3871555.5;
  const double bandwidth_m = 25.0;  // radius ceil(4 * 25 / 10) = 10 cells
  const GridSpec grid = make_density_grid(min_x, min_y, max_x, max_y, kCell, bandwidth_m, "EPSG:32636");
  EXPECT_EQ(grid.crs_wkt, "EPSG:32636");
  EXPECT_EQ(grid.cell_m, kCell);
  EXPECT_EQ(std::fmod(grid.origin_x, kCell), 0.0);
  EXPECT_EQ(std::fmod(grid.origin_y, kCell), 0.0);
  EXPECT_EQ(grid.origin_x, 512340.0 - 10 * kCell);
  EXPECT_EQ(grid.origin_y, 3871560.0 + 10 * kCell);
  EXPECT_EQ(grid.width, (513000 - 512340) / 10 + 1 + 2 * 10);
  EXPECT_EQ(grid.height, (3871560 - 3870980) / 10 + 2 * 10);
}

TEST(DensityGrid, PointsWithinBoundsKeepAllMass) {
  std::mt19937 rng(77);
  const double min_x = 700000.0, min_y = 9000000.0, max_x = 700533.0, max_y = 9000310.0;  // corners on cell borders
  std::uniform_real_distribution<double> ux(min_x, max_x), uy(min_y, max_y), persons(1.0, 7.0);
  for (double bandwidth_m : {0.0, 4.9, 5.0, 25.0, 80.0}) {
    SCOPED_TRACE(bandwidth_m);
    const GridSpec grid = make_density_grid(min_x, min_y, max_x, max_y, kCell, bandwidth_m, "");
    std::vector<WeightedPoint> points{{min_x, min_y, 11.0}, {max_x, max_y, 13.0}, {min_x, max_y, 17.0},
                                      {max_x, min_y, 19.0}};
    for (int i = 0; i < 300; ++i) points.push_back({ux(rng), uy(rng), persons(rng)});
    const std::vector<float> map = density_map(grid, points, bandwidth_m, Backend::Cpu);
    const double total = total_persons(points);
    EXPECT_NEAR(integral_persons(map, kCell), total, 1e-5 * total);
  }
}

TEST(DensityGrid, SmallBandwidthMeansNoPadding) {
  const GridSpec grid = make_density_grid(0.5, 0.5, 29.5, 19.5, kCell, 4.99, "");
  EXPECT_EQ(grid.origin_x, 0.0);
  EXPECT_EQ(grid.origin_y, 20.0);
  EXPECT_EQ(grid.width, 3);
  EXPECT_EQ(grid.height, 2);
  const GridSpec single = make_density_grid(-7.0, -7.0, -7.0, -7.0, kCell, 0.0, "");
  EXPECT_EQ(single.width, 1);
  EXPECT_EQ(single.height, 1);
}

TEST(DensityGrid, RejectsBadArguments) {
  const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
  EXPECT_THROW(make_density_grid(nan, 0, 1, 1, kCell, 25, ""), InputError);
  EXPECT_THROW(make_density_grid(0, 0, inf, 1, kCell, 25, ""), InputError);
  EXPECT_THROW(make_density_grid(2, 0, 1, 1, kCell, 25, ""), InputError);
  EXPECT_THROW(make_density_grid(0, 0, 1, 1, 0.0, 25, ""), InputError);
  EXPECT_THROW(make_density_grid(0, 0, 1, 1, -10.0, 25, ""), InputError);
  EXPECT_THROW(make_density_grid(0, 0, 1, 1, kCell, -1.0, ""), InputError);
  EXPECT_THROW(make_density_grid(0, 0, 1, 1, kCell, nan, ""), InputError);
  EXPECT_THROW(make_density_grid(0, 0, 1e7, 1e7, 0.1, 0.0, ""), InputError);  // 10^16 cells
  EXPECT_THROW(make_density_grid(0, 0, 1, 1, 1e-3, 1e6, ""), InputError);    // kernel radius 4e9 cells
  try {
    make_density_grid(0, 0, 1e7, 1e7, 0.1, 0.0, "");
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("2^31"), std::string::npos);
  }
}

TEST(DensityShape, SinglePointIsSymmetricGaussianPeakedAtItsCell) {
  const GridSpec grid = grid_of(41, 41);
  const double bandwidth_m = 25.0;
  const int radius = 10;
  const std::vector<float> map =
      density_map(grid, {point_in_cell(grid, 20, 20, 6.5, 0.3, 0.9)}, bandwidth_m, Backend::Cpu);
  EXPECT_EQ(argmax(map), static_cast<std::size_t>(20 * 41 + 20));
  const float peak = at(map, grid, 20, 20);
  for (int r = 0; r < 41; ++r) {
    for (int c = 0; c < 41; ++c) {
      const float v = at(map, grid, r, c);
      ASSERT_EQ(v, at(map, grid, r, 40 - c)) << r << "," << c;
      ASSERT_EQ(v, at(map, grid, 40 - r, c)) << r << "," << c;
      ASSERT_NEAR(v, at(map, grid, c, r), 1e-6 * peak);
      const int dr = r - 20, dc = c - 20;
      if (std::abs(dr) > radius || std::abs(dc) > radius) {
        ASSERT_EQ(v, 0.0f);
      } else {
        const double expected = std::exp(-0.5 * (dr * dr + dc * dc) * kCell * kCell / (bandwidth_m * bandwidth_m));
        ASSERT_NEAR(v / peak, expected, 1e-5) << r << "," << c;
      }
    }
  }
  EXPECT_NEAR(integral_persons(map, kCell), 6.5, 6.5e-5);
}

TEST(DensityShape, BandwidthBelowHalfCellIsIdentity) {
  const GridSpec grid = grid_of(9, 5);
  const std::vector<WeightedPoint> points{point_in_cell(grid, 2, 3, 3.25), point_in_cell(grid, 2, 3, 0.5, 0.1, 0.1),
                                          point_in_cell(grid, 4, 8, 1.0, 0.999, 0.999),
                                          point_in_cell(grid, 0, 0, 2.0, 0.0, 0.0)};
  for (double bandwidth_m : {0.0, 1.0, 4.999}) {
    const std::vector<float> map = density_map(grid, points, bandwidth_m, Backend::Cpu);
    for (int r = 0; r < 5; ++r) {
      for (int c = 0; c < 9; ++c) {
        float expected = 0.0f;
        if (r == 2 && c == 3) expected = 37500.0f;  // 3.75 persons in 100 m^2
        if (r == 4 && c == 8) expected = 10000.0f;
        if (r == 0 && c == 0) expected = 20000.0f;
        EXPECT_EQ(at(map, grid, r, c), expected) << bandwidth_m << " at " << r << "," << c;
      }
    }
  }
}

TEST(DensityShape, TranslationByWholeCellsShiftsTheMapExactly) {
  const GridSpec grid = grid_of(71, 59);
  std::mt19937 rng(2024);
  std::uniform_int_distribution<int> offset(0, 8);
  std::uniform_real_distribution<double> frac(0.0, 0.999), persons(0.1, 9.0);
  std::vector<WeightedPoint> points, shifted;
  const int shift_rows = 7, shift_cols = -5;
  for (int i = 0; i < 40; ++i) {
    const int r = 20 + offset(rng), c = 30 + offset(rng);
    const double fx = frac(rng), fy = frac(rng), p = persons(rng);
    points.push_back(point_in_cell(grid, r, c, p, fx, fy));
    shifted.push_back(point_in_cell(grid, r + shift_rows, c + shift_cols, p, fx, fy));
  }
  const std::vector<float> a = density_map(grid, points, 25.0, Backend::Cpu);
  const std::vector<float> b = density_map(grid, shifted, 25.0, Backend::Cpu);
  // Both supports stay 10 cells clear of the border, so the reflection never touches them.
  for (int r = 0; r + shift_rows < grid.height; ++r) {
    for (int c = std::max(0, -shift_cols); c < grid.width; ++c) {
      ASSERT_EQ(at(a, grid, r, c), at(b, grid, r + shift_rows, c + shift_cols)) << r << "," << c;
    }
  }
}

TEST(DensityShape, PeakFollowsTheHeaviestCluster) {
  const GridSpec grid = grid_of(63, 47);
  std::vector<WeightedPoint> points = random_points(grid, 200, 99);
  for (int i = 0; i < 50; ++i) points.push_back(point_in_cell(grid, 31, 17, 5.0, 0.02 * i, 0.019 * i));
  const std::vector<float> map = density_map(grid, points, 25.0, Backend::Cpu);
  EXPECT_EQ(argmax(map), static_cast<std::size_t>(31 * 63 + 17));
}

// The CPU backend keeps its grids from call to call on a thread, all zero between calls: a map must not depend on
// the maps computed before it, whatever their size, on the thread or on a fresh one.
TEST(DensityAdversarial, AMapDoesNotDependOnTheMapsBeforeIt) {
  const GridSpec wide = grid_of(211, 37), tall = grid_of(29, 173);
  const std::vector<WeightedPoint> wide_points = random_points(wide, 3001, 5), tall_points = random_points(tall, 997, 6);
  const std::vector<float> wide_first = density_map(wide, wide_points, 25.0, Backend::Cpu);
  const std::vector<float> tall_after_wide = density_map(tall, tall_points, 25.0, Backend::Cpu);
  const std::vector<float> wide_again = density_map(wide, wide_points, 25.0, Backend::Cpu);
  std::vector<float> tall_alone;
  std::thread([&] { tall_alone = density_map(tall, tall_points, 25.0, Backend::Cpu); }).join();
  EXPECT_TRUE(bitwise_equal(wide_first, wide_again));
  EXPECT_TRUE(bitwise_equal(tall_after_wide, tall_alone));
}

TEST(DensityAdversarial, AllPointsInOneCell) {
  const GridSpec grid = grid_of(23, 31);
  std::vector<WeightedPoint> points;
  for (int i = 0; i < 10007; ++i) points.push_back(point_in_cell(grid, 11, 9, 1.7, (i % 97) / 97.0, (i % 89) / 89.0));
  const std::vector<float> map = density_map(grid, points, 25.0, Backend::Cpu);
  const double total = total_persons(points);
  EXPECT_NEAR(integral_persons(map, kCell), total, 1e-5 * total);
  EXPECT_EQ(argmax(map), static_cast<std::size_t>(11 * 23 + 9));
}

TEST(DensityAdversarial, PointsInThePaddingAndOnTheBorder) {
  const GridSpec grid = make_density_grid(1000.0, 2000.0, 1300.0, 2200.0, kCell, 25.0, "");
  const double east = grid.origin_x + grid.width * kCell, south = grid.origin_y - grid.height * kCell;
  // Inside: the west and north borders belong to the grid; the reflection keeps the mass of padding points.
  const std::vector<WeightedPoint> inside{{grid.origin_x, grid.origin_y, 3.0},
                                          {east - 1e-6, south + 1e-6, 5.0},
                                          {grid.origin_x + 0.5, south + 0.5, 7.0},
                                          {east - 0.5, grid.origin_y - 0.5, 11.0},
                                          {grid.origin_x + 35.0, grid.origin_y - 75.0, 13.0}};
  // Outside: the east and south borders, and beyond.
  const std::vector<WeightedPoint> outside{{east, grid.origin_y - 5.0, 1e6},
                                           {grid.origin_x + 5.0, south, 1e6},
                                           {grid.origin_x - 1e-9, grid.origin_y - 5.0, 1e6},
                                           {grid.origin_x + 5.0, grid.origin_y + 1e-9, 1e6},
                                           {-1e300, 1e300, 1e6}};
  std::vector<WeightedPoint> all = inside;
  all.insert(all.end(), outside.begin(), outside.end());
  const std::vector<float> map = density_map(grid, all, 25.0, Backend::Cpu);
  EXPECT_NEAR(integral_persons(map, kCell), 39.0, 39e-5);
  EXPECT_EQ(argmax(map), static_cast<std::size_t>(grid.width - 1));  // 11 persons in the north-east corner cell
}

TEST(DensityAdversarial, HugeCountsStayExactUntilInt64MicroPersonsOverflow) {
  const GridSpec grid = grid_of(15, 13);
  std::vector<WeightedPoint> points;
  for (int i = 0; i < 9; ++i) points.push_back(point_in_cell(grid, i, i + 3, 1e12));
  points.push_back(point_in_cell(grid, 12, 0, 0.000001));
  const std::vector<float> map = density_map(grid, points, 25.0, Backend::Cpu);
  EXPECT_NEAR(integral_persons(map, kCell), 9e12, 9e12 * 1e-5);

  points.push_back(point_in_cell(grid, 5, 5, 1e12));  // 10^13 persons in all: over int64 micro-persons
  EXPECT_THROW(density_map(grid, points, 25.0, Backend::Cpu), InputError);
  EXPECT_THROW(density_map(grid, {point_in_cell(grid, 1, 1, 1e14)}, 25.0, Backend::Cpu), InputError);
  // Outside the grid a point is ignored, however heavy.
  const std::vector<float> ignored =
      density_map(grid, {{grid.origin_x - 50.0, grid.origin_y, 5e12}, {grid.origin_x - 50.0, grid.origin_y, 5e12},
                         point_in_cell(grid, 1, 1, 2.0)},
                  25.0, Backend::Cpu);
  EXPECT_NEAR(integral_persons(ignored, kCell), 2.0, 2e-5);
}

TEST(DensityAdversarial, RejectsNonFiniteAndAbsurdInputs) {
  const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
  const GridSpec grid = grid_of(7, 5);
  const WeightedPoint good = point_in_cell(grid, 1, 1, 1.0);
  const auto map = [&](const GridSpec& g, const std::vector<WeightedPoint>& points, double bandwidth_m) {
    return density_map(g, points, bandwidth_m, Backend::Cpu);
  };
  EXPECT_THROW(map(grid, {good, {nan, good.y, 1.0}}, 25.0), InputError);
  EXPECT_THROW(map(grid, {good, {good.x, inf, 1.0}}, 25.0), InputError);
  EXPECT_THROW(map(grid, {good, {good.x, good.y, nan}}, 25.0), InputError);
  EXPECT_THROW(map(grid, {good, {good.x, good.y, inf}}, 25.0), InputError);
  EXPECT_THROW(map(grid, {good, {good.x, good.y, -1.0}}, 25.0), InputError);
  EXPECT_THROW(map(grid, {good}, nan), InputError);
  EXPECT_THROW(map(grid, {good}, -5.0), InputError);
  EXPECT_THROW(map(grid, {good}, 1e9), InputError);
  GridSpec bad = grid;
  bad.cell_m = 0.0;
  EXPECT_THROW(map(bad, {good}, 25.0), InputError);
  bad = grid;
  bad.origin_x = nan;
  EXPECT_THROW(map(bad, {good}, 25.0), InputError);
  bad = grid;
  bad.width = 0;
  EXPECT_THROW(map(bad, {good}, 25.0), InputError);
  bad = grid;
  bad.width = 65536;
  bad.height = 32769;  // 2^31 + 2^16 cells
  EXPECT_THROW(map(bad, {good}, 25.0), InputError);
  try {
    map(grid, {good, good, {good.x, nan, 1.0}}, 25.0);
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("point 2"), std::string::npos) << e.what();
  }
}

TEST(DensityAdversarial, CudaBackendWithoutCudaBuildThrows) {
#ifdef CAMPSCOPE_WITH_CUDA
  GTEST_SKIP() << "this build has the CUDA backend";
#else
  const GridSpec grid = grid_of(3, 3);
  EXPECT_THROW(density_map(grid, {point_in_cell(grid, 1, 1, 1.0)}, 25.0, Backend::Cuda), std::runtime_error);
#endif
}

struct BackendCase {
  int width;
  int height;
  double bandwidth_m;
  int points;
  std::uint32_t seed;
};

class DensityBackends : public ::testing::TestWithParam<BackendCase> {};

TEST_P(DensityBackends, CudaMatchesCpuBitForBit) {
  if (!cuda_device_available()) GTEST_SKIP() << "no CUDA device";
  const BackendCase c = GetParam();
  const GridSpec grid = grid_of(c.width, c.height);
  std::vector<WeightedPoint> points = random_points(grid, c.points, c.seed);
  // Many points in one cell make the CUDA atomics collide; the integer sums must not care.
  for (int i = 0; i < 1000; ++i) points.push_back(point_in_cell(grid, c.height / 2, c.width / 3, 0.333, 0.001 * i, 0.5));
  points.push_back({grid.origin_x - 1.0, grid.origin_y, 4.0});
  const std::vector<float> cpu = density_map(grid, points, c.bandwidth_m, Backend::Cpu);
  const std::vector<float> cuda = density_map(grid, points, c.bandwidth_m, Backend::Cuda);
  ASSERT_EQ(cpu.size(), cuda.size());
  for (std::size_t i = 0; i < cpu.size(); ++i) ASSERT_EQ(cpu[i], cuda[i]) << "cell " << i;
  EXPECT_TRUE(bitwise_equal(cpu, cuda));
  EXPECT_TRUE(bitwise_equal(cuda, density_map(grid, points, c.bandwidth_m, Backend::Cuda)));
}

INSTANTIATE_TEST_SUITE_P(DensityCases, DensityBackends,
                         ::testing::Values(BackendCase{37, 53, 0.0, 501, 21}, BackendCase{37, 53, 25.0, 733, 22},
                                           BackendCase{101, 7, 5.0, 97, 23}, BackendCase{101, 7, 80.0, 1009, 24},
                                           BackendCase{1, 1, 80.0, 29, 25}, BackendCase{513, 259, 25.0, 20011, 26},
                                           BackendCase{1031, 3, 80.0, 4099, 27},
                                           // Windows away from the row's ends, which CUDA's row pass loads as
                                           // float4s: rows of 4,099 cells start at every offset from a float4's
                                           // boundary; rows of 3,072 cells store every thread's cells as float4.
                                           BackendCase{4099, 37, 25.0, 20011, 33},
                                           BackendCase{3072, 11, 25.0, 9001, 34},
                                           // Kernels wider than CUDA's largest template radius (24 cells; 80 m
                                           // above is 32, these 4,000 and 6,400): both passes run one thread per
                                           // cell instead.
                                           BackendCase{37, 53, 10000.0, 301, 28},
                                           BackendCase{37, 53, 16000.0, 301, 29},
                                           // Grids taller than one launch's grid of CUDA blocks holds: the row
                                           // pass, the column pass, and the cell-per-thread row pass then take
                                           // several launches.
                                           BackendCase{1, 70001, 25.0, 3001, 30},
                                           BackendCase{1, 4194400, 25.0, 5003, 31},
                                           BackendCase{1, 1048600, 7500.0, 2003, 32},
                                           // The largest template radius (60 m: 24 cells) and the first beyond it.
                                           BackendCase{517, 41, 60.0, 5003, 35},
                                           BackendCase{517, 41, 62.5, 5003, 36}));

TEST(DensityBackends, CudaMatchesCpuOnAdversarialInputs) {
  if (!cuda_device_available()) GTEST_SKIP() << "no CUDA device";
  const GridSpec grid = make_density_grid(1000.0, 2000.0, 1300.0, 2200.0, kCell, 25.0, "");
  std::vector<WeightedPoint> points{{grid.origin_x, grid.origin_y, 1e12},
                                    {grid.origin_x + grid.width * kCell - 1e-6, grid.origin_y - 5.0, 3.5},
                                    {grid.origin_x + 5.0, grid.origin_y - grid.height * kCell, 1e12}};
  for (double bandwidth_m : {0.0, 4.0, 5.0, 25.0, 80.0}) {
    SCOPED_TRACE(bandwidth_m);
    EXPECT_TRUE(bitwise_equal(density_map(grid, points, bandwidth_m, Backend::Cpu),
                              density_map(grid, points, bandwidth_m, Backend::Cuda)));
  }
  EXPECT_TRUE(bitwise_equal(density_map(grid, {}, 25.0, Backend::Cpu), density_map(grid, {}, 25.0, Backend::Cuda)));
}

}  // namespace
}  // namespace campscope

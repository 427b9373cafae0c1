#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <stdexcept>
#include <vector>

#include "campscope/backend.h"
#include "campscope/camps.h"
#include "campscope/reduce.h"
#include "campscope/types.h"

namespace campscope {
namespace {

using Vertex = std::array<double, 2>;
using Ring = std::vector<Vertex>;
using Polygon = std::vector<Ring>;
using CampShape = std::vector<Polygon>;  // a camp's multipolygon

constexpr double kPi = 3.14159265358979323846;

CampPolygons flatten(const std::vector<CampShape>& camps) {
  CampPolygons out;
  out.ring_offsets.push_back(0);
  out.camp_rings.push_back(0);
  for (const CampShape& camp : camps) {
    for (const Polygon& polygon : camp) {
      for (const Ring& ring : polygon) {
        for (const Vertex& v : ring) {
          out.xs.push_back(v[0]);
          out.ys.push_back(v[1]);
        }
        out.ring_offsets.push_back(static_cast<std::int32_t>(out.xs.size()));
      }
    }
    out.camp_rings.push_back(static_cast<std::int32_t>(out.ring_offsets.size()) - 1);
  }
  return out;
}

// Reference: winding number per ring (any orientation), a camp contains the points inside an odd number of its rings.
int winding_number(const Ring& ring, double px, double py) {
  int wn = 0;
  for (std::size_t i = 0; i < ring.size(); ++i) {
    const Vertex& a = ring[i];
    const Vertex& b = ring[(i + 1) % ring.size()];
    const double side = (b[0] - a[0]) * (py - a[1]) - (px - a[0]) * (b[1] - a[1]);
    if (a[1] <= py) {
      if (b[1] > py && side > 0) ++wn;
    } else if (b[1] <= py && side < 0) {
      --wn;
    }
  }
  return wn;
}

std::int32_t reference_camp(const std::vector<CampShape>& camps, double px, double py) {
  for (std::size_t c = 0; c < camps.size(); ++c) {
    int rings_containing = 0;
    for (const Polygon& polygon : camps[c])
      for (const Ring& ring : polygon) rings_containing += winding_number(ring, px, py) != 0;
    if (rings_containing % 2 == 1) return static_cast<std::int32_t>(c);
  }
  return -1;
}

double distance_to_segment(const Vertex& a, const Vertex& b, double px, double py) {
  const double dx = b[0] - a[0], dy = b[1] - a[1];
  const double len2 = dx * dx + dy * dy;
  const double t = len2 > 0 ? std::clamp(((px - a[0]) * dx + (py - a[1]) * dy) / len2, 0.0, 1.0) : 0.0;
  return std::hypot(px - (a[0] + t * dx), py - (a[1] + t * dy));
}

bool near_any_edge(const std::vector<CampShape>& camps, double px, double py, double tolerance) {
  for (const CampShape& camp : camps)
    for (const Polygon& polygon : camp)
      for (const Ring& ring : polygon)
        for (std::size_t i = 0; i < ring.size(); ++i)
          if (distance_to_segment(ring[i], ring[(i + 1) % ring.size()], px, py) < tolerance) return true;
  return false;
}

// Star-shaped around (cx, cy): convex when the radii are equal, usually concave otherwise. Random orientation.
Ring star_ring(std::mt19937& rng, double cx, double cy, int vertices, double r_min, double r_max) {
  std::uniform_real_distribution<double> angle(0.0, 2 * kPi), radius(r_min, r_max);
  std::vector<double> angles(vertices);
  for (double& a : angles) a = angle(rng);
  std::sort(angles.begin(), angles.end());
  Ring ring;
  for (double a : angles) {
    const double r = radius(rng);
    ring.push_back({cx + r * std::cos(a), cy + r * std::sin(a)});
  }
  if (rng() % 2) std::reverse(ring.begin(), ring.end());
  return ring;
}

// Convex, concave, holed and multipolygon camps scattered so that some overlap.
std::vector<CampShape> random_camps(std::mt19937& rng, int count) {
  std::uniform_real_distribution<double> centre(0.0, 1000.0), size(40.0, 220.0);
  std::uniform_int_distribution<int> vertices(3, 17);
  std::vector<CampShape> camps;
  for (int c = 0; c < count; ++c) {
    CampShape camp;
    const int parts = c % 3 == 2 ? 2 + static_cast<int>(rng() % 2) : 1;
    for (int p = 0; p < parts; ++p) {
      const double cx = centre(rng), cy = centre(rng), r = size(rng);
      Polygon polygon;
      switch (c % 4) {
        case 0:  // convex
          polygon.push_back(star_ring(rng, cx, cy, vertices(rng), r, r));
          break;
        case 1:  // concave
          polygon.push_back(star_ring(rng, cx, cy, vertices(rng), 0.3 * r, r));
          break;
        default:  // with one or two holes inside the outer ring's inner radius
          polygon.push_back(star_ring(rng, cx, cy, vertices(rng), 0.6 * r, r));
          polygon.push_back(star_ring(rng, cx, cy, vertices(rng), 0.1 * r, 0.25 * r));
          if (rng() % 2) polygon.push_back(star_ring(rng, cx + 0.4 * r, cy, 5, 0.05 * r, 0.15 * r));
          break;
      }
      camp.push_back(polygon);
    }
    camps.push_back(camp);
  }
  return camps;
}

std::vector<ReducePoint> random_points(std::mt19937& rng, int count, double lo, double hi) {
  std::uniform_real_distribution<double> coord(lo, hi);
  std::vector<ReducePoint> points(count);
  for (ReducePoint& p : points) {
    p.x = coord(rng);
    p.y = coord(rng);
    p.cls = rng() % 3 == 0 ? ObjectClass::Vehicle : ObjectClass::Tent;
  }
  return points;
}

// Vertices, edge midpoints and points a hair off the edges: where rounding decides.
std::vector<ReducePoint> boundary_points(const std::vector<CampShape>& camps) {
  std::vector<ReducePoint> points;
  for (const CampShape& camp : camps)
    for (const Polygon& polygon : camp)
      for (const Ring& ring : polygon)
        for (std::size_t i = 0; i < ring.size(); ++i) {
          const Vertex& a = ring[i];
          const Vertex& b = ring[(i + 1) % ring.size()];
          const double mx = 0.5 * (a[0] + b[0]), my = 0.5 * (a[1] + b[1]);
          points.push_back({a[0], a[1], ObjectClass::Tent});
          points.push_back({mx, my, ObjectClass::Vehicle});
          points.push_back({std::nextafter(mx, 1e9), my, ObjectClass::Tent});
          points.push_back({mx, std::nextafter(my, -1e9), ObjectClass::Vehicle});
        }
  return points;
}

std::vector<CampTotals> reference_totals(const std::vector<ReducePoint>& points, const std::vector<std::int32_t>& camp,
                                         int camp_count) {
  std::vector<CampTotals> totals(camp_count);
  for (std::size_t i = 0; i < points.size(); ++i) {
    if (camp[i] < 0) continue;
    (points[i].cls == ObjectClass::Vehicle ? totals[camp[i]].vehicles : totals[camp[i]].tents)++;
  }
  return totals;
}

void expect_same_totals(const std::vector<CampTotals>& a, const std::vector<CampTotals>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t c = 0; c < a.size(); ++c) {
    EXPECT_EQ(a[c].tents, b[c].tents) << "camp " << c;
    EXPECT_EQ(a[c].vehicles, b[c].vehicles) << "camp " << c;
  }
}

struct AssignCase {
  int camps;
  int points;
  std::uint32_t seed;
};

class ReduceAssign : public ::testing::TestWithParam<AssignCase> {};

TEST_P(ReduceAssign, MatchesWindingNumberReferenceAwayFromEdges) {
  const AssignCase c = GetParam();
  std::mt19937 rng(c.seed);
  const std::vector<CampShape> camps = random_camps(rng, c.camps);
  const std::vector<ReducePoint> points = random_points(rng, c.points, -50.0, 1050.0);
  const std::vector<std::int32_t> assigned = assign_camps(flatten(camps), points, Backend::Cpu);
  ASSERT_EQ(assigned.size(), points.size());
  int compared = 0, inside = 0;
  for (std::size_t i = 0; i < points.size(); ++i) {
    if (near_any_edge(camps, points[i].x, points[i].y, 1e-7)) continue;
    ASSERT_EQ(assigned[i], reference_camp(camps, points[i].x, points[i].y)) << "point " << i;
    ++compared;
    inside += assigned[i] >= 0;
  }
  EXPECT_GE(compared, c.points * 9 / 10);
  if (c.camps > 0 && c.points > 100) {
    EXPECT_GT(inside, 0);
  }
}

INSTANTIATE_TEST_SUITE_P(ReduceCases, ReduceAssign,
                         ::testing::Values(AssignCase{1, 1, 1}, AssignCase{3, 977, 2}, AssignCase{7, 4001, 3},
                                           AssignCase{12, 3001, 4}, AssignCase{0, 101, 5}, AssignCase{5, 0, 6}));

TEST(ReduceAssign, OverlappingCampsFirstWins) {
  const Ring big{{0, 0}, {100, 0}, {100, 100}, {0, 100}};
  const Ring small{{40, 40}, {60, 40}, {60, 60}, {40, 60}};
  const std::vector<ReducePoint> points{{50, 50, ObjectClass::Tent}, {10, 10, ObjectClass::Tent}};
  EXPECT_EQ(assign_camps(flatten({{{big}}, {{small}}}), points, Backend::Cpu), (std::vector<std::int32_t>{0, 0}));
  EXPECT_EQ(assign_camps(flatten({{{small}}, {{big}}}), points, Backend::Cpu), (std::vector<std::int32_t>{0, 1}));
}

TEST(ReduceAssign, BoundaryRuleOnAxisAlignedSquare) {
  // Left and bottom sides (and the corner between them) are in, right and top sides out, in either orientation.
  Ring square{{0, 0}, {10, 0}, {10, 10}, {0, 10}};
  const std::vector<ReducePoint> points{{0, 5},  {10, 5}, {5, 0},  {5, 10}, {0, 0}, {10, 0},
                                        {0, 10}, {10, 10}, {5, 5}, {-1e-300, 5}, {5, -1e-300}};
  const std::vector<std::int32_t> expected{0, -1, 0, -1, 0, -1, -1, -1, 0, -1, -1};
  EXPECT_EQ(assign_camps(flatten({{{square}}}), points, Backend::Cpu), expected);
  std::reverse(square.begin(), square.end());
  EXPECT_EQ(assign_camps(flatten({{{square}}}), points, Backend::Cpu), expected);
}

// Every point of a partition's interior belongs to exactly one tile, also on shared edges and vertices.
void expect_partition(const std::vector<Ring>& tiles, const std::vector<ReducePoint>& points) {
  std::vector<std::vector<std::int32_t>> per_tile;
  for (const Ring& tile : tiles) per_tile.push_back(assign_camps(flatten({{{tile}}}), points, Backend::Cpu));
  for (std::size_t i = 0; i < points.size(); ++i) {
    int owners = 0;
    for (const auto& assigned : per_tile) owners += assigned[i] == 0;
    ASSERT_EQ(owners, 1) << "point " << i << " (" << points[i].x << ", " << points[i].y << ")";
  }
}

TEST(ReduceAssign, SharedEdgesOfAGridBelongToOneCell) {
  std::vector<Ring> cells;
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 3; ++c) cells.push_back({{c * 1.5, r * 1.5}, {c * 1.5 + 1.5, r * 1.5}, {c * 1.5 + 1.5, r * 1.5 + 1.5}, {c * 1.5, r * 1.5 + 1.5}});
  std::vector<ReducePoint> points;
  for (int i = 0; i < 9; ++i)
    for (int j = 0; j < 9; ++j) points.push_back({i * 0.5, j * 0.5, ObjectClass::Tent});  // lattice incl. all borders
  expect_partition(cells, points);
}

TEST(ReduceAssign, SharedDiagonalEdgesOfAFanBelongToOneTriangle) {
  std::mt19937 rng(31);
  const Vertex centre{503.125, 271.4};
  // Evenly spread spokes with jitter keep the centre inside, so the triangles tile the outline.
  std::uniform_real_distribution<double> jitter(0.0, 0.5);
  Ring outline;
  for (int i = 0; i < 11; ++i) {
    const double angle = (i + jitter(rng)) * 2 * kPi / 11;
    outline.push_back({centre[0] + 80.0 * std::cos(angle), centre[1] + 80.0 * std::sin(angle)});
  }
  std::vector<Ring> triangles;
  for (std::size_t i = 0; i < outline.size(); ++i) {
    Ring triangle{centre, outline[i], outline[(i + 1) % outline.size()]};
    if (rng() % 2) std::reverse(triangle.begin(), triangle.end());
    triangles.push_back(triangle);
  }
  std::uniform_real_distribution<double> t(0.02, 0.98);
  std::vector<ReducePoint> points;
  for (const Vertex& spoke : outline) {
    for (int k = 0; k < 50; ++k) {
      const double s = t(rng);
      points.push_back({centre[0] + s * (spoke[0] - centre[0]), centre[1] + s * (spoke[1] - centre[1]), ObjectClass::Tent});
    }
  }
  std::uniform_real_distribution<double> inner(-50.0, 50.0);
  for (int k = 0; k < 300; ++k) points.push_back({centre[0] + inner(rng), centre[1] + inner(rng), ObjectClass::Tent});
  expect_partition(triangles, points);
}

TEST(ReduceAssign, EmptyAndDegenerateCampsContainNothing) {
  const Ring square{{0, 0}, {10, 0}, {10, 10}, {0, 10}};
  const Ring segment{{0, 0}, {10, 10}};
  const Ring collinear{{0, 0}, {5, 5}, {10, 10}};
  const Ring point{{5, 5}};
  std::mt19937 rng(8);
  std::vector<ReducePoint> points = random_points(rng, 500, -1.0, 11.0);
  points.push_back({5, 5, ObjectClass::Tent});
  points.push_back({2, 2, ObjectClass::Tent});
  const std::vector<std::int32_t> assigned =
      assign_camps(flatten({CampShape{}, {{segment}}, {{collinear}, {point}}, {{square}}}), points, Backend::Cpu);
  for (std::size_t i = 0; i < points.size(); ++i) {
    const bool in_square = points[i].x >= 0 && points[i].x < 10 && points[i].y >= 0 && points[i].y < 10;
    ASSERT_EQ(assigned[i], in_square ? 3 : -1) << i;
  }
  EXPECT_TRUE(assign_camps(flatten({{{square}}}), {}, Backend::Cpu).empty());
  EXPECT_EQ(assign_camps(CampPolygons{}, points, Backend::Cpu), std::vector<std::int32_t>(points.size(), -1));
}

TEST(ReduceAssign, NonFinitePointsBelongToNoCamp) {
  const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
  const Ring square{{0, 0}, {10, 0}, {10, 10}, {0, 10}};
  const std::vector<ReducePoint> points{{nan, 5, ObjectClass::Tent}, {5, nan, ObjectClass::Tent},
                                        {-inf, 5, ObjectClass::Tent}, {inf, 5, ObjectClass::Tent},
                                        {5, -inf, ObjectClass::Tent}, {5, inf, ObjectClass::Tent}};
  EXPECT_EQ(assign_camps(flatten({{{square}}}), points, Backend::Cpu), std::vector<std::int32_t>(points.size(), -1));
}

TEST(ReduceAssign, RejectsMalformedPolygons) {
  const std::vector<ReducePoint> points{{1, 1, ObjectClass::Tent}};
  const Ring triangle{{0, 0}, {10, 0}, {10, 10}};
  const CampPolygons good = flatten({{{triangle}}});
  CampPolygons bad = good;
  bad.ys.pop_back();
  EXPECT_THROW(assign_camps(bad, points, Backend::Cpu), std::invalid_argument);
  bad = good;
  bad.ring_offsets.back() = 4;
  EXPECT_THROW(assign_camps(bad, points, Backend::Cpu), std::invalid_argument);
  bad = good;
  bad.camp_rings.back() = 2;
  EXPECT_THROW(assign_camps(bad, points, Backend::Cpu), std::invalid_argument);
  bad = good;
  bad.ring_offsets = {0, 3, 2};
  bad.camp_rings = {0, 2};
  EXPECT_THROW(assign_camps(bad, points, Backend::Cpu), std::invalid_argument);
  bad = good;
  bad.xs[1] = std::numeric_limits<double>::quiet_NaN();
  EXPECT_THROW(assign_camps(bad, points, Backend::Cpu), InputError);
}

TEST(ReduceAssign, MillionPointsMatchReferenceOnASample) {
  std::mt19937 rng(1000003);
  const std::vector<CampShape> camps = random_camps(rng, 6);
  const CampPolygons polygons = flatten(camps);
  const std::vector<ReducePoint> points = random_points(rng, 1000003, -50.0, 1050.0);
  const std::vector<std::int32_t> assigned = assign_camps(polygons, points, Backend::Cpu);
  ASSERT_EQ(assigned.size(), points.size());
  for (std::size_t i = 0; i < points.size(); i += 101) {
    if (near_any_edge(camps, points[i].x, points[i].y, 1e-7)) continue;
    ASSERT_EQ(assigned[i], reference_camp(camps, points[i].x, points[i].y)) << "point " << i;
  }
  expect_same_totals(reduce_by_camp(points, assigned, polygons.camp_count(), Backend::Cpu),
                     reference_totals(points, assigned, polygons.camp_count()));
}

TEST(ReduceTotals, CountsTentsAndVehiclesPerCampIgnoringUnassigned) {
  std::mt19937 rng(5);
  for (int camp_count : {1, 2, 7, 131}) {
    for (int n : {0, 1, 2, 999, 100003}) {
      SCOPED_TRACE(::testing::Message() << camp_count << " camps, " << n << " points");
      std::vector<ReducePoint> points = random_points(rng, n, 0.0, 1.0);
      std::uniform_int_distribution<int> camp(-1, camp_count - 1);
      std::vector<std::int32_t> assigned(n);
      for (auto& a : assigned) a = camp(rng);
      const std::vector<CampTotals> totals = reduce_by_camp(points, assigned, camp_count, Backend::Cpu);
      expect_same_totals(totals, reference_totals(points, assigned, camp_count));
    }
  }
}

TEST(ReduceTotals, AdversarialAssignments) {
  const std::vector<ReducePoint> vehicles(70001, ReducePoint{0, 0, ObjectClass::Vehicle});
  const std::vector<CampTotals> one_camp =
      reduce_by_camp(vehicles, std::vector<std::int32_t>(vehicles.size(), 4), 5, Backend::Cpu);
  EXPECT_EQ(one_camp[4].vehicles, 70001);
  EXPECT_EQ(one_camp[4].tents, 0);
  for (int c = 0; c < 4; ++c) EXPECT_EQ(one_camp[c].tents + one_camp[c].vehicles, 0);
  const std::vector<CampTotals> none =
      reduce_by_camp(vehicles, std::vector<std::int32_t>(vehicles.size(), -1), 3, Backend::Cpu);
  for (const CampTotals& t : none) EXPECT_EQ(t.tents + t.vehicles, 0);
  EXPECT_TRUE(reduce_by_camp({}, {}, 0, Backend::Cpu).empty());
  EXPECT_EQ(reduce_by_camp({}, {}, 4, Backend::Cpu).size(), 4u);
}

TEST(ReduceTotals, RejectsInconsistentInputs) {
  const std::vector<ReducePoint> points(3);
  EXPECT_THROW(reduce_by_camp(points, {0, 0}, 1, Backend::Cpu), std::invalid_argument);
  EXPECT_THROW(reduce_by_camp(points, {0, 1, 0}, 1, Backend::Cpu), std::invalid_argument);
  EXPECT_THROW(reduce_by_camp(points, {0, -2, 0}, 1, Backend::Cpu), std::invalid_argument);
  EXPECT_THROW(reduce_by_camp(points, {-1, -1, -1}, -1, Backend::Cpu), std::invalid_argument);
  std::vector<ReducePoint> odd_class(1);
  odd_class[0].cls = static_cast<ObjectClass>(7);
  EXPECT_THROW(reduce_by_camp(odd_class, {0}, 1, Backend::Cpu), std::invalid_argument);
}

TEST(ReduceTotals, CudaBackendWithoutCudaBuildThrows) {
#ifdef CAMPSCOPE_WITH_CUDA
  GTEST_SKIP() << "this build has the CUDA backend";
#else
  const std::vector<ReducePoint> points(2);
  EXPECT_THROW(assign_camps(CampPolygons{}, points, Backend::Cuda), std::runtime_error);
  EXPECT_THROW(reduce_by_camp(points, {0, -1}, 1, Backend::Cuda), std::runtime_error);
#endif
}

struct BackendCase {
  int camps;
  int points;
  std::uint32_t seed;
};

class ReduceBackends : public ::testing::TestWithParam<BackendCase> {};

TEST_P(ReduceBackends, CudaMatchesCpu) {
  if (!cuda_device_available()) GTEST_SKIP() << "no CUDA device";
  const BackendCase c = GetParam();
  std::mt19937 rng(c.seed);
  const std::vector<CampShape> camps = random_camps(rng, c.camps);
  const CampPolygons polygons = flatten(camps);
  std::vector<ReducePoint> points = random_points(rng, c.points, -50.0, 1050.0);
  const std::vector<ReducePoint> edges = boundary_points(camps);
  points.insert(points.end(), edges.begin(), edges.end());
  const std::vector<std::int32_t> cpu = assign_camps(polygons, points, Backend::Cpu);
  const std::vector<std::int32_t> cuda = assign_camps(polygons, points, Backend::Cuda);
  ASSERT_EQ(cpu, cuda);
  expect_same_totals(reduce_by_camp(points, cpu, polygons.camp_count(), Backend::Cpu),
                     reduce_by_camp(points, cuda, polygons.camp_count(), Backend::Cuda));
}

INSTANTIATE_TEST_SUITE_P(ReduceCases, ReduceBackends,
                         ::testing::Values(BackendCase{0, 17, 41}, BackendCase{1, 1, 42}, BackendCase{5, 0, 43},
                                           BackendCase{9, 10007, 44}, BackendCase{23, 1000003, 45}));

TEST(ReduceBackends, CudaMatchesCpuOnEmptyAndAdversarialInputs) {
  if (!cuda_device_available()) GTEST_SKIP() << "no CUDA device";
  const Ring square{{0, 0}, {10, 0}, {10, 10}, {0, 10}};
  const CampPolygons polygons = flatten({CampShape{}, {{square}}, {{square}}});
  std::vector<ReducePoint> points;
  for (int i = -1; i <= 21; ++i)
    for (int j = -1; j <= 21; ++j) points.push_back({i * 0.5, j * 0.5, (i + j) % 2 ? ObjectClass::Tent : ObjectClass::Vehicle});
  const std::vector<std::int32_t> cpu = assign_camps(polygons, points, Backend::Cpu);
  EXPECT_EQ(cpu, assign_camps(polygons, points, Backend::Cuda));
  expect_same_totals(reduce_by_camp(points, cpu, 3, Backend::Cpu), reduce_by_camp(points, cpu, 3, Backend::Cuda));
  EXPECT_TRUE(assign_camps(polygons, {}, Backend::Cuda).empty());
  EXPECT_EQ(assign_camps(CampPolygons{}, points, Backend::Cuda), std::vector<std::int32_t>(points.size(), -1));
  expect_same_totals(reduce_by_camp({}, {}, 3, Backend::Cuda), std::vector<CampTotals>(3));
  expect_same_totals(reduce_by_camp(points, std::vector<std::int32_t>(points.size(), -1), 3, Backend::Cuda),
                     std::vector<CampTotals>(3));
}

}  // namespace
}  // namespace campscope

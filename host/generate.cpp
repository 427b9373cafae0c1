#include "generate.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <random>
#include <utility>
#include <vector>

#include <gdal_priv.h>
#include <ogr_spatialref.h>

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "campscope/types.h"

namespace campscope {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

constexpr double kPi = 3.14159265358979323846;
constexpr double kGroundSampleM = 0.5;
constexpr int kTilePixels = 1024;
constexpr int kAtmeTileOverlapPixels = 160;  // 80 m
constexpr int kDrawShift = 4;                // OpenCV fixed-point bits: vertices land on 1/16 pixel
constexpr double kShadowDarkening = 0.45;
constexpr int kDateCount = 3;
const std::array<const char*, kDateCount> kDates = {"2019-11-01", "2019-12-01", "2019-12-24"};
constexpr int kDefaultPersonsPerTent = 5;

// The default profile's samples must stay byte for byte what they were, so everything the hard profile adds draws
// either from its own random streams or only on paths the default profile never takes.
enum class Profile { Default, Hard };

// ---------------------------------------------------------------------------------------------------------------
// Randomness

// splitmix64 of (seed, stream): each part of the scene draws from its own engine, so changing how many numbers one
// part consumes never shifts another part.
std::uint64_t stream_seed(std::uint64_t seed, std::uint64_t stream) {
  std::uint64_t z = seed + 0x9E3779B97F4A7C15ull * (stream + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// std::*_distribution results differ between standard libraries; drawing straight from the engine's bits keeps a
// seed's sample the same on every platform.
class Random {
 public:
  explicit Random(std::uint64_t seed) : engine_(seed) {}
  double uniform(double lo, double hi) {
    return lo + (hi - lo) * static_cast<double>(engine_() >> 11) * 0x1.0p-53;
  }
  int integer(int lo, int hi) {  // inclusive
    return lo + static_cast<int>(engine_() % static_cast<std::uint64_t>(hi - lo + 1));
  }
  bool chance(double probability) { return uniform(0.0, 1.0) < probability; }
  template <typename T, std::size_t N>
  std::size_t weighted(const std::array<T, N>& weights) {
    double total = 0.0;
    for (const T& weight : weights) total += weight;
    double pick = uniform(0.0, total);
    for (std::size_t i = 0; i + 1 < N; ++i) {
      if (pick < weights[i]) return i;
      pick -= weights[i];
    }
    return N - 1;
  }

 private:
  std::mt19937_64 engine_;
};

// ---------------------------------------------------------------------------------------------------------------
// Ground geometry. Positions are metres east (x) and south (y) of the area canvas's upper-left corner, so a pixel
// coordinate is simply metres / GSD.

double dot(cv::Point2d a, cv::Point2d b) { return a.x * b.x + a.y * b.y; }
cv::Point2d unit(double angle) { return {std::cos(angle), std::sin(angle)}; }

struct Footprint {
  cv::Point2d centre;
  double length = 0.0;  // along `angle`
  double width = 0.0;
  double angle = 0.0;  // radians from east toward south; for vehicles it points to the front

  cv::Point2d axis() const { return unit(angle); }
  cv::Point2d normal() const { return {-std::sin(angle), std::cos(angle)}; }
  std::array<cv::Point2d, 4> corners() const {
    const cv::Point2d half_length = axis() * (length / 2.0);
    const cv::Point2d half_width = normal() * (width / 2.0);
    return {centre + half_length + half_width, centre + half_length - half_width,
            centre - half_length - half_width, centre - half_length + half_width};
  }
};

// Separating-axis test; `clearance` widens `a` on every side (square corners: slightly conservative).
bool footprints_overlap(const Footprint& a, const Footprint& b, double clearance) {
  const cv::Point2d offset = b.centre - a.centre;
  const std::array<cv::Point2d, 4> axes = {a.axis(), a.normal(), b.axis(), b.normal()};
  for (const cv::Point2d& axis : axes) {
    const double reach_a = (a.length / 2.0 + clearance) * std::abs(dot(a.axis(), axis)) +
                           (a.width / 2.0 + clearance) * std::abs(dot(a.normal(), axis));
    const double reach_b =
        b.length / 2.0 * std::abs(dot(b.axis(), axis)) + b.width / 2.0 * std::abs(dot(b.normal(), axis));
    if (std::abs(dot(offset, axis)) >= reach_a + reach_b) return false;
  }
  return true;
}

// Uniform-grid index of everything placed so far, so placing thousands of objects stays linear.
class OccupancyIndex {
 public:
  OccupancyIndex(double width_m, double height_m)
      : columns_(static_cast<int>(width_m / kCellM) + 1),
        rows_(static_cast<int>(height_m / kCellM) + 1),
        cells_(static_cast<std::size_t>(columns_ * rows_)) {}

  bool blocked(const Footprint& candidate, double clearance) const {
    const CellRange range = cells_under(candidate, clearance);
    for (int row = range.first_row; row <= range.last_row; ++row)
      for (int column = range.first_column; column <= range.last_column; ++column)
        for (int item : cells_[static_cast<std::size_t>(row * columns_ + column)])
          if (footprints_overlap(candidate, items_[static_cast<std::size_t>(item)], clearance)) return true;
    return false;
  }

  void add(const Footprint& footprint) {
    const int item = static_cast<int>(items_.size());
    items_.push_back(footprint);
    const CellRange range = cells_under(footprint, 0.0);
    for (int row = range.first_row; row <= range.last_row; ++row)
      for (int column = range.first_column; column <= range.last_column; ++column)
        cells_[static_cast<std::size_t>(row * columns_ + column)].push_back(item);
  }

 private:
  static constexpr double kCellM = 8.0;
  struct CellRange {
    int first_row, last_row, first_column, last_column;
  };

  CellRange cells_under(const Footprint& footprint, double margin) const {
    double min_x = std::numeric_limits<double>::max(), min_y = min_x, max_x = -min_x, max_y = -min_x;
    for (const cv::Point2d& corner : footprint.corners()) {
      min_x = std::min(min_x, corner.x), max_x = std::max(max_x, corner.x);
      min_y = std::min(min_y, corner.y), max_y = std::max(max_y, corner.y);
    }
    const auto cell_of = [](double metres, int count) {
      return std::clamp(static_cast<int>(std::floor(metres / kCellM)), 0, count - 1);
    };
    return {cell_of(min_y - margin, rows_), cell_of(max_y + margin, rows_), cell_of(min_x - margin, columns_),
            cell_of(max_x + margin, columns_)};
  }

  int columns_, rows_;
  std::vector<std::vector<int>> cells_;
  std::vector<Footprint> items_;
};

struct Road {
  std::vector<cv::Point2d> points;
  double width_m = 0.0;
  bool asphalt = false;

  std::size_t segment_count() const { return points.size() - 1; }
  Footprint segment(std::size_t i) const {
    const cv::Point2d step = points[i + 1] - points[i];
    return {(points[i] + points[i + 1]) * 0.5, std::hypot(step.x, step.y), width_m, std::atan2(step.y, step.x)};
  }
  double length() const {
    double total = 0.0;
    for (std::size_t i = 0; i < segment_count(); ++i) total += segment(i).length;
    return total;
  }
  // Centre-line point and heading at arc length `s` from the first point (clamped to the road).
  std::pair<cv::Point2d, double> pose_at(double s) const {
    for (std::size_t i = 0; i < segment_count(); ++i) {
      const Footprint piece = segment(i);
      if (s <= piece.length || i + 1 == segment_count()) {
        const double along = std::clamp(s, 0.0, piece.length);
        return {points[i] + piece.axis() * along, piece.angle};
      }
      s -= piece.length;
    }
    return {points.front(), 0.0};
  }
};

struct Disc {  // tree canopies, rocks, rooftop water tanks
  cv::Point2d centre;
  double diameter = 0.0;
  cv::Scalar colour;
  Footprint footprint() const { return {centre, diameter, diameter, 0.0}; }
};

struct Roof {
  Footprint body;
  cv::Scalar colour;
  std::vector<Disc> tanks;
};

struct Tent {
  Footprint body;
  cv::Scalar colour;
  double shadow_m = 0.0;       // tent height sets how far its shadow reaches
  int first_date = 0;          // index into kDates; the tent stays for every later date
  bool block_shelter = false;  // flat concrete roof instead of a ridged cover; counted as a tent all the same
};

enum class VehicleKind { Car, Van, Truck };

struct Vehicle {
  Footprint body;
  VehicleKind kind = VehicleKind::Car;
  cv::Scalar colour;
  cv::Scalar cargo_colour;  // trucks only
};

struct TileCut {
  std::string stem;  // file name without date
  int left_px = 0;   // in the area canvas; every tile spans the canvas height
};

// A straight edge of the imaged swath: ground beyond it on `date` has no data.
struct SwathEdge {
  int date = -1;
  cv::Point2d direction;  // unit vector pointing into the unimaged side
  double threshold_m = 0.0;
  bool unimaged(cv::Point2d ground) const { return dot(ground, direction) > threshold_m; }
};

// One contiguous canvas of ground rendered per date and cut into tiles, so overlapping tiles agree pixel for pixel.
struct Area {
  std::string camp_name;  // "" for an area without a camp
  int persons_per_tent = kDefaultPersonsPerTent;
  cv::Point2d utm_top_left;  // easting, northing of the canvas corner
  cv::Size size_px;
  std::vector<TileCut> tiles;
  std::vector<cv::Point2f> camp_outline;  // float: what cv::pointPolygonTest takes
  std::optional<SwathEdge> swath_edge;

  std::vector<Road> roads;
  std::vector<Disc> trees;
  std::vector<Roof> roofs;
  std::vector<Disc> rocks;
  std::vector<Footprint> walls;  // white compound walls, hard profile only
  std::vector<Tent> tents;
  std::array<std::vector<Vehicle>, kDateCount> vehicles;

  double width_m() const { return size_px.width * kGroundSampleM; }
  double height_m() const { return size_px.height * kGroundSampleM; }
  cv::Point2d centre() const { return {width_m() / 2.0, height_m() / 2.0}; }
  bool on_canvas(cv::Point2d ground) const {
    return ground.x >= 0.0 && ground.y >= 0.0 && ground.x < width_m() && ground.y < height_m();
  }
  // Positive inside the camp, negative outside; areas without a camp are outside everywhere.
  double camp_distance(cv::Point2d ground) const {
    if (camp_outline.empty()) return -std::numeric_limits<double>::max();
    return cv::pointPolygonTest(camp_outline, cv::Point2f(static_cast<float>(ground.x), static_cast<float>(ground.y)),
                                true);
  }
  bool inside_camp(const Footprint& footprint, double margin_m) const {
    for (const cv::Point2d& corner : footprint.corners())
      if (camp_distance(corner) < margin_m) return false;
    return true;
  }
  bool clear_of_camp(const Footprint& footprint, double margin_m) const {
    const auto corners = footprint.corners();
    std::vector<cv::Point2d> probes(corners.begin(), corners.end());
    for (int i = 0; i < 4; ++i) probes.push_back((corners[i] + corners[(i + 1) % 4]) * 0.5);
    probes.push_back(footprint.centre);
    for (const cv::Point2d& probe : probes)
      if (camp_distance(probe) > -margin_m) return false;
    return true;
  }
  bool touches_road(const Footprint& footprint, double clearance_m) const {
    for (const Road& road : roads)
      for (std::size_t i = 0; i < road.segment_count(); ++i) {
        Footprint piece = road.segment(i);
        piece.length += road.width_m;  // covers the round joints drawn between segments
        if (footprints_overlap(footprint, piece, clearance_m)) return true;
      }
    return false;
  }
};

// ---------------------------------------------------------------------------------------------------------------
// Scenario definition

struct CampSite {
  const char* name;
  const char* stem;
  double lat, lon;
  int persons_per_tent;
  std::array<int, kDateCount> target_tents;
  bool split_across_two_tiles;
  int swath_edge_date;  // -1: fully imaged on every date
};

const std::array<CampSite, 4> kCampSites = {{
    {"Atme", "atme", 36.205, 36.680, 5, {300, 450, 650}, true, -1},
    {"Kah", "kah", 36.178, 36.640, 6, {150, 260, 400}, false, -1},
    {"Deir Hassan", "deir-hassan", 36.172, 36.705, 5, {100, 180, 300}, false, 1},
    {"Kafr Lusin", "kafr-lusin", 36.192, 36.655, 5, {80, 150, 260}, false, -1},
}};
// The road toward the Bab al-Hawa crossing, north-west of Atme.
constexpr double kBorderRoadLat = 36.216, kBorderRoadLon = 36.668;

// Stream ids for stream_seed.
enum Stream : std::uint64_t { kLayoutStream = 100, kTerrainStream = 200, kVehicleStream = 300, kSensorStream = 400,
                              kSunStream = 500, kDeliveryStream = 600, kHardLayoutStream = 700, kCloudStream = 800 };

// ---------------------------------------------------------------------------------------------------------------
// Coordinates

struct TransformDeleter {
  void operator()(OGRCoordinateTransformation* transform) const { OGRCoordinateTransformation::DestroyCT(transform); }
};

class UtmProjection {
 public:
  UtmProjection() {
    wgs84_.importFromEPSG(4326);
    utm_.importFromEPSG(32637);
    wgs84_.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
    utm_.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
    to_utm_.reset(OGRCreateCoordinateTransformation(&wgs84_, &utm_));
    to_lon_lat_.reset(OGRCreateCoordinateTransformation(&utm_, &wgs84_));
    if (!to_utm_ || !to_lon_lat_) throw std::runtime_error("cannot create the EPSG:4326 <-> EPSG:32637 transformation");
  }
  cv::Point2d utm(double lon, double lat) const { return apply(*to_utm_, lon, lat); }
  cv::Point2d lon_lat(double easting, double northing) const { return apply(*to_lon_lat_, easting, northing); }

 private:
  static cv::Point2d apply(OGRCoordinateTransformation& transform, double x, double y) {
    if (!transform.Transform(1, &x, &y)) throw std::runtime_error("coordinate transformation failed");
    return {x, y};
  }
  OGRSpatialReference wgs84_, utm_;
  std::unique_ptr<OGRCoordinateTransformation, TransformDeleter> to_utm_, to_lon_lat_;
};

cv::Point2d ground_to_lon_lat(const UtmProjection& projection, const Area& area, cv::Point2d ground) {
  return projection.lon_lat(area.utm_top_left.x + ground.x, area.utm_top_left.y - ground.y);
}

// Dividing by an exact power of ten gives the double nearest the decimal, which JSON then prints short.
double round_to_decimals(double value, int decimals) {
  const double scale = std::pow(10.0, decimals);
  return std::round(value * scale) / scale;
}

// ---------------------------------------------------------------------------------------------------------------
// Scene layout

std::vector<cv::Point2f> make_camp_outline(Random& random, cv::Point2d centre) {
  const int corner_count = random.chance(0.5) ? 4 : 6;
  const double half_extent_x = 175.0, half_extent_y = 150.0;
  const double step = 2.0 * kPi / corner_count;
  // Widest |cos| and |sin| over the regular corner angles, so the unjittered shape spans exactly 350 x 300 m.
  double max_cos = 0.0, max_sin = 0.0;
  for (int k = 0; k < corner_count; ++k) {
    max_cos = std::max(max_cos, std::abs(std::cos(step / 2.0 + k * step)));
    max_sin = std::max(max_sin, std::abs(std::sin(step / 2.0 + k * step)));
  }
  const double rotation = random.uniform(-0.2, 0.2);
  std::vector<cv::Point2f> outline;
  for (int k = 0; k < corner_count; ++k) {
    const double angle = step / 2.0 + k * step + random.uniform(-0.12, 0.12);
    const double scale = random.uniform(0.88, 1.04);
    const cv::Point2d local(half_extent_x * std::cos(angle) / max_cos * scale,
                            half_extent_y * std::sin(angle) / max_sin * scale);
    const cv::Point2d turned(local.x * std::cos(rotation) - local.y * std::sin(rotation),
                             local.x * std::sin(rotation) + local.y * std::cos(rotation));
    outline.emplace_back(static_cast<float>(centre.x + turned.x), static_cast<float>(centre.y + turned.y));
  }
  return outline;
}

// A gently bending polyline through `through` along `heading`, long enough to leave the canvas at both ends.
Road make_road(Random& random, const Area& area, cv::Point2d through, double heading, double width_m, bool asphalt,
               double wiggle_m) {
  const double half_span = std::hypot(area.width_m(), area.height_m());
  const cv::Point2d along = unit(heading), across(-along.y, along.x);
  Road road;
  road.width_m = width_m;
  road.asphalt = asphalt;
  const int pieces = static_cast<int>(2.0 * half_span / 60.0) + 1;
  for (int i = 0; i <= pieces; ++i) {
    const double offset = (i == 0 || i == pieces) ? 0.0 : random.uniform(-wiggle_m, wiggle_m);
    road.points.push_back(through + along * (-half_span + 2.0 * half_span * i / pieces) + across * offset);
  }
  return road;
}

// An asphalt road passing outside the camp, roughly parallel to one side of it.
Road make_bypass_road(Random& random, const Area& area) {
  const cv::Point2d centre = area.centre();
  for (int attempt = 0; attempt < 1000; ++attempt) {
    const double heading = random.integer(0, 1) * kPi / 2.0 + random.uniform(-0.14, 0.14);
    const cv::Point2d side = cv::Point2d(-std::sin(heading), std::cos(heading)) * (random.chance(0.5) ? 1.0 : -1.0);
    double reach = 0.0;
    for (const cv::Point2f& corner : area.camp_outline)
      reach = std::max(reach, dot(cv::Point2d(corner.x, corner.y) - centre, side));
    const Road road = make_road(random, area, centre + side * (reach + random.uniform(22.0, 34.0)), heading, 7.0,
                                true, 2.0);
    bool keeps_off_camp = true, crosses_canvas = false;
    for (double s = 0.0; s < road.length(); s += 5.0) {
      const cv::Point2d point = road.pose_at(s).first;
      keeps_off_camp = keeps_off_camp && area.camp_distance(point) < -12.0;
      crosses_canvas = crosses_canvas || (area.on_canvas(point) && area.on_canvas(point + side * 15.0) &&
                                          area.on_canvas(point - side * 15.0));
    }
    if (keeps_off_camp && crosses_canvas) return road;
  }
  throw std::logic_error("scenario layout: no room for a road beside the camp");
}

cv::Point2d random_point_on_canvas(Random& random, const Area& area) {
  return {random.uniform(0.0, area.width_m()), random.uniform(0.0, area.height_m())};
}

// A point at least `clearance_m` outside the camp (anywhere when there is no camp).
cv::Point2d random_point_outside_camp(Random& random, const Area& area, double clearance_m) {
  for (int attempt = 0; attempt < 1000; ++attempt) {
    const cv::Point2d point = random_point_on_canvas(random, area);
    if (area.camp_distance(point) < -clearance_m) return point;
  }
  throw std::logic_error("scenario layout: no room outside the camp");
}

void add_grove(Random& random, Area& area, OccupancyIndex& occupancy) {
  const cv::Point2d centre = random_point_outside_camp(random, area, 35.0);
  const double angle = random.uniform(0.0, kPi);
  const double spacing = random.uniform(6.0, 8.0);
  const int rows = random.integer(6, 16), columns = random.integer(6, 18);
  const cv::Point2d along = unit(angle), across(-along.y, along.x);
  for (int row = 0; row < rows; ++row)
    for (int column = 0; column < columns; ++column) {
      Disc tree;
      tree.centre = centre + along * ((column - columns / 2.0) * spacing + random.uniform(-0.3, 0.3)) +
                    across * ((row - rows / 2.0) * spacing + random.uniform(-0.3, 0.3));
      tree.diameter = random.uniform(3.5, 5.0);
      const double shade = random.uniform(-8.0, 8.0);
      tree.colour = cv::Scalar(60 + shade, 75 + shade + random.uniform(-4.0, 4.0), 45 + shade);
      const Footprint footprint = tree.footprint();
      if (!area.on_canvas(tree.centre) || !area.clear_of_camp(footprint, 5.0) || area.touches_road(footprint, 2.0) ||
          occupancy.blocked(footprint, 0.3))
        continue;
      occupancy.add(footprint);
      area.trees.push_back(tree);
    }
}

void add_village(Random& random, Area& area, OccupancyIndex& occupancy) {
  const cv::Point2d centre = random_point_outside_camp(random, area, 45.0);
  const double angle = random.uniform(0.0, kPi);
  const double pitch = random.uniform(18.0, 26.0);
  const double radius = random.uniform(45.0, 90.0);
  const cv::Point2d along = unit(angle), across(-along.y, along.x);
  const int reach = static_cast<int>(radius / pitch);
  for (int row = -reach; row <= reach; ++row)
    for (int column = -reach; column <= reach; ++column) {
      if (std::hypot(row * pitch, column * pitch) > radius || !random.chance(0.8)) continue;
      Roof roof;
      roof.body.length = random.uniform(8.0, 20.0);
      roof.body.width = random.uniform(8.0, std::min(20.0, roof.body.length));
      roof.body.angle = angle + random.uniform(-0.05, 0.05) + (random.chance(0.5) ? kPi / 2.0 : 0.0);
      roof.body.centre = centre + along * (column * pitch + random.uniform(-2.0, 2.0)) +
                         across * (row * pitch + random.uniform(-2.0, 2.0));
      if (!area.on_canvas(roof.body.centre) || !area.clear_of_camp(roof.body, 8.0) ||
          area.touches_road(roof.body, 3.0) || occupancy.blocked(roof.body, 2.0))
        continue;
      const double shade = random.uniform(-8.0, 8.0);
      roof.colour = cv::Scalar(195 + shade, 190 + shade, 185 + shade);
      const int tank_count = random.integer(1, 3);
      for (int t = 0; t < tank_count; ++t) {
        Disc tank;
        tank.diameter = random.uniform(1.0, 2.0);
        const double free_length = roof.body.length / 2.0 - 1.5, free_width = roof.body.width / 2.0 - 1.5;
        tank.centre = roof.body.centre + roof.body.axis() * random.uniform(-free_length, free_length) +
                      roof.body.normal() * random.uniform(-free_width, free_width);
        const double grey = random.uniform(45.0, 95.0);
        tank.colour = cv::Scalar(grey, grey, grey + random.uniform(0.0, 8.0));
        roof.tanks.push_back(tank);
      }
      occupancy.add(roof.body);
      area.roofs.push_back(roof);
    }
}

enum class TentCover { White, OffWhite, Beige, BlueTarpaulin, SoilBeige };

cv::Scalar tent_colour(Random& random, TentCover cover) {
  switch (cover) {
    case TentCover::White: {
      const double base = random.uniform(237.0, 248.0);
      return cv::Scalar(base + random.uniform(-2.0, 2.0), base + random.uniform(-2.0, 2.0),
                        base + random.uniform(-2.0, 2.0));
    }
    case TentCover::OffWhite: {
      const double base = random.uniform(229.0, 235.0);  // slightly warm: blue lowest, never below 220
      return cv::Scalar(base, base - random.uniform(2.0, 4.0), base - random.uniform(5.0, 9.0));
    }
    case TentCover::Beige:
      return cv::Scalar(215 + random.uniform(-4.0, 4.0), 200 + random.uniform(-4.0, 4.0),
                        170 + random.uniform(-4.0, 4.0));
    case TentCover::SoilBeige:  // only about 25 levels above the soil (170, 155, 130): barely stands out
      return cv::Scalar(195 + random.uniform(-4.0, 4.0), 180 + random.uniform(-4.0, 4.0),
                        152 + random.uniform(-4.0, 4.0));
    case TentCover::BlueTarpaulin:
      break;
  }
  return cv::Scalar(random.uniform(40.0, 70.0), random.uniform(90.0, 120.0), random.uniform(160.0, 200.0));
}

// Weights over TentCover in enum order. The default profile's arrays predate SoilBeige and keep their length, so
// its draws stay as they were.
constexpr std::array<double, 4> kBlockCovers = {0.45, 0.25, 0.15, 0.15};
constexpr std::array<double, 4> kOddCovers = {0.2, 0.2, 0.3, 0.3};  // the odd tent in a block
constexpr std::array<double, 4> kScatteredCovers = {0.15, 0.15, 0.3, 0.4};
constexpr std::array<double, 5> kHardBlockCovers = {0.3, 0.15, 0.15, 0.15, 0.25};
constexpr std::array<double, 5> kHardOddCovers = {0.15, 0.15, 0.2, 0.25, 0.25};
constexpr std::array<double, 5> kHardScatteredCovers = {0.1, 0.1, 0.2, 0.3, 0.3};

template <std::size_t N>
TentCover random_cover(Random& random, const std::array<double, N>& weights) {
  return static_cast<TentCover>(random.weighted(weights));
}

cv::Scalar shelter_roof_colour(Random& random) {
  const double shade = random.uniform(-6.0, 6.0);
  return cv::Scalar(178 + shade, 176 + shade, 170 + shade);
}

// Lays out tents for the last date, then orders them so the camp spreads out from where it started: blocks
// nearest `growth_origin` first, scattered tents anywhere in the sequence. Tents [0, targets[d]) exist on date d.
// The hard profile packs blocks tighter, mixes in soil-coloured covers and builds some blocks of concrete shelters.
void add_tents(Random& random, Area& area, OccupancyIndex& occupancy, const std::array<int, kDateCount>& targets,
               cv::Point2d growth_origin, Profile profile) {
  const bool hard = profile == Profile::Hard;
  struct Block {
    double distance_m;
    std::vector<Tent> tents;
  };
  std::vector<Block> blocks;
  const int total = targets[kDateCount - 1];
  const int blocked_total = static_cast<int>(std::lround(0.88 * total));
  const cv::Rect bounds = cv::boundingRect(area.camp_outline);
  int placed = 0;
  for (int attempt = 0; attempt < 4000 && placed < blocked_total; ++attempt) {
    const cv::Point2d block_centre(random.uniform(bounds.x, bounds.x + bounds.width),
                                   random.uniform(bounds.y, bounds.y + bounds.height));
    if (area.camp_distance(block_centre) < 8.0) continue;
    const double angle = random.uniform(0.0, kPi / 2.0);
    const bool shelters = hard && random.chance(0.2);
    // Shelters are 3-4 m x 4-6 m concrete boxes; tents 3-5 m wide. Both at most 1.5 times as long as wide.
    const double width = shelters ? random.uniform(3.0, 4.0) : random.uniform(3.0, 5.0);
    const double length = random.uniform(shelters ? std::max(4.0, width) : width, std::min(6.0, 1.5 * width));
    // Gaps leave room for the jitter below: neighbours stay 1.5-3 m apart, under the hard profile 0.7-2.3 m, which
    // `clearance` must let through.
    const double gap_min = hard ? 1.0 : 1.8, gap_max = hard ? 2.0 : 2.6, clearance = hard ? 0.6 : 1.5;
    const double pitch_along = length + random.uniform(gap_min, gap_max);
    const double pitch_across = width + random.uniform(gap_min, gap_max);
    const int rows = random.integer(2, 6), columns = random.integer(4, 12);
    const TentCover block_cover = hard ? random_cover(random, kHardBlockCovers) : random_cover(random, kBlockCovers);
    const cv::Point2d along = unit(angle), across(-along.y, along.x);
    Block block{std::hypot(block_centre.x - growth_origin.x, block_centre.y - growth_origin.y), {}};
    for (int row = 0; row < rows; ++row)
      for (int column = 0; column < columns; ++column) {
        Tent tent;
        tent.body.centre = block_centre + along * ((column - (columns - 1) / 2.0) * pitch_along) +
                           across * ((row - (rows - 1) / 2.0) * pitch_across) +
                           cv::Point2d(random.uniform(-0.1, 0.1), random.uniform(-0.1, 0.1));
        tent.body.length = length;
        tent.body.width = width;
        tent.body.angle = angle + random.uniform(-0.015, 0.015);
        if (shelters) {
          tent.colour = shelter_roof_colour(random);
          tent.shadow_m = 2.5;
          tent.block_shelter = true;
        } else {
          const TentCover cover =
              random.chance(0.12) ? (hard ? random_cover(random, kHardOddCovers) : random_cover(random, kOddCovers))
                                  : block_cover;
          tent.colour = tent_colour(random, cover);
          tent.shadow_m = random.uniform(0.5, 1.0);
        }
        if (area.inside_camp(tent.body, 1.0) && !area.touches_road(tent.body, 1.5) &&
            !occupancy.blocked(tent.body, clearance))
          block.tents.push_back(tent);
      }
    if (block.tents.size() < 4) continue;
    block.tents.resize(std::min<std::size_t>(block.tents.size(), static_cast<std::size_t>(blocked_total - placed)));
    for (const Tent& tent : block.tents) occupancy.add(tent.body);
    placed += static_cast<int>(block.tents.size());
    blocks.push_back(std::move(block));
  }
  std::stable_sort(blocks.begin(), blocks.end(),
                   [](const Block& a, const Block& b) { return a.distance_m < b.distance_m; });
  for (const Block& block : blocks) area.tents.insert(area.tents.end(), block.tents.begin(), block.tents.end());

  for (int attempt = 0; attempt < 20000 && static_cast<int>(area.tents.size()) < total; ++attempt) {
    Tent tent;
    tent.body.centre = cv::Point2d(random.uniform(bounds.x, bounds.x + bounds.width),
                                   random.uniform(bounds.y, bounds.y + bounds.height));
    tent.body.width = random.uniform(3.0, 4.5);
    tent.body.length = random.uniform(tent.body.width, std::min(6.0, 1.5 * tent.body.width));
    tent.body.angle = random.uniform(0.0, kPi / 2.0);
    tent.colour = tent_colour(random, hard ? random_cover(random, kHardScatteredCovers)
                                           : random_cover(random, kScatteredCovers));
    tent.shadow_m = random.uniform(0.5, 1.0);
    if (!area.inside_camp(tent.body, 1.0) || area.touches_road(tent.body, 1.5) ||
        occupancy.blocked(tent.body, hard ? 1.0 : 2.0))
      continue;
    occupancy.add(tent.body);
    area.tents.insert(area.tents.begin() + random.integer(0, static_cast<int>(area.tents.size())), tent);
  }
  for (std::size_t i = 0; i < area.tents.size(); ++i) {
    int date = 0;
    while (date + 1 < kDateCount && static_cast<int>(i) >= targets[static_cast<std::size_t>(date)]) ++date;
    area.tents[i].first_date = date;
  }
}

void add_rocks(Random& random, Area& area, OccupancyIndex& occupancy) {
  const int count = static_cast<int>(area.width_m() * area.height_m() / 1000.0);
  for (int i = 0; i < count; ++i) {
    Disc rock;
    rock.centre = random_point_on_canvas(random, area);
    rock.diameter = random.uniform(0.5, 1.5);
    const double grey = random.uniform(110.0, 150.0);
    rock.colour = cv::Scalar(grey + 3.0, grey, grey - 3.0);
    if (area.touches_road(rock.footprint(), 0.5) || occupancy.blocked(rock.footprint(), 0.5)) continue;
    occupancy.add(rock.footprint());
    area.rocks.push_back(rock);
  }
}

Vehicle random_vehicle(Random& random, const std::array<double, 3>& kind_weights, Profile profile) {
  Vehicle vehicle;
  vehicle.kind = static_cast<VehicleKind>(random.weighted(kind_weights));
  switch (vehicle.kind) {
    case VehicleKind::Car: vehicle.body.length = 4.5, vehicle.body.width = 1.8; break;
    case VehicleKind::Van: vehicle.body.length = 5.3, vehicle.body.width = 2.0; break;
    case VehicleKind::Truck: vehicle.body.length = random.uniform(8.0, 10.0), vehicle.body.width = 2.5; break;
  }
  // white, silver, grey, black, red, blue, dark green
  static const std::array<cv::Scalar, 7> kPaints = {
      cv::Scalar(236, 236, 232), cv::Scalar(186, 189, 193), cv::Scalar(116, 118, 121), cv::Scalar(28, 28, 31),
      cv::Scalar(165, 32, 30),   cv::Scalar(36, 56, 138),   cv::Scalar(38, 72, 46)};
  // The hard profile favours grey and black, which all but vanish on asphalt and in shade.
  static const std::array<double, 7> kPaintWeights = {0.3, 0.2, 0.15, 0.12, 0.08, 0.08, 0.07};
  static const std::array<double, 7> kHardPaintWeights = {0.15, 0.13, 0.22, 0.3, 0.07, 0.07, 0.06};
  vehicle.colour = kPaints[random.weighted(profile == Profile::Hard ? kHardPaintWeights : kPaintWeights)];
  static const std::array<cv::Scalar, 4> kCargoCovers = {cv::Scalar(222, 222, 216), cv::Scalar(52, 92, 160),
                                                         cv::Scalar(72, 100, 62), cv::Scalar(132, 130, 128)};
  vehicle.cargo_colour = kCargoCovers[static_cast<std::size_t>(random.integer(0, 3))];
  return vehicle;
}

// The camp a point belongs to must be unambiguous even after the round trip through lon/lat.
bool clearly_in_or_out_of_camp(const Area& area, cv::Point2d ground) { return std::abs(area.camp_distance(ground)) > 1.0; }

// Vehicles on roads: singles in either lane and nose-to-tail queues (1-2 m gaps).
void add_road_vehicles(Random& random, Area& area, OccupancyIndex& occupancy, int date, int count,
                       double queue_chance, Profile profile) {
  std::vector<const Road*> roads;
  for (const Road& road : area.roads) roads.push_back(&road);
  std::vector<Vehicle>& placed = area.vehicles[static_cast<std::size_t>(date)];
  const std::size_t wanted = placed.size() + static_cast<std::size_t>(count);
  for (int attempt = 0; attempt < 2000 && placed.size() < wanted; ++attempt) {
    // Asphalt carries most traffic; a 4 m dirt track has a single lane down its middle.
    const Road& road = *roads[static_cast<std::size_t>(random.integer(0, static_cast<int>(roads.size()) - 1))];
    if (!road.asphalt && random.chance(0.6)) continue;
    const bool queue = random.chance(queue_chance);
    const int group = queue ? random.integer(3, 10) : 1;
    const double lane = road.asphalt ? (random.chance(0.5) ? 1.75 : -1.75) : 0.0;
    const double travel = lane < 0.0 ? -1.0 : 1.0;  // right-hand traffic: the lane sets the direction
    double s = random.uniform(0.0, road.length());
    double previous_half_length = 0.0;
    for (int member = 0; member < group && placed.size() < wanted; ++member) {
      Vehicle vehicle = queue ? random_vehicle(random, {0.2, 0.2, 0.6}, profile)
                              : random_vehicle(random, {0.6, 0.25, 0.15}, profile);
      if (member > 0) s -= travel * (previous_half_length + random.uniform(1.0, 2.0) + vehicle.body.length / 2.0);
      const auto [point, heading] = road.pose_at(s);
      vehicle.body.angle = heading + (travel < 0.0 ? kPi : 0.0);
      vehicle.body.centre = point + cv::Point2d(-std::sin(heading), std::cos(heading)) * lane;
      if (!area.on_canvas(vehicle.body.centre) || !clearly_in_or_out_of_camp(area, vehicle.body.centre) ||
          occupancy.blocked(vehicle.body, 0.4))
        break;
      occupancy.add(vehicle.body);
      placed.push_back(vehicle);
      previous_half_length = vehicle.body.length / 2.0;
    }
  }
}

// Cars and vans parked beside a tent standing on `date`, at least 1.5 m from anything.
void add_parked_vehicles(Random& random, Area& area, OccupancyIndex& occupancy, int date, int count,
                         Profile profile) {
  std::vector<const Tent*> standing;
  for (const Tent& tent : area.tents)
    if (tent.first_date <= date) standing.push_back(&tent);
  if (standing.empty()) return;
  std::vector<Vehicle>& placed = area.vehicles[static_cast<std::size_t>(date)];
  int parked = 0;
  for (int attempt = 0; attempt < 3000 && parked < count; ++attempt) {
    const Tent& tent = *standing[static_cast<std::size_t>(random.integer(0, static_cast<int>(standing.size()) - 1))];
    Vehicle vehicle = random_vehicle(random, {0.7, 0.3, 0.0}, profile);
    const double side = random.chance(0.5) ? 1.0 : -1.0;
    vehicle.body.angle = tent.body.angle + (random.chance(0.5) ? kPi : 0.0);
    vehicle.body.centre = tent.body.centre +
                          tent.body.normal() * side * (tent.body.width / 2.0 + random.uniform(1.6, 2.5) +
                                                       vehicle.body.width / 2.0) +
                          tent.body.axis() * random.uniform(-tent.body.length / 2.0, tent.body.length / 2.0);
    if (!area.inside_camp(vehicle.body, 1.0) || occupancy.blocked(vehicle.body, 1.5)) continue;
    occupancy.add(vehicle.body);
    placed.push_back(vehicle);
    ++parked;
  }
}

// White compound walls outside the camp with 1-3 cars parked along each, the same on every date: a bright line
// with a dark band beside it and vehicle-sized blobs next to it, which a detector must not take for tents.
void add_walled_parking(Random& random, Area& area, OccupancyIndex& occupancy) {
  const int wanted = random.integer(4, 8);
  int built = 0;
  for (int attempt = 0; attempt < 500 && built < wanted; ++attempt) {
    const Footprint wall{random_point_outside_camp(random, area, 15.0), random.uniform(8.0, 20.0), 0.3,
                         random.uniform(0.0, kPi)};
    if (!area.clear_of_camp(wall, 10.0) || area.touches_road(wall, 2.0) || occupancy.blocked(wall, 1.0)) continue;
    const double side = random.chance(0.5) ? 1.0 : -1.0;
    const int car_count = random.integer(1, 3);
    std::vector<Vehicle> cars;
    double along = -wall.length / 2.0 + random.uniform(0.5, 1.5);  // rear of the next car, from the wall's middle
    for (int c = 0; c < car_count; ++c) {
      Vehicle car = random_vehicle(random, {1.0, 0.0, 0.0}, Profile::Hard);
      if (along + car.body.length > wall.length / 2.0) break;
      car.body.angle = wall.angle + (random.chance(0.5) ? kPi : 0.0);
      car.body.centre = wall.centre + wall.axis() * (along + car.body.length / 2.0) +
                        wall.normal() * side * (wall.width / 2.0 + random.uniform(0.5, 1.0) + car.body.width / 2.0);
      along += car.body.length + random.uniform(1.0, 2.5);
      cars.push_back(car);
    }
    const auto unfit = [&](const Vehicle& car) {
      return !area.on_canvas(car.body.centre) || !clearly_in_or_out_of_camp(area, car.body.centre) ||
             area.touches_road(car.body, 0.5) || occupancy.blocked(car.body, 0.3);
    };
    if (cars.empty() || std::any_of(cars.begin(), cars.end(), unfit)) continue;
    occupancy.add(wall);
    area.walls.push_back(wall);
    for (const Vehicle& car : cars) {
      occupancy.add(car.body);
      for (std::vector<Vehicle>& on_date : area.vehicles) on_date.push_back(car);
    }
    ++built;
  }
}

// Puts the swath edge where 30% of the camp lies on the unimaged side, on a flank the camp grew toward: most older
// tents stay in view, so the visible count still grows from date to date while some tents are hidden.
SwathEdge make_swath_edge(Random& random, const Area& area, int date, double growth_heading) {
  SwathEdge edge;
  edge.date = date;
  edge.direction = unit(growth_heading + kPi / 4.0 + random.uniform(-0.2, 0.2));
  std::vector<double> reach;
  for (double y = 0.25; y < area.height_m(); y += 1.0)
    for (double x = 0.25; x < area.width_m(); x += 1.0)
      if (area.camp_distance({x, y}) > 0.0) reach.push_back(dot({x, y}, edge.direction));
  const std::size_t cut = static_cast<std::size_t>(0.7 * static_cast<double>(reach.size()));
  std::nth_element(reach.begin(), reach.begin() + static_cast<std::ptrdiff_t>(cut), reach.end());
  edge.threshold_m = reach[cut];
  return edge;
}

Area make_area(const UtmProjection& projection, double lat, double lon, int width_px) {
  Area area;
  area.size_px = cv::Size(width_px, kTilePixels);
  const cv::Point2d centre = projection.utm(lon, lat);
  area.utm_top_left = cv::Point2d(std::round(centre.x) - area.width_m() / 2.0,
                                  std::round(centre.y) + area.height_m() / 2.0);
  return area;
}

Area make_camp_area(const UtmProjection& projection, const CampSite& site, std::uint64_t seed, int area_index,
                    Profile profile) {
  Area area = make_area(projection, site.lat, site.lon,
                        site.split_across_two_tiles ? 2 * kTilePixels - kAtmeTileOverlapPixels : kTilePixels);
  area.camp_name = site.name;
  area.persons_per_tent = site.persons_per_tent;
  if (site.split_across_two_tiles) {
    // The camp centre sits in the overlap, so each tile shows the camp cut by its edge.
    area.tiles = {{std::string(site.stem) + "-west", 0},
                  {std::string(site.stem) + "-east", kTilePixels - kAtmeTileOverlapPixels}};
  } else {
    area.tiles = {{site.stem, 0}};
  }
  Random random(stream_seed(seed, kLayoutStream + static_cast<std::uint64_t>(area_index)));
  area.camp_outline = make_camp_outline(random, area.centre());
  const Road bypass = make_bypass_road(random, area);
  area.roads.push_back(bypass);
  // Dirt tracks cross the camp and serve as its streets; tent blocks keep off them.
  const double track_heading = bypass.segment(0).angle + kPi / 2.0 + random.uniform(-0.35, 0.35);
  const cv::Point2d jitter(random.uniform(-50.0, 50.0), random.uniform(-50.0, 50.0));
  area.roads.insert(area.roads.begin(),
                    make_road(random, area, area.centre() + jitter, track_heading, 4.0, false, 3.0));
  if (random.chance(0.7))
    area.roads.insert(area.roads.begin(), make_road(random, area, area.centre() - jitter,
                                                    track_heading + kPi / 2.0 + random.uniform(-0.25, 0.25), 4.0,
                                                    false, 3.0));

  OccupancyIndex occupancy(area.width_m(), area.height_m());
  const int extra_features = site.split_across_two_tiles ? 1 : 0;
  add_village(random, area, occupancy);
  for (int i = 0; i < 2 + extra_features; ++i) add_grove(random, area, occupancy);
  if (extra_features > 0) add_village(random, area, occupancy);

  const double size_factor = random.uniform(0.9, 1.1);
  std::array<int, kDateCount> targets{};
  for (int d = 0; d < kDateCount; ++d)
    targets[static_cast<std::size_t>(d)] =
        static_cast<int>(std::lround(site.target_tents[static_cast<std::size_t>(d)] * size_factor));
  const double growth_heading = random.uniform(0.0, 2.0 * kPi);
  add_tents(random, area, occupancy, targets, area.centre() - unit(growth_heading) * 60.0, profile);
  add_rocks(random, area, occupancy);
  if (site.swath_edge_date >= 0)
    area.swath_edge = make_swath_edge(random, area, site.swath_edge_date, growth_heading);
  if (profile == Profile::Hard) {
    Random walls(stream_seed(seed, kHardLayoutStream + static_cast<std::uint64_t>(area_index)));
    add_walled_parking(walls, area, occupancy);
  }

  for (int date = 0; date < kDateCount; ++date) {
    Random traffic(stream_seed(seed, kVehicleStream + 10 * static_cast<std::uint64_t>(area_index) +
                                         static_cast<std::uint64_t>(date)));
    OccupancyIndex with_traffic = occupancy;
    const int count = site.split_across_two_tiles ? traffic.integer(12, 34) : traffic.integer(5, 20);
    const int parked = static_cast<int>(std::lround(count * traffic.uniform(0.4, 0.7)));
    add_parked_vehicles(traffic, area, with_traffic, date, parked, profile);
    add_road_vehicles(traffic, area, with_traffic, date, count - parked, profile == Profile::Hard ? 0.4 : 0.2,
                      profile);
  }
  return area;
}

Area make_border_road_area(const UtmProjection& projection, std::uint64_t seed, int area_index, Profile profile) {
  Area area = make_area(projection, kBorderRoadLat, kBorderRoadLon, kTilePixels);
  area.tiles = {{"road", 0}};
  Random random(stream_seed(seed, kLayoutStream + static_cast<std::uint64_t>(area_index)));
  // Runs north-west toward the crossing: in ground coordinates (y south) that is heading -135 degrees.
  const Road highway =
      make_road(random, area, area.centre(), -0.75 * kPi + random.uniform(-0.1, 0.1), 7.0, true, 2.5);
  area.roads.push_back(make_road(random, area, area.centre() + cv::Point2d(random.uniform(-80.0, 80.0), 0.0),
                                 highway.segment(0).angle + kPi / 2.0 + random.uniform(-0.4, 0.4), 4.0, false, 3.0));
  area.roads.push_back(highway);
  OccupancyIndex occupancy(area.width_m(), area.height_m());
  add_village(random, area, occupancy);
  for (int i = 0; i < 3; ++i) add_grove(random, area, occupancy);
  add_rocks(random, area, occupancy);
  for (int date = 0; date < kDateCount; ++date) {
    Random traffic(stream_seed(seed, kVehicleStream + 10 * static_cast<std::uint64_t>(area_index) +
                                         static_cast<std::uint64_t>(date)));
    OccupancyIndex with_traffic = occupancy;
    // Queues toward the crossing lengthen as the displacement grows.
    static const std::array<std::pair<int, int>, kDateCount> kTraffic = {{{30, 40}, {45, 58}, {62, 80}}};
    const auto [fewest, most] = kTraffic[static_cast<std::size_t>(date)];
    add_road_vehicles(traffic, area, with_traffic, date, traffic.integer(fewest, most),
                      profile == Profile::Hard ? 0.7 : 0.5, profile);
  }
  return area;
}

// ---------------------------------------------------------------------------------------------------------------
// Rendering. Canvases are RGB (channel 0 = red), as the GeoTIFF bands are.

cv::Point to_draw_point(cv::Point2d ground) {
  constexpr double scale = 1 << kDrawShift;
  // OpenCV puts integer coordinates on pixel centres; GDAL puts them on pixel corners.
  return {static_cast<int>(std::lround((ground.x / kGroundSampleM - 0.5) * scale)),
          static_cast<int>(std::lround((ground.y / kGroundSampleM - 0.5) * scale))};
}

void fill_footprint(cv::Mat& image, const Footprint& footprint, const cv::Scalar& colour) {
  std::array<cv::Point, 4> points;
  const auto corners = footprint.corners();
  for (int i = 0; i < 4; ++i) points[static_cast<std::size_t>(i)] = to_draw_point(corners[static_cast<std::size_t>(i)]);
  cv::fillConvexPoly(image, points.data(), 4, colour, cv::LINE_AA, kDrawShift);
}

void fill_disc(cv::Mat& image, cv::Point2d centre, double diameter_m, const cv::Scalar& colour) {
  const int radius = static_cast<int>(std::lround(diameter_m / 2.0 / kGroundSampleM * (1 << kDrawShift)));
  cv::circle(image, to_draw_point(centre), radius, colour, cv::FILLED, cv::LINE_AA, kDrawShift);
}

// Where shadows fall and how far they reach. Reaches are given for a sun 60 degrees high, the default profile's.
struct Sun {
  cv::Point2d shadow_direction;  // unit vector on the ground
  double shadow_stretch = 1.0;   // tan(60 deg) / tan(elevation)
  // The default profile moves each footprint by its reach. Under the hard profile's low sun a moved footprint
  // would come loose from its object, so there the footprint is swept along the whole reach.
  bool sweep = false;

  cv::Point2d offset(double reach_m) const { return shadow_direction * (reach_m * shadow_stretch); }
};

void fill_shadow_footprint(cv::Mat& image, const Footprint& body, const Sun& sun, double reach_m,
                           const cv::Scalar& colour) {
  Footprint moved = body;
  moved.centre += sun.offset(reach_m);
  if (!sun.sweep) {
    fill_footprint(image, moved, colour);
    return;
  }
  std::vector<cv::Point> corners, hull;
  for (const Footprint& end : {body, moved})
    for (const cv::Point2d& corner : end.corners()) corners.push_back(to_draw_point(corner));
  cv::convexHull(corners, hull);
  cv::fillConvexPoly(image, hull, colour, cv::LINE_AA, kDrawShift);
}

void fill_shadow_disc(cv::Mat& image, cv::Point2d centre, double diameter_m, const Sun& sun, double reach_m,
                      const cv::Scalar& colour) {
  const cv::Point2d offset = sun.offset(reach_m);
  fill_disc(image, centre + offset, diameter_m, colour);
  if (!sun.sweep) return;
  fill_disc(image, centre, diameter_m, colour);
  fill_footprint(image, {centre + offset * 0.5, std::hypot(offset.x, offset.y), diameter_m,
                         std::atan2(offset.y, offset.x)},
                 colour);
}

cv::Scalar brighten(const cv::Scalar& colour, double amount) {
  return cv::Scalar(colour[0] + amount, colour[1] + amount, colour[2] + amount);
}

// Arid soil: a smooth brightness field (+-10) plus fine grain, identical on every date.
cv::Mat render_soil(cv::Size size, std::uint64_t seed) {
  cv::RNG rng(seed);
  constexpr int kControlSpacing = 96;  // pixels between control points of the smooth field (48 m)
  cv::Mat control(size.height / kControlSpacing + 3, size.width / kControlSpacing + 3, CV_32F);
  rng.fill(control, cv::RNG::UNIFORM, -10.0, 10.0);
  cv::Mat smooth;
  cv::resize(control, smooth, cv::Size(control.cols * kControlSpacing, control.rows * kControlSpacing), 0, 0,
             cv::INTER_CUBIC);
  smooth = smooth(cv::Rect(kControlSpacing, kControlSpacing, size.width, size.height));
  cv::Mat grain(size, CV_32F);
  rng.fill(grain, cv::RNG::NORMAL, 0.0, 7.0);
  cv::GaussianBlur(grain, grain, cv::Size(0, 0), 0.6);
  cv::Mat tint(size, CV_32FC3);
  rng.fill(tint, cv::RNG::NORMAL, 0.0, 1.5);
  const std::array<float, 3> base = {170.0f, 155.0f, 130.0f};
  cv::Mat soil(size, CV_8UC3);
  for (int y = 0; y < size.height; ++y)
    for (int x = 0; x < size.width; ++x) {
      const float shade = std::clamp(smooth.at<float>(y, x), -10.0f, 10.0f) + grain.at<float>(y, x);
      for (int c = 0; c < 3; ++c)
        soil.at<cv::Vec3b>(y, x)[c] = cv::saturate_cast<uchar>(base[static_cast<std::size_t>(c)] + shade +
                                                               tint.at<cv::Vec3f>(y, x)[c]);
    }
  return soil;
}

void draw_roads(cv::Mat& image, const Area& area) {
  for (const Road& road : area.roads) {  // dirt tracks come first in the list, so asphalt covers crossings
    const cv::Scalar surface = road.asphalt ? cv::Scalar(85, 85, 88) : cv::Scalar(150, 135, 110);
    for (std::size_t i = 0; i < road.segment_count(); ++i) {
      fill_footprint(image, road.segment(i), surface);
      if (i > 0) fill_disc(image, road.points[i], road.width_m, surface);
    }
    if (!road.asphalt) continue;
    // 3 m x 0.15 m centre dashes: a third of a pixel wide, visible only through antialiasing.
    for (double s = 0.0; s + 3.0 < road.length(); s += 9.0) {
      const auto [point, heading] = road.pose_at(s + 1.5);
      fill_footprint(image, {point, 3.0, 0.15, heading}, cv::Scalar(240, 240, 235));
    }
  }
}

void draw_shadows(cv::Mat& image, const Area& area, int date, const Sun& sun) {
  cv::Mat mask = cv::Mat::zeros(image.size(), CV_8U);
  const cv::Scalar full(255);
  for (const Roof& roof : area.roofs) fill_shadow_footprint(mask, roof.body, sun, 2.5, full);
  for (const Footprint& wall : area.walls) fill_shadow_footprint(mask, wall, sun, 2.5, full);
  for (const Disc& tree : area.trees) fill_shadow_disc(mask, tree.centre, tree.diameter, sun, 1.8, full);
  for (const Disc& rock : area.rocks) fill_shadow_disc(mask, rock.centre, rock.diameter, sun, 0.3, full);
  for (const Tent& tent : area.tents)
    if (tent.first_date <= date) fill_shadow_footprint(mask, tent.body, sun, tent.shadow_m, full);
  for (const Vehicle& vehicle : area.vehicles[static_cast<std::size_t>(date)])
    fill_shadow_footprint(mask, vehicle.body, sun, 0.45, full);
  for (int y = 0; y < image.rows; ++y) {
    const uchar* shade = mask.ptr<uchar>(y);
    cv::Vec3b* pixel = image.ptr<cv::Vec3b>(y);
    for (int x = 0; x < image.cols; ++x)
      if (shade[x] != 0) {
        const double keep = 1.0 - kShadowDarkening * shade[x] / 255.0;
        for (int c = 0; c < 3; ++c) pixel[x][c] = cv::saturate_cast<uchar>(pixel[x][c] * keep);
      }
  }
}

void draw_vehicle(cv::Mat& image, const Vehicle& vehicle) {
  const Footprint& body = vehicle.body;
  const cv::Scalar glass(42, 46, 56);
  if (vehicle.kind == VehicleKind::Truck) {
    constexpr double kCabLength = 2.2;
    const double cargo_length = body.length - kCabLength - 0.3;
    fill_footprint(image, {body.centre + body.axis() * (body.length / 2.0 - kCabLength / 2.0), kCabLength,
                           body.width - 0.1, body.angle},
                   vehicle.colour);
    fill_footprint(image, {body.centre - body.axis() * (body.length / 2.0 - cargo_length / 2.0), cargo_length,
                           body.width, body.angle},
                   vehicle.cargo_colour);
    fill_footprint(image, {body.centre + body.axis() * (body.length / 2.0 - 0.6), 0.5, body.width - 0.4, body.angle},
                   glass);
    return;
  }
  fill_footprint(image, body, vehicle.colour);
  fill_footprint(image, {body.centre + body.axis() * (body.length * 0.18), body.length * 0.16, body.width - 0.3,
                         body.angle},
                 glass);
}

cv::Mat render_scene(const Area& area, const cv::Mat& soil, int date, const Sun& sun) {
  cv::Mat image = soil.clone();
  draw_roads(image, area);
  draw_shadows(image, area, date, sun);
  for (const Roof& roof : area.roofs) {
    fill_footprint(image, roof.body, roof.colour);
    for (const Disc& tank : roof.tanks) {
      fill_shadow_disc(image, tank.centre, tank.diameter, sun, 0.6, brighten(roof.colour, -70.0));
      fill_disc(image, tank.centre, tank.diameter, tank.colour);
    }
  }
  for (const Footprint& wall : area.walls) fill_footprint(image, wall, cv::Scalar(235, 235, 230));
  for (const Disc& tree : area.trees) {
    fill_disc(image, tree.centre, tree.diameter, tree.colour);
    fill_disc(image, tree.centre - sun.shadow_direction * (tree.diameter * 0.15), tree.diameter * 0.5,
              brighten(tree.colour, 12.0));
  }
  for (const Disc& rock : area.rocks) fill_disc(image, rock.centre, rock.diameter, rock.colour);
  for (const Tent& tent : area.tents) {
    if (tent.first_date > date) continue;
    if (tent.block_shelter) {  // flat roof: no ridge, so no lit and shaded halves
      fill_footprint(image, tent.body, tent.colour);
      continue;
    }
    // A ridge along the length: the half facing the sun is lit, the other in its own shade.
    fill_footprint(image, tent.body, brighten(tent.colour, -8.0));
    const double sunward = dot(tent.body.normal(), sun.shadow_direction) < 0.0 ? 1.0 : -1.0;
    fill_footprint(image, {tent.body.centre + tent.body.normal() * (sunward * tent.body.width / 4.0),
                           tent.body.length, tent.body.width / 2.0, tent.body.angle},
                   brighten(tent.colour, 5.0));
  }
  for (const Vehicle& vehicle : area.vehicles[static_cast<std::size_t>(date)]) draw_vehicle(image, vehicle);
  return image;
}

// Hard profile: shadows of scattered clouds, a smooth random field thresholded into soft-edged patches over 15-30%
// of the ground that darken it by up to 40%, so some tents lie half in shade.
void darken_under_clouds(cv::Mat& image, std::uint64_t seed) {
  cv::RNG rng(seed);
  constexpr int kControlSpacing = 160;  // pixels between control points (80 m): patches some 50-150 m across
  cv::Mat control(image.rows / kControlSpacing + 3, image.cols / kControlSpacing + 3, CV_32F);
  rng.fill(control, cv::RNG::UNIFORM, 0.0, 1.0);
  cv::Mat field;
  cv::resize(control, field, cv::Size(control.cols * kControlSpacing, control.rows * kControlSpacing), 0, 0,
             cv::INTER_CUBIC);
  field = field(cv::Rect(kControlSpacing, kControlSpacing, image.cols, image.rows));
  const double coverage = rng.uniform(0.15, 0.30), darkest = rng.uniform(0.25, 0.40);
  std::vector<float> values(field.begin<float>(), field.end<float>());
  const auto cut = values.begin() + static_cast<std::ptrdiff_t>((1.0 - coverage) * static_cast<double>(values.size()));
  std::nth_element(values.begin(), cut, values.end());
  const float threshold = *cut;
  constexpr float kEdgeWidth = 0.08f;  // field units over which the shade fades in: a soft edge of some 10-20 m
  for (int y = 0; y < image.rows; ++y) {
    const float* level = field.ptr<float>(y);
    cv::Vec3b* pixel = image.ptr<cv::Vec3b>(y);
    for (int x = 0; x < image.cols; ++x) {
      const float shade = std::clamp((level[x] - threshold) / kEdgeWidth, 0.0f, 1.0f);
      if (shade <= 0.0f) continue;
      const double keep = 1.0 - darkest * shade;
      for (int c = 0; c < 3; ++c) pixel[x][c] = cv::saturate_cast<uchar>(pixel[x][c] * keep);
    }
  }
}

// Optics and detector: slight blur, Gaussian noise, and 0 reserved for nodata.
cv::Mat apply_sensor(const cv::Mat& scene, std::uint64_t seed) {
  cv::Mat blurred;
  cv::GaussianBlur(scene, blurred, cv::Size(0, 0), 0.5);
  cv::Mat signal;
  blurred.convertTo(signal, CV_32FC3);
  cv::Mat noise(signal.size(), CV_32FC3);
  cv::RNG(seed).fill(noise, cv::RNG::NORMAL, 0.0, 3.0);
  signal += noise;
  cv::Mat image;
  signal.convertTo(image, CV_8UC3);
  cv::max(image, cv::Scalar::all(1), image);
  return image;
}

void blank_unimaged(cv::Mat& image, const SwathEdge& edge) {
  for (int y = 0; y < image.rows; ++y)
    for (int x = 0; x < image.cols; ++x)
      if (edge.unimaged({(x + 0.5) * kGroundSampleM, (y + 0.5) * kGroundSampleM}))
        image.at<cv::Vec3b>(y, x) = cv::Vec3b(0, 0, 0);
}

// ---------------------------------------------------------------------------------------------------------------
// Delivery: how one tile of one date reaches the user. The default profile's tiles carry the canvas pixels as
// rendered; the hard profile gives each tile and date its own pixel size, atmosphere, compression and format.

struct Delivery {
  int pixels = kTilePixels;  // per side; every tile spans the same kTilePixels * kGroundSampleM metres of ground
  double haze = 0.0;         // share of a pale grey-blue blended in
  cv::Scalar gain = cv::Scalar::all(1.0);  // per channel
  double offset = 0.0;                     // brightness, in 8-bit levels
  int jpeg_quality = 0;                    // 0: no compression artefacts
  double uint16_gain = 0.0;  // 0: 8-bit RGB; otherwise 16-bit R, G, B, NIR holding the 8-bit value x 16 x this

  // Never below the nominal GSD: the pixel count is rounded down.
  double pixel_size_m() const { return kTilePixels * kGroundSampleM / pixels; }
  bool as_rendered() const {
    return pixels == kTilePixels && haze == 0.0 && gain == cv::Scalar::all(1.0) && offset == 0.0 && jpeg_quality == 0;
  }
};

std::string tile_path(const TileCut& cut, int date) {
  return "tiles/" + cut.stem + "_" + kDates[static_cast<std::size_t>(date)] + ".tif";
}

std::vector<std::size_t> shuffled_indices(Random& random, std::size_t count) {
  std::vector<std::size_t> indices(count);
  for (std::size_t i = 0; i < count; ++i) indices[i] = i;
  for (std::size_t i = count; i > 1; --i)
    std::swap(indices[i - 1], indices[static_cast<std::size_t>(random.integer(0, static_cast<int>(i) - 1))]);
  return indices;
}

// Deliveries by tile path. Hard: GSDs dealt round-robin and a third of the tiles made 16-bit, each over its own
// shuffle, so every sample holds every GSD and both formats, in varying combinations.
std::map<std::string, Delivery> plan_deliveries(const std::vector<Area>& areas, std::uint64_t seed, Profile profile) {
  std::vector<std::string> paths;
  for (int date = 0; date < kDateCount; ++date)
    for (const Area& area : areas)
      for (const TileCut& cut : area.tiles) paths.push_back(tile_path(cut, date));
  std::map<std::string, Delivery> deliveries;
  if (profile == Profile::Default) {
    for (const std::string& path : paths) deliveries[path] = Delivery{};
    return deliveries;
  }
  constexpr std::array<double, 4> kGsdsM = {0.3, 0.5, 0.7, 1.0};
  Random random(stream_seed(seed, kDeliveryStream));
  const std::vector<std::size_t> gsd_order = shuffled_indices(random, paths.size());
  const std::vector<std::size_t> format_order = shuffled_indices(random, paths.size());
  for (std::size_t i = 0; i < paths.size(); ++i) {
    Delivery delivery;
    const double gsd_m = kGsdsM[gsd_order[i] % kGsdsM.size()];
    delivery.pixels = static_cast<int>(std::floor(kTilePixels * kGroundSampleM / gsd_m));
    delivery.haze = random.uniform(0.0, 0.35);
    delivery.gain = cv::Scalar(random.uniform(0.85, 1.15), random.uniform(0.85, 1.15), random.uniform(0.85, 1.15));
    delivery.offset = random.uniform(-15.0, 15.0);
    delivery.jpeg_quality = random.chance(0.4) ? random.integer(35, 70) : 0;
    if (format_order[i] % 3 == 0) delivery.uint16_gain = random.uniform(0.6, 1.0);
    deliveries[paths[i]] = delivery;
  }
  return deliveries;
}

// Resampling to the delivery grid, haze and colour, then JPEG. Nodata (0 in every band on the canvas) stays exactly
// 0 and every valid pixel at least 1 in every band, as the sensor left them.
cv::Mat deliver(const cv::Mat& crop, const Delivery& delivery) {
  if (delivery.as_rendered()) return crop;
  cv::Mat nodata, resampled;
  cv::inRange(crop, cv::Scalar::all(0), cv::Scalar::all(0), nodata);
  const cv::Size size(delivery.pixels, delivery.pixels);
  cv::resize(crop, resampled, size, 0, 0, delivery.pixels < kTilePixels ? cv::INTER_AREA : cv::INTER_CUBIC);
  cv::resize(nodata, nodata, size, 0, 0, cv::INTER_NEAREST);
  cv::Mat signal;
  resampled.convertTo(signal, CV_32FC3);
  const cv::Scalar haze_colour(200, 208, 220);
  signal = signal * (1.0 - delivery.haze) + haze_colour * delivery.haze;
  cv::multiply(signal, delivery.gain, signal);
  signal += cv::Scalar::all(delivery.offset);
  cv::Mat image;
  signal.convertTo(image, CV_8UC3);
  if (delivery.jpeg_quality > 0) {
    cv::Mat bgr;  // canvases are RGB, OpenCV's codecs BGR
    cv::cvtColor(image, bgr, cv::COLOR_RGB2BGR);
    std::vector<uchar> jpeg;
    if (!cv::imencode(".jpg", bgr, jpeg, {cv::IMWRITE_JPEG_QUALITY, delivery.jpeg_quality}))
      throw std::runtime_error("JPEG encoding failed");
    cv::cvtColor(cv::imdecode(jpeg, cv::IMREAD_COLOR), image, cv::COLOR_BGR2RGB);
  }
  cv::max(image, cv::Scalar::all(1), image);
  image.setTo(cv::Scalar::all(0), nodata);
  return image;
}

// 16-bit R, G, B, NIR at about 12 bits. Near-infrared: vegetation (green above red and blue) is bright. Nodata
// (0, 0, 0) maps to 0 in every band; valid pixels stay at least 1.
cv::Mat to_uint16_rgbn(const cv::Mat& rgb, double gain) {
  cv::Mat rgbn(rgb.size(), CV_16UC4);
  const double scale = 16.0 * gain;
  for (int y = 0; y < rgb.rows; ++y) {
    const cv::Vec3b* in = rgb.ptr<cv::Vec3b>(y);
    cv::Vec4w* out = rgbn.ptr<cv::Vec4w>(y);
    for (int x = 0; x < rgb.cols; ++x) {
      const double red = in[x][0], green = in[x][1], blue = in[x][2];
      const double near_infrared =
          std::min(255.0, 0.5 * (red + green) + 8.0 * std::max(0.0, green - std::max(red, blue)));
      out[x] = cv::Vec4w(cv::saturate_cast<ushort>(red * scale), cv::saturate_cast<ushort>(green * scale),
                         cv::saturate_cast<ushort>(blue * scale), cv::saturate_cast<ushort>(near_infrared * scale));
    }
  }
  return rgbn;
}

// ---------------------------------------------------------------------------------------------------------------
// Output

// `image` is the delivered tile: 8-bit RGB, delivery.pixels on a side.
void write_tile(const fs::path& path, const cv::Mat& image, const Area& area, const TileCut& cut,
                const Delivery& delivery) {
  GDALDriver* driver = GetGDALDriverManager()->GetDriverByName("GTiff");
  if (driver == nullptr) throw std::runtime_error("GDAL has no GTiff driver");
  const bool uint16 = delivery.uint16_gain > 0.0;
  const cv::Mat pixels = uint16 ? to_uint16_rgbn(image, delivery.uint16_gain) : image;
  const int bands = pixels.channels();
  const GDALDataType type = uint16 ? GDT_UInt16 : GDT_Byte;
  // Four UInt16 bands would default to PHOTOMETRIC=MINISBLACK; RGB with an unspecified extra sample keeps band 4
  // from being read as alpha. Noisy 16-bit samples hardly compress: the fastest level costs 12% in size and saves
  // two thirds of the time.
  const char* rgb_options[] = {"TILED=YES", "COMPRESS=DEFLATE", nullptr};
  const char* rgbn_options[] = {"TILED=YES", "COMPRESS=DEFLATE", "ZLEVEL=1", "PHOTOMETRIC=RGB", "ALPHA=UNSPECIFIED",
                                nullptr};
  std::unique_ptr<GDALDataset> dataset(driver->Create(path.string().c_str(), delivery.pixels, delivery.pixels, bands,
                                                      type, const_cast<char**>(uint16 ? rgbn_options : rgb_options)));
  if (!dataset) throw InputError("cannot create " + path.string() + ": " + CPLGetLastErrorMsg());
  const double pixel_size_m = delivery.pixel_size_m();
  double geotransform[6] = {area.utm_top_left.x + cut.left_px * kGroundSampleM, pixel_size_m, 0.0,
                            area.utm_top_left.y, 0.0, -pixel_size_m};
  dataset->SetGeoTransform(geotransform);
  OGRSpatialReference utm;  // one per call: tiles are written from several threads at once
  utm.importFromEPSG(32637);
  dataset->SetSpatialRef(&utm);
  // GDAL 3.6 has no near-infrared interpretation (GCI_NIRBand came in 3.10).
  const std::array<GDALColorInterp, 4> interpretations = {GCI_RedBand, GCI_GreenBand, GCI_BlueBand, GCI_Undefined};
  for (int band = 1; band <= bands; ++band) {
    dataset->GetRasterBand(band)->SetColorInterpretation(interpretations[static_cast<std::size_t>(band - 1)]);
    dataset->GetRasterBand(band)->SetNoDataValue(0.0);
  }
  int band_map[4] = {1, 2, 3, 4};
  const GSpacing sample_bytes = static_cast<GSpacing>(pixels.elemSize1());
  if (dataset->RasterIO(GF_Write, 0, 0, delivery.pixels, delivery.pixels, const_cast<uchar*>(pixels.data),
                        delivery.pixels, delivery.pixels, type, bands, band_map, bands * sample_bytes,
                        static_cast<GSpacing>(pixels.step[0]), sample_bytes, nullptr) != CE_None)
    throw InputError("cannot write " + path.string() + ": " + CPLGetLastErrorMsg());
  // Compression happens while closing, so a full disk shows up only here.
  CPLErrorReset();
  GDALClose(dataset.release());
  if (CPLGetLastErrorType() == CE_Failure)
    throw InputError("cannot write " + path.string() + ": " + CPLGetLastErrorMsg());
}

void write_text(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  out.close();
  if (!out) throw InputError("cannot write " + path.string());
}

// Manifest path of the first tile whose valid pixels contain `ground`, or "" when none does.
std::string showing_tile(const Area& area, const cv::Mat& canvas, cv::Point2d ground, int date) {
  if (!area.on_canvas(ground)) return "";
  const int x = static_cast<int>(ground.x / kGroundSampleM), y = static_cast<int>(ground.y / kGroundSampleM);
  if (canvas.at<cv::Vec3b>(y, x) == cv::Vec3b(0, 0, 0)) return "";
  for (const TileCut& cut : area.tiles)
    if (x >= cut.left_px && x < cut.left_px + kTilePixels) return tile_path(cut, date);
  return "";
}

// How far an object stands out, as an analyst reads it off the canvas (blur, noise and cloud shadow included, but
// before the hard profile's per-tile delivery: resampling, haze, colour, JPEG): L1 distance over R, G, B between the
// mean colour inside the footprint and the mean of a 1 m band around it. The band may hold a neighbour; that is
// part of what makes a crowded object hard.
double footprint_contrast(const cv::Mat& canvas, const Footprint& body) {
  const double reach_m = std::max(body.length, body.width) / 2.0 + 2.0;
  const cv::Rect box = cv::Rect(static_cast<int>((body.centre.x - reach_m) / kGroundSampleM),
                                static_cast<int>((body.centre.y - reach_m) / kGroundSampleM),
                                static_cast<int>(2.0 * reach_m / kGroundSampleM) + 1,
                                static_cast<int>(2.0 * reach_m / kGroundSampleM) + 1) &
                       cv::Rect(0, 0, canvas.cols, canvas.rows);
  Footprint local = body;
  local.centre -= cv::Point2d(box.x * kGroundSampleM, box.y * kGroundSampleM);
  Footprint grown = local;
  grown.length += 2.0;
  grown.width += 2.0;
  cv::Mat inside = cv::Mat::zeros(box.size(), CV_8U), around = cv::Mat::zeros(box.size(), CV_8U);
  fill_footprint(inside, local, cv::Scalar(255));
  fill_footprint(around, grown, cv::Scalar(255));
  const cv::Mat image = canvas(box);
  cv::Mat nodata;
  cv::inRange(image, cv::Scalar::all(0), cv::Scalar::all(0), nodata);
  const cv::Mat imaged = nodata == 0;
  const cv::Mat core = (inside == 255) & imaged;
  const cv::Mat band = (around == 255) & (inside == 0) & imaged;
  if (cv::countNonZero(core) == 0 || cv::countNonZero(band) == 0) return 0.0;
  const cv::Scalar object = cv::mean(image, core), ground = cv::mean(image, band);
  return std::abs(object[0] - ground[0]) + std::abs(object[1] - ground[1]) + std::abs(object[2] - ground[2]);
}

struct CampDateCounts {
  long long tents = 0, vehicles = 0;
};

struct TruthWriter {
  const UtmProjection& projection;
  const std::map<std::string, Delivery>& deliveries;
  std::string features;
  long long tents = 0, vehicles = 0;
  std::map<std::pair<std::string, int>, CampDateCounts> per_camp;

  void add(const Area& area, const cv::Mat& canvas, const Footprint& body, ObjectClass cls, int date) {
    const std::string tile = showing_tile(area, canvas, body.centre, date);
    if (tile.empty()) return;
    const std::string camp = area.camp_distance(body.centre) > 0.0 ? area.camp_name : "";
    const cv::Point2d lon_lat = ground_to_lon_lat(projection, area, body.centre);
    Json feature = {{"type", "Feature"},
                    {"geometry", {{"type", "Point"}, {"coordinates", {round_to_decimals(lon_lat.x, 8),
                                                                      round_to_decimals(lon_lat.y, 8)}}}},
                    {"properties",
                     {{"class", class_name(cls)},
                      {"date", kDates[static_cast<std::size_t>(date)]},
                      {"score", 1.0},
                      {"tile", tile},
                      {"camp", camp},
                      {"length_m", round_to_decimals(body.length, 2)},
                      {"width_m", round_to_decimals(body.width, 2)},
                      {"gsd_m", round_to_decimals(deliveries.at(tile).pixel_size_m(), 6)},
                      {"contrast", round_to_decimals(footprint_contrast(canvas, body), 1)}}}};
    features += (features.empty() ? "" : ",\n") + feature.dump();
    CampDateCounts& counts = per_camp[{camp, date}];
    if (cls == ObjectClass::Tent) {
      ++tents, ++counts.tents;
    } else {
      ++vehicles, ++counts.vehicles;
    }
  }
};

Json camps_geojson(const UtmProjection& projection, const std::vector<Area>& areas) {
  Json features = Json::array();
  for (const Area& area : areas) {
    if (area.camp_name.empty()) continue;
    Json ring = Json::array();
    std::vector<cv::Point2d> corners;
    for (const cv::Point2f& corner : area.camp_outline)
      corners.push_back(ground_to_lon_lat(projection, area, {corner.x, corner.y}));
    double twice_area = 0.0;
    for (std::size_t i = 0; i < corners.size(); ++i)
      twice_area += corners[i].cross(corners[(i + 1) % corners.size()]);
    if (twice_area < 0.0) std::reverse(corners.begin(), corners.end());  // RFC 7946: exterior rings counterclockwise
    corners.push_back(corners.front());
    for (const cv::Point2d& corner : corners) ring.push_back({round_to_decimals(corner.x, 8), round_to_decimals(corner.y, 8)});
    Json properties = {{"name", area.camp_name}};
    if (area.persons_per_tent != kDefaultPersonsPerTent) properties["persons_per_tent"] = area.persons_per_tent;
    features.push_back({{"type", "Feature"},
                        {"geometry", {{"type", "Polygon"}, {"coordinates", Json::array({ring})}}},
                        {"properties", properties}});
  }
  return {{"type", "FeatureCollection"}, {"features", features}};
}

std::string csv_quoted(const std::string& field) {
  std::string quoted = "\"";
  for (char c : field) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

// Real headline figures, scaled so they agree with the population change this small sample actually shows.
std::string reported_csv(long long population_change) {
  const double scale = static_cast<double>(population_change) / 215000.0;
  char scale_text[32];
  std::snprintf(scale_text, sizeof scale_text, "%.4g", scale);
  const std::string scaled = std::string("; scaled by ") + scale_text + " to this synthetic sample";
  std::string csv = "date,region,kind,figure,source\n";
  csv += "2019-12-24,all,arrivals_since:2019-11-01," + std::to_string(std::llround(215000.0 * scale)) + "," +
         csv_quoted("UN OCHA: at least 215,000 people displaced in Idlib since 1 Nov 2019 (as of 24 Dec 2019)" +
                    scaled) +
         "\n";
  csv += "2019-12-24,all,arrivals_since:2019-12-21," + std::to_string(std::llround(10000.0 * scale)) + "," +
         csv_quoted("Press reports: more than 10,000 people fled toward the Turkish border in three days (as of 24 Dec 2019)" +
                    scaled) +
         "\n";
  return csv;
}

}  // namespace

GenerateSummary generate_scenario(const GenerateOptions& options) {
  if (options.scenario != "idlib-border")
    throw InputError("unknown scenario '" + options.scenario + "' (expected idlib-border)");
  if (options.profile != "default" && options.profile != "hard")
    throw InputError("unknown profile '" + options.profile + "' (expected default or hard)");
  const Profile profile = options.profile == "hard" ? Profile::Hard : Profile::Default;
  if (options.out_dir.empty()) throw InputError("no output directory given");
  const fs::path out_dir(options.out_dir);
  std::error_code error;
  fs::create_directories(out_dir / "tiles", error);
  if (error) throw InputError("cannot create " + (out_dir / "tiles").string() + ": " + error.message());

  GDALAllRegister();
  const UtmProjection projection;
  std::vector<Area> areas;
  for (std::size_t i = 0; i < kCampSites.size(); ++i)
    areas.push_back(make_camp_area(projection, kCampSites[i], options.seed, static_cast<int>(i), profile));
  areas.push_back(make_border_road_area(projection, options.seed, static_cast<int>(areas.size()), profile));
  const std::map<std::string, Delivery> deliveries = plan_deliveries(areas, options.seed, profile);

  std::vector<cv::Mat> soils;
  for (std::size_t a = 0; a < areas.size(); ++a)
    soils.push_back(render_soil(areas[a].size_px, stream_seed(options.seed, kTerrainStream + a)));

  Json tiles = Json::array();
  TruthWriter truth{projection, deliveries, {}, 0, 0, {}};
  GenerateSummary summary;
  for (int date = 0; date < kDateCount; ++date) {
    Random sun_position(stream_seed(options.seed, kSunStream + static_cast<std::uint64_t>(date)));
    // Mid-morning in winter: the sun stands in the south-east, shadows fall north-west to north.
    const double shadow_azimuth = sun_position.uniform(300.0, 340.0) * kPi / 180.0;
    Sun sun;
    sun.shadow_direction = cv::Point2d(std::sin(shadow_azimuth), -std::cos(shadow_azimuth));
    if (profile == Profile::Hard) {  // the default profile keeps a sun 60 degrees high
      const double elevation = sun_position.uniform(25.0, 70.0) * kPi / 180.0;
      sun.shadow_stretch = std::tan(kPi / 3.0) / std::tan(elevation);
      sun.sweep = true;
    }
    // Rendering and compressing dominate the run time and are independent per area; the truth is gathered after,
    // in a fixed order.
    std::vector<cv::Mat> canvases(areas.size());
    std::vector<std::exception_ptr> failures(areas.size());
#pragma omp parallel for schedule(dynamic)
    for (int a = 0; a < static_cast<int>(areas.size()); ++a) {
      const std::size_t index = static_cast<std::size_t>(a);
      try {
        const Area& area = areas[index];
        cv::Mat scene = render_scene(area, soils[index], date, sun);
        if (profile == Profile::Hard)
          darken_under_clouds(scene,
                              stream_seed(options.seed, kCloudStream + 10 * index + static_cast<std::uint64_t>(date)));
        cv::Mat canvas = apply_sensor(
            scene, stream_seed(options.seed, kSensorStream + 10 * index + static_cast<std::uint64_t>(date)));
        if (area.swath_edge && area.swath_edge->date == date) blank_unimaged(canvas, *area.swath_edge);
        for (const TileCut& cut : area.tiles) {
          const std::string path = tile_path(cut, date);
          const Delivery& delivery = deliveries.at(path);
          write_tile(out_dir / path, deliver(canvas(cv::Rect(cut.left_px, 0, kTilePixels, kTilePixels)), delivery),
                     area, cut, delivery);
        }
        canvases[index] = canvas;
      } catch (...) {
        failures[index] = std::current_exception();
      }
    }
    for (const std::exception_ptr& failure : failures)
      if (failure) std::rethrow_exception(failure);
    for (std::size_t a = 0; a < areas.size(); ++a) {
      const Area& area = areas[a];
      const cv::Mat& canvas = canvases[a];
      for (const TileCut& cut : area.tiles) {
        tiles.push_back({{"path", tile_path(cut, date)}, {"date", kDates[static_cast<std::size_t>(date)]}});
        ++summary.tiles;
      }
      for (const Tent& tent : area.tents)
        if (tent.first_date <= date) truth.add(area, canvas, tent.body, ObjectClass::Tent, date);
      for (const Vehicle& vehicle : area.vehicles[static_cast<std::size_t>(date)])
        truth.add(area, canvas, vehicle.body, ObjectClass::Vehicle, date);
    }
  }
  summary.tents = truth.tents;
  summary.vehicles = truth.vehicles;

  write_text(out_dir / "manifest.json",
             Json{{"camps", "camps.geojson"}, {"reported", "reported.csv"}, {"tiles", tiles}}.dump(2) + "\n");
  write_text(out_dir / "camps.geojson", camps_geojson(projection, areas).dump(2) + "\n");
  // One feature per line keeps the file diffable and far smaller than indented JSON.
  write_text(out_dir / "truth.geojson",
             "{\"type\": \"FeatureCollection\", \"features\": [\n" + truth.features + "\n]}\n");

  // Counts only what the tiles show (object centre on a valid pixel), so it is the truth an estimator can reach:
  // on 2019-12-01 part of Deir Hassan lies outside the imaged swath and its hidden tents are not counted.
  std::string population = "camp,date,tents,vehicles,population\n";
  std::array<long long, kDateCount> total_population{};
  for (const Area& area : areas) {
    if (area.camp_name.empty()) continue;
    for (int date = 0; date < kDateCount; ++date) {
      const CampDateCounts counts = truth.per_camp[{area.camp_name, date}];
      const long long people = counts.tents * area.persons_per_tent;
      total_population[static_cast<std::size_t>(date)] += people;
      population += area.camp_name + "," + kDates[static_cast<std::size_t>(date)] + "," +
                    std::to_string(counts.tents) + "," + std::to_string(counts.vehicles) + "," +
                    std::to_string(people) + "\n";
    }
  }
  write_text(out_dir / "truth_population.csv", population);
  write_text(out_dir / "reported.csv", reported_csv(total_population[kDateCount - 1] - total_population[0]));
  return summary;
}

}  // namespace campscope

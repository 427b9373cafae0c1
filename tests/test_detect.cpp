#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <functional>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "campscope/backend.h"
#include "campscope/detect.h"
#include "scene_fixture.h"

namespace campscope {
namespace {

using testing::match;
using testing::MatchStats;
using testing::SceneBuilder;

// A camp corner beside a road: tent rows of every colour at several angles, a car queue, and the traps of this
// terrain (olive grove, concrete roof with a water tank, rocks, dashed road markings).
SceneBuilder border_scene(double gsd, std::uint64_t seed) {
  SceneBuilder s(140.0, 100.0, gsd, seed);
  const cv::Scalar asphalt(88, 85, 85);
  s.rectangle(70, 85, 140, 7, 0, asphalt);
  for (double x = 4; x < 136; x += 9) s.rectangle(x, 85, 3, 0.15, 0, cv::Scalar(240, 240, 240));
  const cv::Scalar colours[] = {{245, 245, 245}, {222, 230, 234}, {170, 200, 215}, {185, 105, 55}};
  int k = 0;
  for (int row = 0; row < 4; ++row)
    for (int col = 0; col < 6; ++col, ++k) {
      const double side = 3.0 + (k % 4) * 0.9;
      s.tent(8 + col * 7.5, 8 + row * 7.5, side, row * 25.0, colours[k % 4]);
    }
  s.tent(62, 12, 4.0, 10, colours[0]);  // scattered
  s.tent(70, 30, 5.5, 60, colours[3]);
  // Car queue nose to tail on the road, and a parked white van in the camp.
  const cv::Scalar car_colours[] = {{20, 20, 22}, {240, 240, 240}, {40, 40, 180}, {190, 190, 190}, {150, 60, 30}};
  for (int i = 0; i < 5; ++i) s.car(20 + i * 6.0, 83.2, 0, car_colours[i]);
  s.car(110, 86.9, 0, cv::Scalar(60, 110, 60), 9.0, 2.5);  // truck
  s.car(56, 45, 35, cv::Scalar(235, 235, 235), 5.3, 2.0);
  // Traps.
  for (int gx = 0; gx < 5; ++gx)
    for (int gy = 0; gy < 4; ++gy) {
      s.disc(95 + gx * 7 + 0.6, 10 + gy * 7 + 0.6, 4.5, cv::Scalar(60, 70, 80));
      s.disc(95 + gx * 7, 10 + gy * 7, 4.2, cv::Scalar(45, 75, 60));
    }
  s.rectangle(105, 55, 14, 11, 20, cv::Scalar(185, 190, 195));  // flat concrete roof
  s.disc(103, 53, 1.5, cv::Scalar(60, 60, 60));                 // water tank
  s.disc(30, 60, 1.0, cv::Scalar(120, 125, 128));               // rocks
  s.disc(45, 65, 1.4, cv::Scalar(110, 112, 115));
  return s;
}

class DetectAcrossGsd : public ::testing::TestWithParam<double> {};

TEST_P(DetectAcrossGsd, FindsTentsAndVehiclesAndRejectsTraps) {
  const double gsd = GetParam();
  SceneBuilder scene = border_scene(gsd, 7);
  const RgbBlock block = scene.finish();
  const auto found = detect_objects(block, gsd, DetectorParams{}, Backend::Cpu);
  const MatchStats stats = match(scene.objects(), found, gsd, 1.5);
  const auto tents = std::count_if(scene.objects().begin(), scene.objects().end(),
                                   [](const auto& o) { return o.cls == ObjectClass::Tent; });
  EXPECT_GE(stats.matched_tents, tents - 1) << "gsd " << gsd;
  // The five cars of the queue drive 0.8 m from the dashed centre line; at 0.5 m blur joins some of them to the
  // markings and to each other (the known weakness of the vehicle detector, see the issue notes), so this bound
  // guards against regressions rather than stating the goal (all 7).
  EXPECT_GE(stats.matched_vehicles, 2) << "gsd " << gsd;
  EXPECT_LE(stats.wrong_class, 1) << "gsd " << gsd;
  EXPECT_LE(stats.spurious, 2) << "gsd " << gsd;
}

// Vehicles of every common colour, on asphalt and on bare soil, any heading, each on its own.
TEST_P(DetectAcrossGsd, FindsIsolatedVehiclesOfEveryColour) {
  const double gsd = GetParam();
  SceneBuilder scene(120.0, 60.0, gsd, 3);
  scene.rectangle(60, 15, 120, 9, 0, cv::Scalar(88, 85, 85));
  const cv::Scalar colours[] = {{20, 20, 22},   {240, 240, 240}, {40, 40, 180}, {190, 190, 190},
                                {150, 60, 30},  {60, 110, 60},   {120, 120, 120}};
  int k = 0;
  for (const cv::Scalar& colour : colours) {
    scene.car(10 + k * 16.0, 15, k * 7.0, colour);                        // on the road
    scene.car(10 + k * 16.0, 42, 20.0 + k * 23.0, colour, 5.3, 2.0);     // a van parked on soil
    ++k;
  }
  const auto found = detect_objects(scene.finish(), gsd, DetectorParams{}, Backend::Cpu);
  const MatchStats stats = match(scene.objects(), found, gsd, 1.5);
  // On bare soil every one is found. On asphalt a windscreen is the colour of road in shadow and can split a
  // dark car in two, and a white car body on dark asphalt can measure tent-wide: up to four of the fourteen are
  // missed today (see the issue notes); the bound guards against regressions.
  EXPECT_GE(stats.matched_vehicles, static_cast<int>(scene.objects().size()) - 4) << "gsd " << gsd;
  EXPECT_LE(stats.spurious, 1) << "gsd " << gsd;
}

// Tents packed a metre or so apart in blocks join through the blurred gaps into one region; each must still be
// found where the gap spans two pixels or more. Bare ground between the canopies of an olive grove forms the same
// kind of network and must not become tents.
TEST_P(DetectAcrossGsd, SeparatesPackedTents) {
  const double gsd = GetParam();
  const double pitch = 4.0 + std::max(1.0, 2.2 * gsd);
  SceneBuilder scene(100.0, 70.0, gsd, 5);
  const cv::Scalar covers[] = {{185, 115, 55}, {238, 240, 241}};  // blue tarpaulin, white (BGR)
  for (int b = 0; b < 2; ++b)
    for (int row = 0; row < 3; ++row)
      for (int column = 0; column < 4; ++column)
        scene.tent(8.0 + 50.0 * b + column * pitch, 8.0 + row * pitch, 4.0, 0.0, covers[b]);
  const std::size_t tents = scene.objects().size();
  for (int row = 0; row < 4; ++row)
    for (int column = 0; column < 10; ++column) {
      const double x = 8.0 + column * 7.0, y = 40.0 + row * 7.0;
      scene.disc(x + 1.2, y + 1.2, 4.2, cv::Scalar(50, 60, 55));  // the canopy's shadow
      scene.disc(x, y, 4.2, cv::Scalar(45, 75, 60));
    }
  const auto found = detect_objects(scene.finish(), gsd, DetectorParams{}, Backend::Cpu);
  const MatchStats stats = match(scene.objects(), found, gsd, 1.5);
  // Without the separation 10 (0.5 m) and 14 (0.7 m) of the 24 are found; with it at least 20.
  EXPECT_GE(stats.matched_tents, static_cast<int>(tents) - 4) << "gsd " << gsd;
  EXPECT_LE(stats.spurious, 1) << "gsd " << gsd;
}

INSTANTIATE_TEST_SUITE_P(Gsd, DetectAcrossGsd, ::testing::Values(0.3, 0.5, 0.7));

// Vehicles queued nose to tail half a metre apart blur into one foreground region longer than any truck; each is
// still its own paint and glass, grown from the seed up to the next vehicle's paint: 7 of the nine are found at
// 0.3 m (6-7 over other noise seeds) and 3 at 0.5 m, against 4 and 2 without that. At 0.7 m the gaps are gone and
// colours blend across whole vehicles: none is found either way (the known weakness of the vehicle detector, see
// the issue notes).
TEST(Detect, SeparatesQueuedVehiclesOfDifferentColours) {
  struct Case {
    double gsd;
    int min_found;
  };
  for (const Case& c : {Case{0.3, 6}, Case{0.5, 3}}) {
    SceneBuilder scene(90.0, 30.0, c.gsd, 9);
    scene.rectangle(45, 15, 90, 7, 0, cv::Scalar(88, 85, 85));
    struct Queued {
      cv::Scalar bgr;
      double length, width;
    };
    const Queued queue[] = {{{40, 40, 190}, 4.5, 1.8}, {{235, 235, 235}, 4.5, 1.8}, {{185, 105, 40}, 5.3, 2.0},
                            {{60, 120, 60}, 4.5, 1.8}, {{40, 140, 200}, 4.5, 1.8},  {{190, 190, 190}, 4.5, 1.8},
                            {{150, 60, 30}, 5.3, 2.0}, {{30, 30, 150}, 4.5, 1.8},   {{235, 235, 235}, 4.5, 1.8}};
    double x = 6.0;
    for (const Queued& q : queue) {
      scene.car(x + q.length / 2.0, 14.0, 0, q.bgr, q.length, q.width);
      x += q.length + 0.5;
    }
    const auto found = detect_objects(scene.finish(), c.gsd, DetectorParams{}, Backend::Cpu);
    const MatchStats stats = match(scene.objects(), found, c.gsd, 1.5);
    EXPECT_GE(stats.matched_vehicles, c.min_found) << "gsd " << c.gsd;
    EXPECT_LE(stats.spurious, 1) << "gsd " << c.gsd;
  }
}

// Cars as aerial imagery shows them at 0.4 m (the KIT mosaics): paint cut into bonnet, roof and boot by a dark
// windscreen and rear window, and a shadow along one side, parked at a kerb and driving. Each piece of paint alone is
// too short for a vehicle; the paint with its glass and shadow is a car. Traps of the same make: dormers on a tiled
// roof (a bright box with a shadow strip, nearly all paint) and the band of shadow a flat roof casts (all dark).
// A car as fine pixels show it from above: paint cut by a dark windscreen and rear window, its shadow 0.6 m aside.
void draw_glass_cut_car(SceneBuilder& scene, double cx, double cy, double length, double width, cv::Scalar paint,
                        cv::Scalar glass, cv::Scalar shadow) {
  scene.rectangle(cx, cy + 0.6, length, width, 0, shadow);
  scene.rectangle(cx, cy, length, width, 0, paint);
  scene.rectangle(cx + 0.2 * length, cy, 0.18 * length, width - 0.3, 0, glass);   // windscreen
  scene.rectangle(cx - 0.28 * length, cy, 0.12 * length, width - 0.3, 0, glass);  // rear window
  scene.mark(ObjectClass::Vehicle, cx, cy);
}

SceneBuilder glass_cut_cars_scene(double gsd, std::uint64_t seed) {
  SceneBuilder scene(90.0, 46.0, gsd, seed);
  const cv::Scalar asphalt(112, 108, 108), glass(40, 36, 34), shadow(62, 60, 60);
  scene.rectangle(45, 12, 90, 14, 0, asphalt);
  scene.rectangle(45, 4, 90, 2.5, 0, cv::Scalar(150, 152, 156));  // pavement
  const cv::Scalar paints[] = {{235, 235, 235}, {200, 200, 205}, {40, 40, 170}, {175, 120, 60}, {225, 225, 225}};
  for (int k = 0; k < 5; ++k)
    draw_glass_cut_car(scene, 8.0 + k * 17.0, k % 2 ? 8.0 : 15.5, 4.5, 1.8, paints[k], glass, shadow);
  scene.rectangle(60, 26.0, 10, 6, 0, cv::Scalar(185, 190, 195));  // a flat roof, and its shadow on the road
  scene.rectangle(60, 22.2, 10, 1.6, 0, shadow);
  scene.rectangle(45, 38, 90, 12, 0, cv::Scalar(70, 90, 160));  // tiled roof
  for (int k = 0; k < 6; ++k) {
    const double cx = 8.0 + k * 14.0;
    scene.rectangle(cx + 0.5, 37.6, 2.6, 2.2, 0, cv::Scalar(40, 50, 90));
    scene.rectangle(cx, 37.0, 2.6, 2.2, 0, cv::Scalar(235, 235, 235));
  }
  return scene;
}

TEST(Detect, FindsCarsCutByTheirGlassWithTheirShadow) {
  const double gsd = 0.4;
  SceneBuilder scene = glass_cut_cars_scene(gsd, 13);
  const auto found = detect_objects(scene.finish(), gsd, DetectorParams{}, Backend::Cpu);
  const MatchStats stats = match(scene.objects(), found, gsd, 1.5);
  // Without the paint-with-glass route 2 of the five are found (over noise seeds 1-7 with it: 4 or 5).
  EXPECT_GE(stats.matched_vehicles, 4);
  EXPECT_EQ(stats.spurious, 0);
}

// City cars (3.6 x 1.6 m, as a Fiat 500 or a VW up!) at 0.4 m, their glass and shadow seen, are under the vehicle
// limits once the blur is taken off: the slack a region showing its glass gets lets them through. Lane dashes 3 m x
// 0.5 m blur into regions of about their size with no dark pixel and get none: given it, 4 to 8 of them per road are
// taken for vehicles.
SceneBuilder city_cars_scene(double gsd, std::uint64_t seed) {
  SceneBuilder scene(80.0, 24.0, gsd, seed);
  const cv::Scalar asphalt(128, 126, 126), glass(40, 36, 34), shadow(70, 68, 68);
  scene.rectangle(40, 12, 80, 14, 0, asphalt);
  const cv::Scalar paints[] = {{235, 235, 235}, {40, 40, 170}, {200, 200, 205}, {60, 140, 200}};
  for (int k = 0; k < 4; ++k)
    draw_glass_cut_car(scene, 8.0 + k * 18.0, k % 2 ? 8.0 : 15.5, 3.6, 1.6, paints[k], glass, shadow);
  return scene;
}

SceneBuilder lane_dashes_scene(double gsd, std::uint64_t seed) {
  SceneBuilder scene(80.0, 24.0, gsd, seed);
  scene.rectangle(40, 12, 80, 7, 0, cv::Scalar(88, 85, 85));
  for (double x = 2.0; x < 78.0; x += 9.0) scene.rectangle(x, 12.0, 3.0, 0.5, 0, cv::Scalar(235, 240, 240));
  return scene;
}

TEST(Detect, FindsCityCarsWhoseGlassIsSeenButNoLaneDashes) {
  const double gsd = 0.4;
  for (std::uint64_t seed : {3, 11, 29}) {
    SceneBuilder cars = city_cars_scene(gsd, seed);
    const auto found = detect_objects(cars.finish(), gsd, DetectorParams{}, Backend::Cpu);
    const MatchStats stats = match(cars.objects(), found, gsd, 1.5);
    EXPECT_GE(stats.matched_vehicles, 2) << "seed " << seed;  // without the slack 1 of the 4
    EXPECT_EQ(stats.spurious, 0) << "seed " << seed;
    SceneBuilder dashes = lane_dashes_scene(gsd, seed);
    EXPECT_TRUE(detect_objects(dashes.finish(), gsd, DetectorParams{}, Backend::Cpu).empty()) << "seed " << seed;
  }
}

// Beside a block of white tents the covers are the second commonest colour of a vehicle's window (after the soil);
// a white car parked two metres from them is still foreground, not ground.
SceneBuilder white_cars_beside_white_tents_scene(double gsd, std::uint64_t seed) {
  SceneBuilder scene(60.0, 80.0, gsd, seed);
  for (const double y : {6.0, 12.0})
    for (int column = 0; column < 8; ++column)
      scene.tent(5.0 + column * 7.0, y, 5.0, 0.0, cv::Scalar(240, 240, 240), 0.0);
  for (int k = 0; k < 4; ++k) scene.car(8.0 + k * 14.0, 17.4, 0.0, cv::Scalar(235, 235, 235));
  return scene;
}

TEST(Detect, FindsWhiteCarsBesideWhiteTents) {
  const double gsd = 0.5;
  SceneBuilder scene = white_cars_beside_white_tents_scene(gsd, 21);
  const auto found = detect_objects(scene.finish(), gsd, DetectorParams{}, Backend::Cpu);
  const MatchStats stats = match(scene.objects(), found, gsd, 1.5);
  // With the covers taken for ground none of the four cars is found.
  EXPECT_GE(stats.matched_tents, 15);
  EXPECT_GE(stats.matched_vehicles, 3);
  EXPECT_LE(stats.spurious, 1);
}

// A white car's body without its windscreen is one material the size of a small tent once blurred (with the centre
// line's dash beside it, a tent's width too); white cars and vans driving beside the dashes, and white tents on the
// verge, are each what they are.
TEST(Detect, WhiteCarsAreNoSmallTents) {
  const double gsd = 0.5;
  int tents = 0, vehicles = 0, wrong_class = 0, spurious = 0;
  for (std::uint64_t seed = 1; seed <= 6; ++seed) {
    SceneBuilder scene(100.0, 40.0, gsd, seed);
    scene.rectangle(50, 20, 100, 7, 0, cv::Scalar(88, 85, 85));
    for (double x = 2; x < 100; x += 9) scene.rectangle(x, 20, 3, 0.15, 0, cv::Scalar(240, 240, 240));
    for (int k = 0; k < 6; ++k) {
      const bool van = k % 2 == 1;
      scene.car(6.0 + k * 16.0, 20.0 + (k % 3 == 2 ? -1.75 : 1.75), 0.0, cv::Scalar(238, 238, 238),
                van ? 5.3 : 4.5, van ? 2.0 : 1.8);
      scene.tent(8.0 + k * 16.0, 32.0, 3.5 + 0.4 * k, 10.0 * k, cv::Scalar(240, 240, 240));
    }
    const auto found = detect_objects(scene.finish(), gsd, DetectorParams{}, Backend::Cpu);
    const MatchStats stats = match(scene.objects(), found, gsd, 1.5);
    tents += stats.matched_tents;
    vehicles += stats.matched_vehicles;
    wrong_class += stats.wrong_class;
    spurious += stats.spurious;
  }
  // Over the six noise seeds: 17 of the 36 vehicles found and 3 taken for tents; 6 taken for tents without the rule
  // that a cover under 2.5 m wide on a ground darker than the block's is no tent at fine pixels, and 8 found and
  // 15 taken without the rule that a narrow tent whose foreground is a vehicle half as long again is that vehicle.
  // (Cars merged with a dash on both sides are still missed.)
  EXPECT_EQ(tents, 36);
  EXPECT_GE(vehicles, 14);
  EXPECT_LE(wrong_class, 4);
  EXPECT_LE(spurious, 1);
}

// Whether an object of class `cls` was found within `within_m` of a truth position (pixel coordinates of the crop).
bool found_near(const std::vector<DetectedObject>& found, ObjectClass cls, cv::Point2d at, double gsd,
                double within_m = 1.5) {
  return std::any_of(found.begin(), found.end(), [&](const DetectedObject& o) {
    return o.cls == cls && std::hypot(o.x - at.x, o.y - at.y) * gsd <= within_m;
  });
}

bool vehicle_found_near(const std::vector<DetectedObject>& found, cv::Point2d at, double gsd) {
  return found_near(found, ObjectClass::Vehicle, at, gsd);
}

// A crop of a generated tile kept in tests/data (all pixels valid); empty when it cannot be read.
RgbBlock test_data_block(const std::string& file) {
  const cv::Mat bgr = cv::imread(std::string(CAMPSCOPE_TEST_DATA_DIR) + "/" + file, cv::IMREAD_COLOR);
  RgbBlock block;
  block.width = bgr.cols;
  block.height = bgr.rows;
  block.valid.assign(static_cast<std::size_t>(block.width) * block.height, 1);
  for (int y = 0; y < bgr.rows; ++y)
    for (int x = 0; x < bgr.cols; ++x)
      for (int c = 0; c < 3; ++c) block.rgb.push_back(bgr.at<cv::Vec3b>(y, x)[2 - c]);
  return block;
}

// Crops of generated tiles in tests/data with the truth's pixel positions of their objects of one class.
struct Crop {
  const char* file;
  std::vector<cv::Point2d> objects;
};

// Each object of each crop found as `cls` within 1.5 m of its truth position.
void expect_found_in_crops(const std::vector<Crop>& crops, ObjectClass cls, double gsd, double within_m = 1.5) {
  for (const Crop& crop : crops) {
    const RgbBlock block = test_data_block(crop.file);
    ASSERT_GT(block.width, 0) << crop.file;
    const auto found = detect_objects(block, gsd, DetectorParams{}, Backend::Cpu);
    for (const cv::Point2d& at : crop.objects)
      EXPECT_TRUE(found_near(found, cls, at, gsd, within_m)) << crop.file << ": object at " << at;
  }
}

// A silver car and a white van driving beside the centre line's dashes at 0.5 m: cut off by its windscreen, the
// pale rear of each measures 2.3 m wide against the blend of asphalt and soil about it, and was taken for a tent.
// Crops of generated tiles (`campscope generate --seed 1`, road_2019-12-01.tif at x 341, y 357, and
// road_2019-11-01.tif at x 794, y 744), with the truth's pixel positions of the vehicles.
TEST(Detect, PaleCarRearsBesideTheDashesAreNoTents) {
  for (const Crop& crop : std::vector<Crop>{{"silver_car_by_the_dashes_0.5m.png", {{39.0, 37.0}}},
                                            {"white_van_by_the_dashes_0.5m.png", {{40.0, 42.0}}}}) {
    const RgbBlock block = test_data_block(crop.file);
    ASSERT_GT(block.width, 0) << crop.file;
    const double gsd = 0.5;
    const auto found = detect_objects(block, gsd, DetectorParams{}, Backend::Cpu);
    for (const cv::Point2d& vehicle : crop.objects)
      EXPECT_FALSE(found_near(found, ObjectClass::Tent, vehicle, gsd, 3.0)) << crop.file;
  }
}

// Trucks as the generator draws them at 0.5 m: a white cab cut by its windscreen into thin strips, which join the
// coloured cargo (and a queue's next vehicle) into a region no vehicle is, as a dash of the centre line joins a car.
// Crops of generated tiles (`campscope generate --seed 4`, road_2019-12-01.tif at x 920, y 850; `--seed 1`,
// deir-hassan_2019-12-01.tif at x 570, y 800). Without the strips taken off: one vehicle between the two queued
// trucks, and one 1.65 m off the third.
TEST(Detect, FindsTrucksWhoseWhiteCabsAreThinStrips) {
  expect_found_in_crops({{"trucks_queued_0.5m.png", {{43.1, 35.6}, {54.5, 46.0}}},
                         {"truck_white_cab_0.5m.png", {{42.5, 34.2}}}},
                        ObjectClass::Vehicle, 0.5);
}

// A queue's line walked from a car 50 m up the road, off its lane's axis by the few degrees the road bends, passes
// half a lane beside a truck found by its cargo and meets its cab: the vehicle it would put there stands, its middle
// taken across the line, on the truck. A crop of a generated tile (`campscope generate --seed 1`,
// road_2019-12-01.tif at x 440, y 380, 340 x 320 pixels: the queue's line needs the road about it), with the truth's
// pixel position of the truck (9.96 m long); judged where the line met it, a second vehicle was put 2.4 m from it.
TEST(Detect, PutsNoSecondVehicleOnATruckBesideAQueueLine) {
  const double gsd = 0.5;
  const RgbBlock block = test_data_block("truck_beside_a_queue_line_0.5m.png");
  ASSERT_GT(block.width, 0);
  const cv::Point2d truck(132.81, 213.02);
  const auto found = detect_objects(block, gsd, DetectorParams{}, Backend::Cpu);
  EXPECT_TRUE(vehicle_found_near(found, truck, gsd));
  const auto on_the_truck = std::count_if(found.begin(), found.end(), [&](const DetectedObject& o) {
    return o.cls == ObjectClass::Vehicle && std::hypot(o.x - truck.x, o.y - truck.y) * gsd <= 4.0;
  });
  EXPECT_EQ(on_the_truck, 1);
}

// Trucks in the lane beside the soil at 0.5 m: one with grey cargo, which lies within the ground tolerance of the
// soil in shadow (the window's soil colour, a mode of the soil and its blends, is darker still), so that the
// foreground about the seed takes the cargo for ground; one with grey cargo and one with green, each touching a dash
// of the centre line. Crops of generated tiles (`campscope generate --seed 1`, road_2019-11-01.tif at x 260, y 293,
// 80 x 80 pixels; `--seed 3`, road_2019-12-24.tif at x 593, y 589, and road_2019-12-01.tif at x 807, y 808, 160 x
// 160), with the truth's pixel positions. Grown with only the asphalt's shadow taken for ground, less the dash, each
// truck is a region of its own and found; none was before.
TEST(Detect, FindsTrucksOnAsphaltGrownWithItsShadowOnly) {
  expect_found_in_crops({{"grey_cargo_truck_0.5m.png", {{40.02, 40.40}}},
                         {"grey_cargo_truck_by_a_dash_0.5m.png", {{80.39, 80.18}}},
                         {"green_cargo_truck_by_a_dash_0.5m.png", {{80.19, 80.59}}}},
                        ObjectClass::Vehicle, 0.5);
}

// A queue of trucks nose to tail at 0.5 m, three with green cargo and a red cab, between two with blue cargo: the
// queue is one foreground region past the window, and the green cargo lies 52 (L1) from the asphalt, too near it for
// the painted part on soil. On the road its paint is tried: the truck at (61.15, 50.23) is found 1.5 m from its
// centre. A crop of a generated tile (`campscope generate --seed 5`, deir-hassan_2019-12-24.tif at x 40, y 616,
// 120 x 120 pixels), with the truth's pixel positions (the match radius of `campscope eval`, 2 m); before, the
// queue's walk put vehicles 2.6 m and 3.2 m from it, and none nearer.
TEST(Detect, FindsAGreenCargoTruckOfAQueueByItsPaint) {
  expect_found_in_crops({{"green_cargo_trucks_queued_0.5m.png", {{61.97, 27.85}, {61.15, 50.23}, {59.77, 89.93}}}},
                        ObjectClass::Vehicle, 0.5, 2.0);
}

// A blue car and a silver one touching a dash of the centre line at 0.5 m: the dash joined each car's region and
// moved its centre 2.2-2.6 m off the car's, past the 2 m a detection may be off. Crops of a generated tile
// (`campscope generate --seed 4`, road_2019-12-01.tif at x 180, y 226 and x 51, y 129), with the truth's pixel
// positions; without the markings taken off the centre, neither car is found within 1.5 m.
TEST(Detect, CarsTouchingADashAreCentredOnTheCar) {
  expect_found_in_crops({{"blue_car_touching_a_dash_0.5m.png", {{39.7, 40.4}}},
                         {"silver_car_touching_a_dash_0.5m.png", {{39.8, 39.7}}}},
                        ObjectClass::Vehicle, 0.5);
}

// White cars driving beside the centre line at 0.5 m, a dash glued to each one's side by the blur: the region is
// too wide for its length, and the car's windscreen (dark as the asphalt in shadow) the notch that tells its width.
// Crops of generated tiles (`campscope generate --seed 1`, atme-east_2019-12-01.tif at x 944, y 106; `--seed 2`,
// road_2019-12-01.tif at x 123, y 146), with the truth's pixel positions; without the cut about the windscreen
// neither car is found.
TEST(Detect, FindsCarsWithADashGluedToTheirSide) {
  expect_found_in_crops({{"white_car_glued_to_a_dash_0.5m.png", {{44.0, 40.2}}},
                         {"white_car_glued_to_a_dash_diagonal_0.5m.png", {{39.9, 40.5}}}},
                        ObjectClass::Vehicle, 0.5);
}

// Grey cars driving beside the centre line at 0.5 m, a dash glued to each one's side: the windscreen, as dark as the
// asphalt in shadow, cuts the paint in two, the dash joins the pieces, and the mean of paint and glass lies on the
// blend of asphalt and soil. Crops of generated tiles (`campscope generate --seed 1`, kah_2019-12-01.tif at x 905,
// y 338; `--seed 5`, kah_2019-11-01.tif at x 871, y 204), with the truth's pixel positions; without the paint and
// glass grown with the dash left out neither car is found.
TEST(Detect, FindsGreyCarsWithADashGluedToTheirSide) {
  expect_found_in_crops({{"grey_car_glued_to_a_dash_0.5m.png", {{40.63, 40.05}}},
                         {"grey_car_glued_to_a_dash_tilted_0.5m.png", {{40.47, 40.92}}}},
                        ObjectClass::Vehicle, 0.5);
}

// White cars driving beside the centre line at 0.5 m, a dash glued to each one's side: the windscreen is the notch
// that tells the car's width, but the region about it misses its darkest pixel, a one-pixel hole two pixels inside,
// and the dark pixels left about it touch only at their corners. Crops of generated tiles (`campscope generate
// --seed 1`, kah_2019-11-01.tif at x 910, y 784; `--seed 5`, kah_2019-11-01.tif at x 867, y 5), with the truth's
// pixel positions; without the hole filled neither car is found.
TEST(Detect, FindsWhiteCarsWhoseWindscreenIsAPinholeOfTheirRegion) {
  expect_found_in_crops({{"white_car_with_a_pinhole_windscreen_0.5m.png", {{40.11, 40.89}}},
                         {"white_car_with_a_pinhole_windscreen_tilted_0.5m.png", {{40.31, 40.79}}}},
                        ObjectClass::Vehicle, 0.5);
}

// A beige cover among white ones at 0.5 m: grown as one material from a candidate on it, its brighter half measures as
// a van (5.4 x 2.5 m), while the foreground about that candidate is the whole cover, a tent; the van outranked the
// tent found from the cover's other candidates. A crop of a generated tile (`campscope generate --seed 2`,
// atme-west_2019-11-01.tif at x 892, y 354), with the truth's pixel position of the cover: found as a tent, with no
// vehicle on it (before, a vehicle 0.85 m from its centre and no tent).
TEST(Detect, PartOfABeigeCoverAmongWhiteOnesIsNoVehicle) {
  const RgbBlock block = test_data_block("beige_cover_among_white_ones_0.5m.png");
  ASSERT_GT(block.width, 0);
  const double gsd = 0.5;
  const auto found = detect_objects(block, gsd, DetectorParams{}, Backend::Cpu);
  const cv::Point2d cover(41.12, 39.23);
  EXPECT_TRUE(found_near(found, ObjectClass::Tent, cover, gsd));
  EXPECT_FALSE(vehicle_found_near(found, cover, gsd));
}

// Cars of queues at 0.5 m: a silver car and a white one side by side in the two lanes, joined through the dashes
// between them, and a white car nose to tail between two trucks with blue cargo. Each region holds the whole queue;
// the windscreen nearest the seed gives the car's width. Crops of generated tiles (`campscope generate --seed 2`,
// road_2019-11-01.tif at x 190, y 204; `--seed 4`, road_2019-12-24.tif at x 546, y 539), with the truth's pixel
// positions; without the cut about the windscreen none of the three is found.
TEST(Detect, FindsCarsOfAQueueByTheirWindscreens) {
  expect_found_in_crops({{"cars_side_by_side_in_a_queue_0.5m.png", {{33.9, 39.8}, {45.0, 40.9}}},
                         {"white_car_between_queued_trucks_0.5m.png", {{40.1, 40.0}}}},
                        ObjectClass::Vehicle, 0.5);
}

// Lone covers of a hazy 0.7 m delivery, blurred with JPEG-like artefacts: half of each material region is the
// blurred rim, and by its mean the tarpaulins are not blue enough, the pale cover not bright enough over the soil;
// by its interior each is a tent. Crops of a generated tile (`campscope generate --profile hard --seed 3`,
// kah_2019-11-01.tif at x 415, y 426; x 307, y 241; x 321, y 542), with the truth's pixel positions.
TEST(Detect, FindsLoneCoversByTheirInteriorAt07m) {
  expect_found_in_crops({{"lone_pale_cover_0.7m.png", {{31.71, 32.34}}},
                         {"lone_tarpaulins_0.7m.png", {{12.09, 31.72}, {31.57, 31.64}}},
                         {"lone_tarpaulin_0.7m.png", {{31.88, 31.79}}}},
                        ObjectClass::Tent, 0.7);
}

// A queue of trucks that fills its road: what is left of the asphalt between them and their cabs and cargo
// (red, grey) make a window's second commonest colour, a tenth of the window but a mixture, few of its pixels near
// its mean, so no ground: taken for one, it took the grey cargo with it. A crop of a generated tile
// (`campscope generate --seed 4`, road_2019-12-01.tif at x 377, y 507), with the truth's pixel position.
TEST(Detect, FindsATruckOfAQueueThatFillsItsRoad) {
  const RgbBlock block = test_data_block("queue_filling_its_road_0.5m.png");
  ASSERT_GT(block.width, 0);
  const double gsd = 0.5;
  const auto found = detect_objects(block, gsd, DetectorParams{}, Backend::Cpu);
  const cv::Point2d truck(44.45, 41.28);
  // Without the compactness test for a second ground the four other vehicles are found and this one is not.
  EXPECT_TRUE(vehicle_found_near(found, truck, gsd));
  EXPECT_EQ(std::count_if(found.begin(), found.end(),
                          [](const DetectedObject& o) { return o.cls == ObjectClass::Vehicle; }),
            5);
}

// A red car in a queue at 0.5 m, between a grey van and a truck: its windscreen, dark grey like the asphalt in
// shadow, is ground to the foreground and cuts the paint into a bonnet and a roof, each too short for a car, while
// the foreground with every dark pixel about it is the whole queue. The paint about the seed with the dark pixels
// about it is the car. A crop of a generated tile (`campscope generate --seed 1`, road_2019-11-01.tif at x 60,
// y 115), with the truth's pixel position.
TEST(Detect, FindsACarOfAQueueCutByItsDarkGlass) {
  const RgbBlock block = test_data_block("red_car_in_a_queue_0.5m.png");
  ASSERT_GT(block.width, 0);
  const double gsd = 0.5;
  const auto found = detect_objects(block, gsd, DetectorParams{}, Backend::Cpu);
  const cv::Point2d car(42.09, 42.20);
  EXPECT_TRUE(vehicle_found_near(found, car, gsd));
}

// At 1 m a car is a few pixels of blur about one or two of paint, and the dashes of a centre line blur into
// car-sized regions of weak contrast. A crop of a generated tile (`campscope generate --profile hard --seed 1`,
// deir-hassan_2019-12-01.tif at x 20, y 383): a road with its dashes, and two cars parked by a wall above it, with
// the truth's pixel positions. Without twice the vehicle contrast at pixels coarser than 0.75 m, four dashes are
// taken for vehicles.
TEST(Detect, CentreLineDashesAt1mAreNoVehicles) {
  const RgbBlock block = test_data_block("centre_line_dashes_1m.png");
  ASSERT_GT(block.width, 0);
  const double gsd = 1.0;
  const std::vector<cv::Point2d> cars = {{26.9, 16.6}, {32.6, 17.9}};
  int found_cars = 0;
  for (const DetectedObject& o : detect_objects(block, gsd, DetectorParams{}, Backend::Cpu)) {
    if (o.cls != ObjectClass::Vehicle) continue;
    const bool a_car = std::any_of(cars.begin(), cars.end(), [&](const cv::Point2d& car) {
      return std::hypot(o.x - car.x, o.y - car.y) * gsd <= 2.0;
    });
    EXPECT_TRUE(a_car) << "vehicle at " << o.x << ", " << o.y;
    found_cars += a_car;
  }
  EXPECT_GE(found_cars, 1);
}

// Flat roofs with their rooftop tanks and shadows beside an olive grove at 0.5 m, and no vehicle: the soil between
// two roofs, in the shade of one, is a strip a car's size, its colour the soil's darkened toward its shadow, and both
// of its window's grounds are the roofs. A crop of a generated tile (`campscope generate --seed 5`,
// kah_2019-12-24.tif at x 198, y 812, 120 x 120 pixels); before that soil counted as bare ground, the strip was a
// vehicle at (60.0, 59.8).
TEST(Detect, SoilBetweenPaleRoofsIsNoVehicle) {
  const RgbBlock block = test_data_block("soil_between_roofs_0.5m.png");
  ASSERT_GT(block.width, 0);
  for (const DetectedObject& o : detect_objects(block, 0.5, DetectorParams{}, Backend::Cpu))
    EXPECT_NE(o.cls, ObjectClass::Vehicle) << "vehicle at " << o.x << ", " << o.y;
}

// Cars parked against white compound walls, as the hard profile draws them: the wall, a line a pixel or two wide
// at 0.5 m and four at 0.3 m, joins the cars along it into one foreground region that reaches past the window.
// Crops of generated tiles (`campscope generate --profile hard --seed 1`, kafr-lusin_2019-11-01.tif at x 806,
// y 938: two white cars, the wall's colour, with the wall showing only between and beyond them; the same at
// 0.3 m, kafr-lusin_2019-12-01.tif at x 1373, y 1592; `--seed 2`, kafr-lusin_2019-12-24.tif at x 386, y 812: two
// grey cars; at 0.7 m, kafr-lusin_2019-12-01.tif at x 195, y 640), with the truth's pixel positions.
TEST(Detect, FindsCarsParkedAgainstWalls) {
  struct Crop {
    const char* file;
    double gsd;
    std::vector<cv::Point2d> cars;
  };
  const Crop crops[] = {{"walled_white_cars_0.5m.png", 0.5, {{46.25, 38.34}, {44.30, 51.79}}},
                        {"walled_white_cars_0.3m.png", 0.3, {{46.85, 34.59}, {43.61, 57.00}}},
                        {"walled_cars_0.7m.png", 0.7, {{42.86, 39.44}, {46.05, 48.29}}},
                        {"walled_grey_cars_0.5m.png", 0.5, {{38.49, 41.94}, {48.68, 48.36}}}};
  for (const Crop& crop : crops) {
    const RgbBlock block = test_data_block(crop.file);
    ASSERT_GT(block.width, 0) << crop.file;
    const auto found = detect_objects(block, crop.gsd, DetectorParams{}, Backend::Cpu);
    // Without the wall's line taken off, none of the white cars is found (at 0.3 m, not without an opening as wide
    // as the wall and the line fitted to the pixels of the wall alone), nor the cars at 0.7 m; without the pale
    // strips taken off a region that reaches past the window, neither grey one.
    for (const cv::Point2d& car : crop.cars)
      EXPECT_TRUE(vehicle_found_near(found, car, crop.gsd)) << crop.file << ": car at " << car;
  }
}

// The tents detect_objects finds in a crop of a generated tile (tests/data), matched within 2 m to the truth's
// tents: a CSV of x,y pixel positions beside it whose first line says where the crop comes from. Only tents within
// `window` (pixels) count, so that one just outside the truth's window is no false one.
struct CropTents {
  std::size_t truth = 0;
  MatchStats stats;
};
CropTents match_crop_tents(const std::string& image, const std::string& truth_csv, double gsd,
                           const cv::Rect2d& window) {
  CropTents out;
  const RgbBlock block = test_data_block(image);
  std::ifstream csv(std::string(CAMPSCOPE_TEST_DATA_DIR) + "/" + truth_csv);
  std::string line;
  std::getline(csv, line);
  std::vector<testing::PlacedObject> tents;
  double x, y;
  char comma;
  while (csv >> x >> comma >> y) tents.push_back({ObjectClass::Tent, x, y});
  out.truth = tents.size();
  if (block.width == 0) return out;
  std::vector<DetectedObject> found_tents;
  for (const DetectedObject& o : detect_objects(block, gsd, DetectorParams{}, Backend::Cpu))
    if (o.cls == ObjectClass::Tent && window.contains({o.x, o.y})) found_tents.push_back(o);
  // Truth and detections in pixel coordinates: matched at one "metre" per pixel, within 2 m in pixels.
  out.stats = match(tents, found_tents, 1.0, 2.0 / gsd);
  return out;
}

// A block of tents packed a metre or two apart at 1 m, as the hard profile draws them: the blurred gaps join most
// tents into regions the region stage cannot cut apart. Without the rows completed from the tents found in them,
// 14 of the 45 tents are found.
TEST(Detect, FindsTheTentsOfAPackedBlockAt1m) {
  const CropTents crop =
      match_crop_tents("packed_tents_1m.png", "packed_tents_1m_truth.csv", 1.0, cv::Rect2d(0, 0, 1e9, 1e9));
  ASSERT_EQ(crop.truth, 45u);
  EXPECT_GE(crop.stats.matched_tents, 38);  // recall >= 0.84
  EXPECT_LE(crop.stats.spurious, 2);
}

// A block of covers of the soil's own colour in a cloud's shadow, below the contrast threshold, whose odd covers
// (white, blue) are found: the shadowed gaps between the covers give the lattice from them (complete_tent_rows).
// Without them 7 of the 43 tents of the window were found, with them 33.
TEST(Detect, FindsSoilColouredCoversFromTheOddCoversOfTheirBlock) {
  // The truth's window (x 58-188, y 62-192), a spacing in from its edges.
  const CropTents crop =
      match_crop_tents("soil_covers_0.7m.png", "soil_covers_0.7m_truth.csv", 0.7, cv::Rect2d(66, 70, 114, 114));
  ASSERT_EQ(crop.truth, 43u);
  EXPECT_GE(crop.stats.matched_tents, 30);
  EXPECT_LE(crop.stats.spurious, 2);
}

// Two blocks of blue tarpaulins packed a metre apart at 0.7 m, whose gaps the blur all but hides, beside odd pale
// covers: the lattice from the tents found goes on into the solid blue (complete_tent_rows). Without that, 16 of
// the 23 tents are found.
TEST(Detect, FindsTheTarpaulinsOfSolidBlueBlocks) {
  const CropTents crop = match_crop_tents("solid_tarpaulin_blocks_0.7m.png", "solid_tarpaulin_blocks_0.7m_truth.csv",
                                          0.7, cv::Rect2d(0, 0, 1e9, 1e9));
  ASSERT_EQ(crop.truth, 23u);
  EXPECT_GE(crop.stats.matched_tents, 18);
  EXPECT_LE(crop.stats.spurious, 2);
}

TEST(Detect, BlockSplitWithHaloGivesTheSameObjects) {
  const double gsd = 0.5;
  SceneBuilder scene = border_scene(gsd, 11);
  const RgbBlock whole = scene.finish();
  const DetectorParams params;
  const auto reference = detect_objects(whole, gsd, params, Backend::Cpu);

  std::vector<DetectedObject> stitched;
  for (const BlockWindow& w : plan_blocks(whole.width, whole.height, 77, detector_halo_px(params, gsd))) {
    RgbBlock block;
    block.x0 = w.x0;
    block.y0 = w.y0;
    block.width = w.width;
    block.height = w.height;
    for (int y = 0; y < w.height; ++y) {
      const std::size_t src = (static_cast<std::size_t>(w.y0 + y) * whole.width + w.x0);
      block.rgb.insert(block.rgb.end(), whole.rgb.begin() + src * 3, whole.rgb.begin() + (src + w.width) * 3);
      block.valid.insert(block.valid.end(), whole.valid.begin() + src, whole.valid.begin() + src + w.width);
    }
    for (const auto& o : detect_objects(block, gsd, params, Backend::Cpu))
      if (o.x >= w.core_x0 && o.y >= w.core_y0 && o.x < w.core_x0 + w.core_width && o.y < w.core_y0 + w.core_height)
        stitched.push_back(o);
  }
  std::sort(stitched.begin(), stitched.end(),
            [](const DetectedObject& a, const DetectedObject& b) { return a.y != b.y ? a.y < b.y : a.x < b.x; });
  ASSERT_EQ(stitched.size(), reference.size());
  for (std::size_t i = 0; i < reference.size(); ++i) {
    EXPECT_DOUBLE_EQ(stitched[i].x, reference[i].x);
    EXPECT_DOUBLE_EQ(stitched[i].y, reference[i].y);
    EXPECT_EQ(stitched[i].cls, reference[i].cls);
  }
}

RgbBlock random_block(int w, int h, std::uint64_t seed, bool with_nodata) {
  std::mt19937_64 rng(seed);
  RgbBlock block;
  block.width = w;
  block.height = h;
  block.rgb.resize(static_cast<std::size_t>(w) * h * 3);
  block.valid.resize(static_cast<std::size_t>(w) * h);
  for (auto& v : block.rgb) v = static_cast<std::uint8_t>(rng() & 0xff);
  for (auto& v : block.valid) v = with_nodata ? static_cast<std::uint8_t>((rng() % 7) != 0) : 1;
  return block;
}

TEST(Detect, AdversarialBlocksDoNotCrashOrInvent) {
  const DetectorParams params;
  // Uniform ground: nothing to find.
  RgbBlock flat = random_block(97, 61, 1, false);
  for (std::size_t i = 0; i < flat.rgb.size(); ++i) flat.rgb[i] = static_cast<std::uint8_t>(150 + i % 3);
  EXPECT_TRUE(detect_objects(flat, 0.5, params, Backend::Cpu).empty());
  // Everything nodata.
  RgbBlock empty = random_block(64, 33, 2, false);
  std::fill(empty.valid.begin(), empty.valid.end(), 0);
  EXPECT_TRUE(detect_objects(empty, 0.5, params, Backend::Cpu).empty());
  // Salt-and-pepper noise with holes: no object-sized regions exist.
  EXPECT_LE(detect_objects(random_block(129, 131, 3, true), 0.5, params, Backend::Cpu).size(), 2u);
  // Degenerate sizes.
  EXPECT_TRUE(detect_objects(random_block(1, 1, 4, false), 0.5, params, Backend::Cpu).empty());
  EXPECT_NO_THROW(detect_objects(random_block(3, 250, 5, true), 0.3, params, Backend::Cpu));
  // Mismatched buffers and a bad GSD are refused, not read out of bounds.
  RgbBlock broken = random_block(10, 10, 6, false);
  broken.rgb.pop_back();
  EXPECT_THROW(detect_objects(broken, 0.5, params, Backend::Cpu), std::invalid_argument);
  EXPECT_THROW(detect_objects(flat, 0.0, params, Backend::Cpu), std::invalid_argument);
}

TEST(Detect, SameResultsOnEveryThreadCount) {
  for (const double gsd : {0.5, 1.0}) {
    SceneBuilder scene = border_scene(gsd, 5);
    const RgbBlock block = scene.finish();
    std::vector<DetectedObject> first;
    for (const int threads : {1, 2, 3}) {
      const testing::ThreadCount count(threads);
      const auto objects = detect_objects(block, gsd, DetectorParams{}, Backend::Cpu);
      if (threads == 1) first = objects;
      ASSERT_EQ(objects.size(), first.size()) << gsd << " " << threads;
      for (std::size_t i = 0; i < objects.size(); ++i) {
        EXPECT_EQ(objects[i].x, first[i].x);
        EXPECT_EQ(objects[i].y, first[i].y);
        EXPECT_EQ(objects[i].cls, first[i].cls);
      }
    }
  }
}

// The candidates handed back for a vehicle appearance model: every vehicle the rules found, at its place, and no
// candidate of a tent nor of an object a completion pass put in; asking for them changes no object.
TEST(DetectObjects, OtherCandidatesAreEveryCandidateThatIsNoTent) {
  for (const double gsd : {0.3, 0.5, 0.7}) {
    SceneBuilder scene = border_scene(gsd, 3);
    RgbBlock block = scene.finish();
    block.x0 = 500;  // candidates come in tile coordinates
    block.y0 = 70;
    std::vector<CandidatePoint> candidates;
    const auto objects = detect_objects(block, gsd, DetectorParams{}, Backend::Cpu, &candidates);
    const auto plain = detect_objects(block, gsd, DetectorParams{}, Backend::Cpu);
    ASSERT_EQ(objects.size(), plain.size());
    for (std::size_t i = 0; i < objects.size(); ++i) EXPECT_EQ(objects[i].x, plain[i].x);
    ASSERT_FALSE(candidates.empty());
    int vehicles = 0;
    for (const DetectedObject& o : objects) {
      const auto at = [&](const CandidatePoint& c) { return c.x == o.x && c.y == o.y; };
      if (o.completed) {  // put in a queue or a tent row: no candidate of its own
        EXPECT_EQ(std::find_if(candidates.begin(), candidates.end(), at), candidates.end()) << "gsd " << gsd;
      } else if (o.cls == ObjectClass::Vehicle) {
        ++vehicles;
        // At its region's candidate (the one with its measurements), or nearer it than the widest vehicle's width:
        // moved to the mean of the vehicles it overlapped (merge_overlapping_vehicles).
        const double reach = DetectorParams{}.vehicle_max_width_m / gsd;
        const auto own = [&](const CandidatePoint& c) {
          return c.rule_vehicle && c.measured.length_m == o.measured.length_m &&
                 c.measured.width_m == o.measured.width_m && std::hypot(c.x - o.x, c.y - o.y) < reach;
        };
        EXPECT_NE(std::find_if(candidates.begin(), candidates.end(), own), candidates.end())
            << "gsd " << gsd << ": vehicle at " << o.x << "," << o.y;
      } else {
        EXPECT_EQ(std::find_if(candidates.begin(), candidates.end(), at), candidates.end()) << "gsd " << gsd;
      }
    }
    EXPECT_GT(vehicles, 0) << "gsd " << gsd;
    for (const CandidatePoint& c : candidates) {
      EXPECT_TRUE(c.x >= block.x0 && c.y >= block.y0 && c.x < block.x0 + block.width &&
                  c.y < block.y0 + block.height);
      if (!c.rule_vehicle) {
        EXPECT_EQ(c.x - std::floor(c.x), 0.5);  // a candidate's own pixel centre
      }
    }
  }
}

// A candidate's pixel may lie anywhere on an object the rules measured and did not take (here a pale frame, too
// large and too hollow for a vehicle, whose candidates lie on its sides): a vehicle the look finds there stands at
// the centre of the region measured, not at the pixel; where no region was measured, at the pixel.
TEST(DetectObjects, CandidatesOnAMeasuredRegionArePlacedAtItsCentre) {
  for (const double gsd : {0.3, 0.5}) {
    SceneBuilder scene(40.0, 30.0, gsd, 5);
    scene.rectangle(20.0, 15.0, 60.0, 40.0, 0.0, cv::Scalar(92, 90, 88));  // asphalt
    scene.rectangle(20.0, 15.0, 7.0, 3.0, 20.0, cv::Scalar(230, 230, 230));
    scene.rectangle(20.0, 15.0, 5.0, 1.4, 20.0, cv::Scalar(92, 90, 88));
    const RgbBlock block = scene.finish();
    std::vector<CandidatePoint> candidates;
    detect_objects(block, gsd, DetectorParams{}, Backend::Cpu, &candidates);
    int on_frame = 0;
    double farthest_m = 0.0;
    for (const CandidatePoint& c : candidates) {
      if (c.measured.length_m == 0.0f) {
        EXPECT_EQ(c.placed_x, c.x);
        EXPECT_EQ(c.placed_y, c.y);
        continue;
      }
      ++on_frame;
      EXPECT_FALSE(c.rule_vehicle);
      EXPECT_NEAR(c.placed_x * gsd, 20.0, 0.5) << "gsd " << gsd;
      EXPECT_NEAR(c.placed_y * gsd, 15.0, 0.5) << "gsd " << gsd;
      farthest_m = std::max(farthest_m, std::hypot(c.x * gsd - 20.0, c.y * gsd - 15.0));
    }
    EXPECT_GE(on_frame, 2) << "gsd " << gsd;
    EXPECT_GT(farthest_m, 2.0) << "gsd " << gsd << ": no candidate away from the frame's centre";
  }
}

class DetectCudaVsCpu : public ::testing::TestWithParam<std::tuple<double, std::uint64_t>> {};

TEST_P(DetectCudaVsCpu, IdenticalObjects) {
  if (!cuda_device_available()) GTEST_SKIP() << "no CUDA device";
  const auto [gsd, seed] = GetParam();
  SceneBuilder scene = border_scene(gsd, seed);
  RgbBlock block = scene.finish();
  // Holes of nodata, so the validity path is compared too.
  for (std::size_t i = 0; i < block.valid.size(); i += 997) block.valid[i] = 0;
  std::vector<CandidatePoint> cpu_candidates, gpu_candidates;
  const auto cpu = detect_objects(block, gsd, DetectorParams{}, Backend::Cpu, &cpu_candidates);
  const auto gpu = detect_objects(block, gsd, DetectorParams{}, Backend::Cuda, &gpu_candidates);
  // A vehicle appearance model scores these on the host, so equal lists give equal vehicles.
  ASSERT_EQ(cpu_candidates.size(), gpu_candidates.size());
  for (std::size_t i = 0; i < cpu_candidates.size(); ++i) {
    EXPECT_EQ(cpu_candidates[i].x, gpu_candidates[i].x);
    EXPECT_EQ(cpu_candidates[i].y, gpu_candidates[i].y);
    EXPECT_EQ(cpu_candidates[i].rule_vehicle, gpu_candidates[i].rule_vehicle);
    EXPECT_EQ(cpu_candidates[i].measured.length_m, gpu_candidates[i].measured.length_m);
    EXPECT_EQ(cpu_candidates[i].measured.contrast, gpu_candidates[i].measured.contrast);
    EXPECT_EQ(cpu_candidates[i].placed_x, gpu_candidates[i].placed_x);
    EXPECT_EQ(cpu_candidates[i].placed_y, gpu_candidates[i].placed_y);
  }
  const auto expect_same_objects = [](const std::vector<DetectedObject>& cpu, const std::vector<DetectedObject>& gpu) {
    ASSERT_EQ(cpu.size(), gpu.size());
    for (std::size_t i = 0; i < cpu.size(); ++i) {
      EXPECT_EQ(cpu[i].x, gpu[i].x);
      EXPECT_EQ(cpu[i].y, gpu[i].y);
      EXPECT_EQ(cpu[i].cls, gpu[i].cls);
      EXPECT_EQ(cpu[i].score, gpu[i].score);
    }
  };
  expect_same_objects(cpu, gpu);
  const RgbBlock noise = random_block(301, 173, seed, true);
  EXPECT_EQ(detect_objects(noise, gsd, DetectorParams{}, Backend::Cpu).size(),
            detect_objects(noise, gsd, DetectorParams{}, Backend::Cuda).size());
  // A packed block, whose inner tents are found in further rounds from the places their neighbours name.
  SceneBuilder packed(60.0, 40.0, gsd, seed);
  for (int row = 0; row < 4; ++row)
    for (int column = 0; column < 9; ++column)
      packed.tent(6.0 + column * 5.4, 6.0 + row * 5.4, 4.4, 3.0, cv::Scalar(185, 168, 160));
  const RgbBlock packed_block = packed.finish();
  expect_same_objects(detect_objects(packed_block, gsd, DetectorParams{}, Backend::Cpu),
                      detect_objects(packed_block, gsd, DetectorParams{}, Backend::Cuda));
  // Cars taken whole with their glass and shadow, white cars beside white covers, and (at their own 0.5 m) trucks
  // whose white cabs are thin strips.
  std::vector<RgbBlock> cars = {glass_cut_cars_scene(gsd, seed).finish(),
                                white_cars_beside_white_tents_scene(gsd, seed).finish()};
  if (gsd == 0.5)
    for (const char* crop : {"trucks_queued_0.5m.png", "truck_white_cab_0.5m.png", "walled_white_cars_0.5m.png",
                             "walled_grey_cars_0.5m.png", "queue_filling_its_road_0.5m.png"})
      cars.push_back(test_data_block(crop));
  if (gsd == 0.3) cars.push_back(test_data_block("walled_white_cars_0.3m.png"));
  if (gsd == 0.7) cars.push_back(test_data_block("walled_cars_0.7m.png"));
  for (const RgbBlock& block : cars)
    expect_same_objects(detect_objects(block, gsd, DetectorParams{}, Backend::Cpu),
                        detect_objects(block, gsd, DetectorParams{}, Backend::Cuda));
}

INSTANTIATE_TEST_SUITE_P(Scenes, DetectCudaVsCpu,
                         ::testing::Combine(::testing::Values(0.3, 0.5, 0.7), ::testing::Values(1u, 2u)));

TEST(SuppressDuplicates, KeepsHighestScoreWithinRadius) {
  const std::vector<ScoredPoint> points = {{0, 0, 0.5f}, {1, 0, 0.9f}, {5, 0, 0.1f}, {5.5, 0, 0.1f}, {20, 20, 1.0f}};
  const auto kept = suppress_duplicates(points, 1.5);
  EXPECT_EQ(kept, (std::vector<std::size_t>{1, 2, 4}));
  EXPECT_TRUE(suppress_duplicates({}, 1.0).empty());
}

// Against the definition, on random layouts: a vehicle goes exactly when some tent's centre is nearer than half
// that tent's measured width. Tents up to 11 m wide reach past the neighbouring cells of the lookup grid.
// Random layouts of tents (2-11 m wide) and vehicles over a square `extent_m` wide, at three pixel sizes: `drop`
// must remove exactly the vehicles that `dropped` (the definition) names, and keep the rest in order.
void expect_drops_exactly(const std::function<void(std::vector<DetectedObject>&, double)>& drop,
                          const std::function<bool(const DetectedObject&, const std::vector<DetectedObject>&, double)>&
                              dropped,
                          double extent_m) {
  std::mt19937 rng(21);
  std::uniform_real_distribution<double> position(0.0, extent_m), tent_width(2.0, 11.0);
  for (const double gsd : {0.3, 0.5, 1.0}) {
    std::vector<DetectedObject> objects;
    for (int i = 0; i < 600; ++i) {
      DetectedObject o;
      o.x = position(rng) / gsd;
      o.y = position(rng) / gsd;
      o.cls = i % 3 == 0 ? ObjectClass::Tent : ObjectClass::Vehicle;
      o.measured.width_m = static_cast<float>(o.cls == ObjectClass::Tent ? tent_width(rng) : 1.8);
      objects.push_back(o);
    }
    std::vector<DetectedObject> expected;
    for (const DetectedObject& o : objects)
      if (o.cls != ObjectClass::Vehicle || !dropped(o, objects, gsd)) expected.push_back(o);
    ASSERT_LT(expected.size(), objects.size()) << "the layout must have vehicles to drop";
    std::vector<DetectedObject> kept = objects;
    drop(kept, gsd);
    ASSERT_EQ(kept.size(), expected.size()) << "gsd " << gsd;
    for (std::size_t i = 0; i < kept.size(); ++i) {
      EXPECT_EQ(kept[i].x, expected[i].x) << "gsd " << gsd << ", object " << i;
      EXPECT_EQ(kept[i].y, expected[i].y) << "gsd " << gsd << ", object " << i;
      EXPECT_EQ(kept[i].cls, expected[i].cls) << "gsd " << gsd << ", object " << i;
    }
  }
}

TEST(DropVehiclesOnTents, DropsExactlyTheVehiclesCentredOnATent) {
  expect_drops_exactly(
      drop_vehicles_on_tents,
      [](const DetectedObject& v, const std::vector<DetectedObject>& objects, double gsd) {
        return std::any_of(objects.begin(), objects.end(), [&](const DetectedObject& t) {
          return t.cls == ObjectClass::Tent && std::hypot(t.x - v.x, t.y - v.y) * gsd < t.measured.width_m / 2.0;
        });
      },
      400.0);
}

TEST(DropVehiclesOnTents, KeepsAVehicleParkedBesideATent) {
  const double gsd = 0.5;
  DetectedObject tent, beside, strip;
  tent.x = 100.0;
  tent.y = 100.0;
  tent.measured.width_m = 5.0;
  beside = tent;
  beside.cls = ObjectClass::Vehicle;
  beside.x += (2.5 + 0.9) / gsd;  // half the tent plus half a car
  strip = beside;
  strip.x = tent.x + 1.2 / gsd;
  std::vector<DetectedObject> objects = {tent, beside, strip};
  drop_vehicles_on_tents(objects, gsd);
  ASSERT_EQ(objects.size(), 2u);
  EXPECT_EQ(objects[1].x, beside.x);
}

// Found vehicles as (x, y) in metres, width and score, at 0.5 m: which stay, in order, and where.
const double kShortestVehicleM = DetectorParams{}.vehicle_min_length_m;

DetectedObject vehicle_at(double x_m, double y_m, double width_m, float score, double gsd) {
  DetectedObject o;
  o.cls = ObjectClass::Vehicle;
  o.x = x_m / gsd;
  o.y = y_m / gsd;
  o.score = score;
  o.measured.width_m = static_cast<float>(width_m);
  o.measured.length_m = 4.5f;
  return o;
}

// A truck's cab and cargo found 2 m apart (widths 2.4 and 2.5) become one vehicle between them with the
// higher-scoring one's measurements; three cars parked side by side at a 2.4 m pitch (1.8 m wide) all stay; of a
// chain side by side 1.6 m apart the best takes its neighbour, and the third, 3.2 m from it, stays though it
// overlaps the neighbour taken; a tent overlapping a vehicle is not this pass's (drop_vehicles_on_tents); equal scores: the
// lower index takes the other; a vehicle a queue pass put in, scoring higher than the found one it overlaps, goes
// and the found one keeps its flag.
TEST(MergeOverlappingVehicles, MergesVehiclesOverlappingOnTheGroundOnly) {
  const double gsd = 0.5;
  DetectedObject tent = vehicle_at(60.0, 60.0, 4.0, 0.9f, gsd);
  tent.cls = ObjectClass::Tent;
  DetectedObject cargo = vehicle_at(10.0, 10.0, 2.5, 0.6f, gsd);
  cargo.measured.length_m = 6.5f;
  std::vector<DetectedObject> objects = {
      vehicle_at(12.0, 10.0, 2.4, 0.8f, gsd),  // 0: the cab, scoring higher than its cargo
      cargo,                                  // 1
      vehicle_at(30.0, 10.0, 1.8, 0.7f, gsd),  // 2-4: parked side by side
      vehicle_at(30.0, 12.4, 1.8, 0.9f, gsd),
      vehicle_at(30.0, 14.8, 1.8, 0.7f, gsd),
      vehicle_at(50.0, 30.0, 2.0, 0.9f, gsd),  // 5-7: a chain
      vehicle_at(50.0, 31.6, 2.0, 0.8f, gsd),
      vehicle_at(50.0, 33.2, 2.0, 0.7f, gsd),
      tent,                                   // 8
      vehicle_at(61.0, 60.0, 1.8, 0.5f, gsd),  // 9: on the tent
      vehicle_at(80.0, 80.0, 2.0, 0.5f, gsd),  // 10-11: equal scores
      vehicle_at(81.0, 80.0, 2.0, 0.5f, gsd),
      vehicle_at(100.0, 80.0, 2.0, 0.9f, gsd),  // 12-13: put in, and found
      vehicle_at(101.5, 80.0, 2.0, 0.6f, gsd)};
  objects[12].completed = true;
  merge_overlapping_vehicles(objects, gsd, kShortestVehicleM);
  ASSERT_EQ(objects.size(), 10u);
  EXPECT_DOUBLE_EQ(objects[0].x * gsd, 11.0);
  EXPECT_DOUBLE_EQ(objects[0].y * gsd, 10.0);
  EXPECT_FLOAT_EQ(objects[0].score, 0.8f);
  EXPECT_FLOAT_EQ(objects[0].measured.length_m, 4.5f);
  for (int k = 0; k < 3; ++k) EXPECT_DOUBLE_EQ(objects[1 + k].y * gsd, 10.0 + 2.4 * k) << "parked car " << k;
  EXPECT_DOUBLE_EQ(objects[4].y * gsd, 30.8);  // the chain's best (30.0) with its neighbour (31.6)
  EXPECT_DOUBLE_EQ(objects[5].y * gsd, 33.2);
  EXPECT_EQ(objects[6].cls, ObjectClass::Tent);
  EXPECT_DOUBLE_EQ(objects[7].x * gsd, 61.0);
  EXPECT_DOUBLE_EQ(objects[8].x * gsd, 80.5);
  EXPECT_DOUBLE_EQ(objects[9].x * gsd, 100.75);
  EXPECT_FLOAT_EQ(objects[9].score, 0.6f);
  EXPECT_FALSE(objects[9].completed);
  std::vector<DetectedObject> none;
  merge_overlapping_vehicles(none, gsd, kShortestVehicleM);
  EXPECT_TRUE(none.empty());
}

// Along a lane at 30 degrees to the pixel rows: a truck grown whole (10 m x 2.8 m) and a car-sized piece of it grown
// alone, 3.5 m along from its centre, farther apart than their half widths summed, are one vehicle between them; so
// are a piece 1.5 m to the side of a whole truck's axis and 2 m along (inside its sides with the blur's slack) and
// the truck, and a car with a region 5.8 m long whose centre is 2.6 m along the car's axis and 0.3 m across it (not
// inside either, but nearer than a lane's next vehicle can be). A car whose centre is 4.4 m along a 9.2 m region (a
// car grown together with its queue neighbour) is not inside it by the 0.5 m margin and stays, as do a car 2.8 m
// across from another in the next lane, the cars of a queue nose to tail (4.5 m long, 5.5 m apart) and a car
// parked across the lane's axis 3.3 m along from another.
TEST(MergeOverlappingVehicles, MergesAVehicleWhoseCentreIsInsideAnother) {
  const double gsd = 0.4;
  const double ux = std::cos(M_PI / 6.0), uy = std::sin(M_PI / 6.0);
  // A vehicle at (along, across) metres from `origin` on the lane, its axis the lane's.
  const auto on_lane = [&](double ox, double oy, double along, double across, double length_m, double width_m,
                           float score) {
    DetectedObject o = vehicle_at(ox + along * ux - across * uy, oy + along * uy + across * ux, width_m, score, gsd);
    o.measured.length_m = static_cast<float>(length_m);
    o.measured.axis[0] = static_cast<float>(ux);
    o.measured.axis[1] = static_cast<float>(uy);
    return o;
  };
  std::vector<DetectedObject> objects = {
      on_lane(20, 20, 0.0, 0.0, 10.0, 2.8, 0.9f),    // 0: a truck grown whole
      on_lane(20, 20, 3.5, 0.0, 4.0, 2.0, 0.6f),     // 1: its cab grown alone
      on_lane(80, 20, 0.0, 0.0, 10.0, 2.8, 0.5f),    // 2: another truck, scoring lower than
      on_lane(80, 20, 2.0, 1.5, 4.5, 1.8, 0.8f),     // 3: a piece of it beside its axis
      on_lane(20, 80, 0.0, 0.0, 9.2, 3.0, 0.9f),     // 4: a car grown with its neighbour
      on_lane(20, 80, 4.4, 0.0, 4.4, 1.9, 0.6f),     // 5: the neighbour, grown alone too
      on_lane(80, 80, 0.0, 0.0, 4.5, 1.8, 0.9f),     // 6: a car, and
      on_lane(80, 80, 0.0, 2.8, 4.5, 1.8, 0.8f),     // 7: one in the next lane
      on_lane(140, 80, 0.0, 0.0, 4.5, 1.8, 0.9f),    // 8-10: a queue
      on_lane(140, 80, 5.5, 0.0, 4.5, 1.8, 0.8f),
      on_lane(140, 80, 11.0, 0.0, 4.5, 1.8, 0.7f),
      on_lane(20, 140, 0.0, 0.0, 4.5, 1.8, 0.9f),    // 11: a car, and
      on_lane(20, 140, 2.6, 0.3, 5.8, 2.2, 0.7f),    // 12: a region behind it
      on_lane(80, 140, 0.0, 0.0, 4.5, 1.8, 0.9f),    // 13: a car, and
      on_lane(80, 140, 3.3, 0.0, 4.5, 1.8, 0.8f)};  // 14: one across the lane
  std::swap(objects[14].measured.axis[0], objects[14].measured.axis[1]);
  objects[14].measured.axis[0] = -objects[14].measured.axis[0];
  const std::vector<DetectedObject> before = objects;
  merge_overlapping_vehicles(objects, gsd, kShortestVehicleM);
  ASSERT_EQ(objects.size(), 12u);
  // Each merged pair at the mean of its centres, with the higher scorer's measurements: the truck's, then the piece's.
  const auto expect_at_mean_of = [&](const DetectedObject& merged, const DetectedObject& a, const DetectedObject& b,
                                     const DetectedObject& scorer) {
    EXPECT_NEAR(merged.x, 0.5 * (a.x + b.x), 1e-9);
    EXPECT_NEAR(merged.y, 0.5 * (a.y + b.y), 1e-9);
    EXPECT_FLOAT_EQ(merged.score, scorer.score);
    EXPECT_FLOAT_EQ(merged.measured.length_m, scorer.measured.length_m);
  };
  expect_at_mean_of(objects[0], before[0], before[1], before[0]);
  expect_at_mean_of(objects[1], before[2], before[3], before[3]);
  expect_at_mean_of(objects[9], before[11], before[12], before[11]);
  for (const std::size_t k : {2, 3, 4, 5, 6, 7, 8, 10, 11}) {
    const std::size_t was = k < 9 ? k + 2 : k + 3;
    EXPECT_DOUBLE_EQ(objects[k].x, before[was].x) << "vehicle " << was << " stays where it was";
    EXPECT_DOUBLE_EQ(objects[k].y, before[was].y) << "vehicle " << was << " stays where it was";
  }
}

// A block (tile offset 300, 200) whose right part, x >= 60, is not imaged: a 5 m vehicle 2 m from that edge goes, one
// 3 m from it stays (half its length away is imaged), as does a tent on the edge and a vehicle at the block's own
// border, where the halo, not nodata, ends what is read.
TEST(DropVehiclesCutByUnimagedPixels, DropsVehiclesReachingNodataOnly) {
  const double gsd = 0.5;
  RgbBlock block;
  block.x0 = 300;
  block.y0 = 200;
  block.width = 80;
  block.height = 50;
  block.rgb.assign(static_cast<std::size_t>(block.width) * block.height * 3, 120);
  block.valid.assign(static_cast<std::size_t>(block.width) * block.height, 1);
  for (int y = 0; y < block.height; ++y)
    for (int x = 60; x < block.width; ++x) block.valid[static_cast<std::size_t>(y) * block.width + x] = 0;
  const auto at = [&](ObjectClass cls, double x_px, double y_px) {
    DetectedObject o;
    o.cls = cls;
    o.x = block.x0 + x_px;
    o.y = block.y0 + y_px;
    o.measured.length_m = 5.0f;
    o.measured.width_m = 2.0f;
    return o;
  };
  std::vector<DetectedObject> objects = {at(ObjectClass::Vehicle, 56.0, 25.0), at(ObjectClass::Vehicle, 54.0, 25.0),
                                         at(ObjectClass::Tent, 59.0, 10.0), at(ObjectClass::Vehicle, 1.0, 1.0)};
  drop_vehicles_cut_by_unimaged_pixels(block, objects, gsd);
  ASSERT_EQ(objects.size(), 3u);
  EXPECT_DOUBLE_EQ(objects[0].x, block.x0 + 54.0);
  EXPECT_EQ(objects[1].cls, ObjectClass::Tent);
  EXPECT_DOUBLE_EQ(objects[2].x, block.x0 + 1.0);
}

// Tents dense enough that some vehicles have three or more within 6 m, some two (a camp lane's).
TEST(DropVehiclesInsideTentBlocks, DropsExactlyTheVehiclesWithThreeTentsWithinSixMetres) {
  expect_drops_exactly(
      drop_vehicles_inside_tent_blocks,
      [](const DetectedObject& v, const std::vector<DetectedObject>& objects, double gsd) {
        return std::count_if(objects.begin(), objects.end(), [&](const DetectedObject& t) {
                 return t.cls == ObjectClass::Tent && std::hypot(t.x - v.x, t.y - v.y) * gsd <= 6.0;
               }) >= 3;
      },
      150.0);
}

// A strip between the tents of a packed block goes; a car in a 4 m lane between two rows of 4 m tents, 2 m apart,
// has two tents within 6 m and stays.
TEST(DropVehiclesInsideTentBlocks, KeepsACarInACampLane) {
  const double gsd = 0.5;
  std::vector<DetectedObject> objects;
  const auto add = [&](ObjectClass cls, double x_m, double y_m) {
    DetectedObject o;
    o.cls = cls;
    o.x = x_m / gsd;
    o.y = y_m / gsd;
    o.measured.width_m = cls == ObjectClass::Tent ? 4.0f : 1.8f;
    objects.push_back(o);
  };
  for (const double y : {10.0, 18.0})  // the rows' centres: a 4 m lane between them
    for (int k = 0; k < 6; ++k) add(ObjectClass::Tent, 10.0 + 6.0 * k, y);
  add(ObjectClass::Vehicle, 22.0, 14.0);  // in the lane beside a tent of each row
  for (int row = 0; row < 3; ++row)
    for (int k = 0; k < 3; ++k) add(ObjectClass::Tent, 80.0 + 5.5 * k, 10.0 + 5.5 * row);
  add(ObjectClass::Vehicle, 82.75, 12.75);  // in the gaps of a 3 x 3 block, tents 1.5 m apart
  drop_vehicles_inside_tent_blocks(objects, gsd);
  ASSERT_EQ(std::count_if(objects.begin(), objects.end(),
                          [](const DetectedObject& o) { return o.cls == ObjectClass::Vehicle; }),
            1);
  EXPECT_EQ(objects[12].cls, ObjectClass::Vehicle);
  EXPECT_DOUBLE_EQ(objects[12].x, 22.0 / gsd);
}

}  // namespace
}  // namespace campscope

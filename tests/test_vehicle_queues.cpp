#include <gtest/gtest.h>

#include <cmath>
#include <opencv2/core.hpp>
#include <string>
#include <tuple>
#include <vector>

#include "campscope/detect.h"
#include "detect_impl.h"
#include "scene_fixture.h"
#include "vehicle_queues.h"

namespace campscope {
namespace {

using testing::SceneBuilder;

constexpr int kSoil[3] = {170, 155, 130};  // SceneBuilder's ground, RGB
const cv::Scalar kAsphalt(95, 92, 90);      // BGR

detect::PixelParams params_on_soil(double gsd) {
  detect::PixelParams params = detect::to_pixel_params(DetectorParams{}, gsd);
  for (int c = 0; c < 3; ++c) params.block_ground[c] = kSoil[c];
  return params;
}

struct Drawn {
  cv::Point2d centre;  // metres
  double length_m, width_m;
  cv::Scalar bgr;
};

// A vehicle the region stage found where one was drawn (its ground unmeasured).
DetectedObject found_vehicle(const Drawn& v, double gsd) {
  return testing::found_object(ObjectClass::Vehicle, v.centre.x, v.centre.y, v.length_m, v.width_m, v.bgr, cv::Scalar(),
                               gsd);
}

// The objects put in besides `found` match the drawn vehicles not found, each within `radius_m`, and nothing else.
void expect_put_in(const std::vector<Drawn>& missing, const std::vector<DetectedObject>& objects, std::size_t found,
                   double gsd, const std::string& what) {
  std::vector<testing::PlacedObject> truth;
  for (const Drawn& v : missing)
    truth.push_back({ObjectClass::Vehicle, v.centre.x + 0.5 * gsd, v.centre.y + 0.5 * gsd});
  const std::vector<DetectedObject> put(objects.begin() + static_cast<std::ptrdiff_t>(found), objects.end());
  for (const DetectedObject& o : put) {
    EXPECT_EQ(o.cls, ObjectClass::Vehicle) << what;
    EXPECT_TRUE(o.completed) << what;
  }
  const testing::MatchStats stats = testing::match(truth, put, gsd, 1.5);
  EXPECT_EQ(stats.missed, 0) << what;
  EXPECT_EQ(stats.spurious, 0) << what;
}

// A queue nose to tail in one lane of an asphalt road (cars, vans and a truck of several paints, their windscreens
// drawn, 1.8-2.1 m gaps: narrower ones blur into the paints at 0.5 m, a known limit), the road turned by the angle,
// at 0.3-0.5 m: two vehicles next to each other in the middle of it are found. The rest, before and after them, are
// put in at their centres, and nothing on the open road past the queue's ends.
class VehicleQueue : public ::testing::TestWithParam<std::tuple<double, double, int>> {};

TEST_P(VehicleQueue, CompletesTheQueueFromTheVehiclesFoundInIt) {
  const auto [gsd, angle, seed] = GetParam();
  SceneBuilder scene(71.0, 59.0, gsd, static_cast<std::uint64_t>(seed));
  const double rad = angle * CV_PI / 180.0;
  const cv::Point2d along(std::cos(rad), std::sin(rad)), across(-along.y, along.x);
  const cv::Point2d middle(35.5, 29.5);
  scene.rectangle(middle.x, middle.y, 90.0, 7.0, angle, kAsphalt);
  struct Kind {
    double length, width, gap_after;
    cv::Scalar bgr;
  };
  const std::vector<Kind> kinds = {{4.5, 1.8, 2.0, cv::Scalar(232, 236, 236)}, {5.3, 2.0, 1.8, cv::Scalar(30, 32, 165)},
                                   {4.5, 1.8, 2.0, cv::Scalar(138, 56, 36)},   {9.0, 2.5, 1.9, cv::Scalar(216, 222, 222)},
                                   {4.5, 1.8, 2.1, cv::Scalar(193, 189, 186)}, {5.3, 2.0, 0.0, cv::Scalar(46, 72, 38)}};
  std::vector<Drawn> queue;
  double s = -21.0;
  for (const Kind& k : kinds) {
    const cv::Point2d centre = middle + along * (s + k.length / 2.0) + across * 1.75;
    scene.car(centre.x, centre.y, angle, k.bgr, k.length, k.width);
    queue.push_back({centre, k.length, k.width, k.bgr});
    s += k.length + k.gap_after;
  }
  const RgbBlock block = scene.finish();
  const std::string where = "gsd " + std::to_string(gsd) + " angle " + std::to_string(angle);
  std::vector<DetectedObject> objects = {found_vehicle(queue[1], gsd), found_vehicle(queue[2], gsd)};
  detect::complete_vehicle_queues(block, params_on_soil(gsd), objects);
  expect_put_in({queue[0], queue[3], queue[4], queue[5]}, objects, 2, gsd, where + ", two found");
  // One found vehicle gives the lane by its own sides, a few degrees off at the finest pixels: the vehicles on
  // either side of it are put in, and whatever else is put in is a drawn vehicle.
  objects = {found_vehicle(queue[2], gsd)};
  detect::complete_vehicle_queues(block, params_on_soil(gsd), objects);
  const std::vector<DetectedObject> put(objects.begin() + 1, objects.end());
  std::vector<testing::PlacedObject> others;
  for (std::size_t k = 0; k < queue.size(); ++k)
    if (k != 2) others.push_back({ObjectClass::Vehicle, queue[k].centre.x + 0.5 * gsd, queue[k].centre.y + 0.5 * gsd});
  EXPECT_EQ(testing::match(others, put, gsd, 1.5).spurious, 0) << where << ", one found";
  for (const std::size_t beside : {1, 3}) {
    const std::vector<testing::PlacedObject> neighbour = {
        {ObjectClass::Vehicle, queue[beside].centre.x + 0.5 * gsd, queue[beside].centre.y + 0.5 * gsd}};
    EXPECT_EQ(testing::match(neighbour, put, gsd, 1.5).matched_vehicles, 1) << where << ", one found, vehicle " << beside;
  }
}

INSTANTIATE_TEST_SUITE_P(GsdAndAngle, VehicleQueue,
                         ::testing::Values(std::make_tuple(0.5, 0.0, 1), std::make_tuple(0.5, 33.0, 2),
                                           std::make_tuple(0.3, 62.0, 3), std::make_tuple(0.4, 90.0, 4),
                                           std::make_tuple(0.5, 147.0, 5)));

// The same line through things that are no queue: a row of tents 4 m wide on soil, two of them taken for vehicles
// (wider than any vehicle across the row), and two cars 6 m apart on a road with nothing else on it (road past
// both ends). Nothing is put in.
TEST(VehicleQueue, PutsNothingAlongTentRowsOrAnEmptyRoad) {
  constexpr double gsd = 0.5;
  SceneBuilder scene(71.0, 59.0, gsd, 7);
  std::vector<Drawn> tents;
  for (int k = 0; k < 6; ++k) {
    const cv::Point2d centre(8.0 + 5.5 * k, 12.0);
    scene.tent(centre.x, centre.y, 4.0, 0.0, cv::Scalar(222, 230, 234));
    tents.push_back({centre, 4.0, 4.0, cv::Scalar(222, 230, 234)});
  }
  scene.rectangle(35.5, 42.0, 90.0, 7.0, 0.0, kAsphalt);
  const cv::Scalar blue(138, 56, 36);
  const std::vector<Drawn> cars = {{{30.0, 43.75}, 4.5, 1.8, blue}, {{36.0, 43.75}, 4.5, 1.8, blue}};
  for (const Drawn& c : cars) scene.car(c.centre.x, c.centre.y, 0.0, c.bgr);
  const RgbBlock block = scene.finish();
  std::vector<DetectedObject> objects = {found_vehicle(tents[2], gsd), found_vehicle(tents[3], gsd),
                                         found_vehicle(cars[0], gsd), found_vehicle(cars[1], gsd)};
  detect::complete_vehicle_queues(block, params_on_soil(gsd), objects);
  EXPECT_EQ(objects.size(), 4u);
}

// A truck found by its cargo alone (5.8 x 2.5 m, blue), its white cab (2.2 m) 0.3 m ahead of it, in a queue of
// cars 1.8 m apart at 0.5 m: the cab lies between the cargo's measured front and the road, and the cars on either
// side are put in.
TEST(VehicleQueue, WalksOnFromATruckFoundByItsCargo) {
  constexpr double gsd = 0.5;
  SceneBuilder scene(71.0, 59.0, gsd, 13);
  scene.rectangle(35.5, 30.0, 90.0, 7.0, 0.0, kAsphalt);
  const cv::Scalar red(30, 32, 165), blue(138, 56, 36), white(216, 222, 222);
  const std::vector<Drawn> cars = {{{21.0, 31.75}, 4.5, 1.8, red}, {{37.4, 31.75}, 4.5, 1.8, red}};
  for (const Drawn& c : cars) scene.car(c.centre.x, c.centre.y, 0.0, c.bgr);
  const Drawn cargo{{27.95, 31.75}, 5.8, 2.5, blue};  // from 25.05 (1.8 m ahead of the first car) to 30.85 m
  scene.rectangle(cargo.centre.x, cargo.centre.y, cargo.length_m, cargo.width_m, 0.0, blue);
  scene.rectangle(32.25, 31.75, 2.2, 2.4, 0.0, white);  // the cab, 0.3 m on: to 33.35 m, 1.8 m from the last car
  const RgbBlock block = scene.finish();
  std::vector<DetectedObject> objects = {found_vehicle(cargo, gsd)};
  detect::complete_vehicle_queues(block, params_on_soil(gsd), objects);
  expect_put_in(cars, objects, 1, gsd, "truck found by its cargo");
}

// A truck found by the paler half of its cargo has its centre 0.8 m off its lane's axis, and so has the line
// walked from it: the vehicles put on either side of it (trucks 2.5 m wide, cars 1.8 m) are put at their own
// middles across the lane, within a quarter of a metre, not 0.8 m off as the line is.
TEST(VehicleQueue, PutsVehiclesInTheMiddleOfTheirLane) {
  constexpr double gsd = 0.5, lane_axis_y = 31.75, off_axis_m = 0.8;
  SceneBuilder scene(71.0, 59.0, gsd, 17);
  scene.rectangle(35.5, 30.0, 90.0, 7.0, 0.0, kAsphalt);
  const cv::Scalar red(30, 32, 165), blue(138, 56, 36), green(46, 72, 38);
  const std::vector<Drawn> queue = {{{8.75, lane_axis_y}, 4.5, 1.8, red},  {{17.5, lane_axis_y}, 9.0, 2.5, blue},
                                    {{28.5, lane_axis_y}, 9.0, 2.5, green}, {{39.5, lane_axis_y}, 9.0, 2.5, blue},
                                    {{48.25, lane_axis_y}, 4.5, 1.8, red}};
  for (const Drawn& v : queue) scene.rectangle(v.centre.x, v.centre.y, v.length_m, v.width_m, 0.0, v.bgr);
  const RgbBlock block = scene.finish();
  Drawn found_half = queue[2];
  found_half.centre.y -= off_axis_m;
  std::vector<DetectedObject> objects = {found_vehicle(found_half, gsd)};
  detect::complete_vehicle_queues(block, params_on_soil(gsd), objects);
  expect_put_in({queue[0], queue[1], queue[3], queue[4]}, objects, 1, gsd, "queue walked off its axis");
  for (std::size_t k = 1; k < objects.size(); ++k)
    EXPECT_NEAR((objects[k].y - 0.5) * gsd, lane_axis_y, 0.25) << "vehicle put at x " << objects[k].x * gsd << " m";
}

// A truck whose cargo is the road's colour shows only its cab: with the glass and the blurred gap behind it, a box
// of paint about 3.2 m long, which the line measures 3.5 m, short of the shortest vehicle (with a region's 0.7 m of
// slack it was put in). Two cars found ahead of it in the lane, 1.8 m apart, put nothing in for it.
TEST(VehicleQueue, PutsNoVehicleShorterThanTheShortestForACab) {
  constexpr double gsd = 0.5;
  SceneBuilder scene(71.0, 59.0, gsd, 11);
  scene.rectangle(35.5, 30.0, 90.0, 7.0, 0.0, kAsphalt);
  const cv::Scalar blue(138, 56, 36);
  const std::vector<Drawn> cars = {{{20.0, 31.75}, 4.5, 1.8, blue}, {{26.3, 31.75}, 4.5, 1.8, blue}};
  for (const Drawn& c : cars) scene.car(c.centre.x, c.centre.y, 0.0, c.bgr);
  scene.rectangle(31.95, 31.75, 3.2, 2.4, 0.0, cv::Scalar(216, 222, 222));
  const RgbBlock block = scene.finish();
  std::vector<DetectedObject> objects = {found_vehicle(cars[0], gsd), found_vehicle(cars[1], gsd)};
  detect::complete_vehicle_queues(block, params_on_soil(gsd), objects);
  EXPECT_EQ(objects.size(), 2u);
}

}  // namespace
}  // namespace campscope

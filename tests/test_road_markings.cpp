#include <gtest/gtest.h>

#include <cmath>
#include <opencv2/core.hpp>
#include <string>
#include <tuple>
#include <vector>

#include "campscope/detect.h"
#include "detect_impl.h"
#include "road_markings.h"
#include "scene_fixture.h"

namespace campscope {
namespace {

using testing::SceneBuilder;

const cv::Scalar kAsphalt(95, 92, 90);  // BGR
// A centre-line dash (0.15 m of white paint) as 0.7-1 m pixels and haze show it: a pale grey stripe a pixel wide.
const cv::Scalar kDashGrey(150, 150, 152);

// A vehicle the region stage found where SceneBuilder drew one.
DetectedObject found_vehicle(double x_m, double y_m, double length_m, double width_m, const cv::Scalar& bgr,
                             const cv::Scalar& ground_bgr, double gsd) {
  return testing::found_object(ObjectClass::Vehicle, x_m, y_m, length_m, width_m, bgr, ground_bgr, gsd);
}

struct Kept {
  bool dash, lone_car, queued_car;
};

// A straight asphalt road 7 m wide, turned by the angle, its centre line dashed (3 m dashes every 9 m, each a pixel
// wide); a grey car of the dashes' own colour alone in one lane, a queue of three cars 1.5 m apart in the other.
// Found as vehicles: a dash, the lone car and the middle car of the queue. Only the dash is dropped.
Kept drop_on_a_dashed_road(double gsd, double angle, std::uint64_t seed) {
  SceneBuilder scene(90.0, 70.0, gsd, seed);
  const double rad = angle * CV_PI / 180.0;
  const cv::Point2d along(std::cos(rad), std::sin(rad)), across(-along.y, along.x), middle(45.0, 35.0);
  scene.rectangle(middle.x, middle.y, 120.0, 7.0, angle, kAsphalt);
  for (int k = -6; k <= 6; ++k) {
    const cv::Point2d dash = middle + along * (9.0 * k);
    scene.rectangle(dash.x, dash.y, 3.0, gsd, angle, kDashGrey);
  }
  const cv::Point2d lone = middle + along * 4.5 + across * 1.75;
  scene.car(lone.x, lone.y, angle, kDashGrey);
  const cv::Scalar blue(138, 56, 36);
  for (int k = -1; k <= 1; ++k) {
    const cv::Point2d car = middle + along * (6.0 * k - 10.0) - across * 1.75;
    scene.car(car.x, car.y, angle, blue);
  }
  const RgbBlock block = scene.finish();
  const cv::Point2d dash = middle + along * 18.0, queued = middle - along * 10.0 - across * 1.75;
  std::vector<DetectedObject> objects = {found_vehicle(dash.x, dash.y, 4.0, 1.6, kDashGrey, kAsphalt, gsd),
                                         found_vehicle(lone.x, lone.y, 4.5, 1.8, kDashGrey, kAsphalt, gsd),
                                         found_vehicle(queued.x, queued.y, 4.5, 1.8, blue, kAsphalt, gsd)};
  std::vector<DetectedObject> tent = {objects[0]};
  tent[0].cls = ObjectClass::Tent;
  detect::drop_dashed_line_markings(block, detect::to_pixel_params(DetectorParams{}, gsd), tent);
  EXPECT_EQ(tent.size(), 1u) << "a tent is never a dash";
  detect::drop_dashed_line_markings(block, detect::to_pixel_params(DetectorParams{}, gsd), objects);
  const auto kept = [&](double x_m, double y_m) {
    for (const DetectedObject& o : objects)
      if (std::hypot(o.x * gsd - x_m, o.y * gsd - y_m) < 1.0) return true;
    return false;
  };
  return {kept(dash.x, dash.y), kept(lone.x, lone.y), kept(queued.x, queued.y)};
}

class DashedLine : public ::testing::TestWithParam<std::tuple<double, double, int>> {};

TEST_P(DashedLine, DropsTheDashAndKeepsTheCars) {
  const auto [gsd, angle, seed] = GetParam();
  const Kept kept = drop_on_a_dashed_road(gsd, angle, static_cast<std::uint64_t>(seed));
  const std::string where = "gsd " + std::to_string(gsd) + " angle " + std::to_string(angle);
  EXPECT_FALSE(kept.dash) << where;
  EXPECT_TRUE(kept.lone_car) << where;
  EXPECT_TRUE(kept.queued_car) << where;
}

INSTANTIATE_TEST_SUITE_P(GsdAndAngle, DashedLine,
                         ::testing::Values(std::make_tuple(1.0, 0.0, 1), std::make_tuple(1.0, 37.0, 2),
                                           std::make_tuple(0.7, 90.0, 3), std::make_tuple(0.7, 118.0, 4)));

// A white van (its roof, 4.5 x 1.8 m) parked in line with a row of white tents 4 m square, 5 m apart, where the
// next tent of the row would stand, at 0.5 m: the tents repeat along its line at one pitch, as long as it and of its
// colour, but twice as wide. It is kept.
TEST(DashedLine, KeepsACarInLineWithARowOfTents) {
  constexpr double gsd = 0.5;
  SceneBuilder scene(80.0, 40.0, gsd, 9);
  const cv::Scalar white(222, 230, 234);
  for (int k = 0; k < 5; ++k) scene.tent(10.0 + 9.0 * k, 20.0, 4.0, 0.0, white);
  scene.rectangle(55.0, 20.0, 4.5, 1.8, 0.0, white);
  const RgbBlock block = scene.finish();
  const cv::Scalar soil(130, 155, 170);
  std::vector<DetectedObject> objects = {found_vehicle(55.0, 20.0, 4.5, 1.8, white, soil, gsd)};
  detect::drop_dashed_line_markings(block, detect::to_pixel_params(DetectorParams{}, gsd), objects);
  EXPECT_EQ(objects.size(), 1u);
}

}  // namespace
}  // namespace campscope

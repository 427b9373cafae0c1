#include <gtest/gtest.h>

#include <cmath>
#include <opencv2/core.hpp>
#include <string>
#include <vector>

#include "campscope/detect.h"
#include "detect_impl.h"
#include "scene_fixture.h"
#include "solid_covers.h"

namespace campscope {
namespace {

using testing::SceneBuilder;

constexpr int kSoil[3] = {170, 155, 130};  // SceneBuilder's arid soil, RGB

detect::PixelParams params_on_soil(double gsd) {
  detect::PixelParams params = detect::to_pixel_params(DetectorParams{}, gsd);
  for (int c = 0; c < 3; ++c) params.block_ground[c] = kSoil[c];
  return params;
}

// A block of square blue tarpaulins, `rows` x `columns`, `side` wide and `gap` apart, its rows turned by `angle`
// about (cx, cy) metres; each tarpaulin its own blue, as weathered covers are. Returns the tents' centres (metres).
std::vector<cv::Point2d> draw_blue_block(SceneBuilder& scene, double cx, double cy, int rows, int columns, double side,
                                         double gap, double angle, cv::RNG& rng) {
  const double rad = angle * CV_PI / 180.0, pitch = side + gap;
  const cv::Point2d along(std::cos(rad) * pitch, std::sin(rad) * pitch), across(-along.y, along.x);
  std::vector<cv::Point2d> tents;
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < columns; ++c) {
      const cv::Point2d p = cv::Point2d(cx, cy) + along * (c - 0.5 * (columns - 1)) + across * (r - 0.5 * (rows - 1));
      const cv::Scalar blue(rng.uniform(165, 195), rng.uniform(95, 115), rng.uniform(45, 65));  // BGR
      scene.tent(p.x, p.y, side, angle, blue, 0.0);
      tents.push_back(p);
    }
  return tents;
}

DetectedObject found_blue_tent(const cv::Point2d& at, double gsd, double side) {
  return testing::found_object(ObjectClass::Tent, at.x, at.y, side, side, cv::Scalar(180, 105, 55),
                               cv::Scalar(kSoil[2], kSoil[1], kSoil[0]), gsd);
}

testing::MatchStats match_tents(const std::vector<cv::Point2d>& tents, const std::vector<DetectedObject>& objects,
                                double gsd) {
  std::vector<testing::PlacedObject> truth;
  for (const cv::Point2d& p : tents) truth.push_back({ObjectClass::Tent, p.x + 0.5 * gsd, p.y + 0.5 * gsd});
  return testing::match(truth, objects, gsd, 2.0);
}

// 4.5 m tarpaulins a metre apart at 1 m, or 0.7 m, are one solid blue cover: two columns of seven, of which the
// region stage found three, put between the columns as in a hard-profile block at Deir Hassan. The cover's size
// gives the block back: its count within two of fourteen, most of them where the tents stand, none past the block.
class SolidBlueBlock : public ::testing::TestWithParam<std::tuple<double, double>> {};

TEST_P(SolidBlueBlock, IsCountedByItsSize) {
  const auto [gsd, angle] = GetParam();
  SceneBuilder scene(60.0, 60.0, gsd, 3);
  cv::RNG rng(17);
  const std::vector<cv::Point2d> tents = draw_blue_block(scene, 30.0, 30.0, 2, 7, 4.5, 1.0, angle, rng);
  const std::vector<DetectedObject> found = {found_blue_tent(0.5 * (tents[2] + tents[9]), gsd, 4.5),
                                             found_blue_tent(0.5 * (tents[3] + tents[10]), gsd, 4.5),
                                             found_blue_tent(0.5 * (tents[4] + tents[11]), gsd, 4.5)};
  std::vector<DetectedObject> objects = found;
  detect::fill_solid_covers(scene.finish(), params_on_soil(gsd), objects);
  const std::string what = "gsd " + std::to_string(gsd) + " angle " + std::to_string(angle);
  EXPECT_NEAR(static_cast<double>(objects.size()), 14.0, 2.0) << what;
  const testing::MatchStats stats = match_tents(tents, objects, gsd);
  EXPECT_GE(stats.matched_tents, 9) << what;
  for (std::size_t i = found.size(); i < objects.size(); ++i) {
    EXPECT_TRUE(objects[i].completed) << what;
    const double x_m = objects[i].x * gsd - 30.0, y_m = objects[i].y * gsd - 30.0;
    EXPECT_LT(std::hypot(x_m, y_m), 22.0) << what << ": a tent past the block at " << x_m << ", " << y_m;
  }
}

INSTANTIATE_TEST_SUITE_P(CoarsePixels, SolidBlueBlock,
                         ::testing::Combine(::testing::Values(0.7, 1.0), ::testing::Values(0.0, 27.0)));

// Where 1.5 m gaps of soil still show at 1 m, the cover's colour rises and falls once a tent: the lattice takes the
// block's own pitch (4 m tents, 5.5 m apart; the typical pitch is 6 m) and puts every tent where it stands.
TEST(SolidCovers, TakesTheBlocksOwnPitchWhereItsGapsShow) {
  const double gsd = 1.0;
  SceneBuilder scene(70.0, 50.0, gsd, 4);
  cv::RNG rng(5);
  const std::vector<cv::Point2d> tents = draw_blue_block(scene, 35.0, 25.0, 3, 8, 4.0, 1.5, 0.0, rng);
  std::vector<DetectedObject> objects = {found_blue_tent(tents[0], gsd, 4.0), found_blue_tent(tents[9], gsd, 4.0)};
  detect::fill_solid_covers(scene.finish(), params_on_soil(gsd), objects);
  const testing::MatchStats stats = match_tents(tents, objects, gsd);
  EXPECT_EQ(stats.matched_tents, 24);
  EXPECT_EQ(stats.spurious, 0);
}

// How many objects fill_solid_covers leaves of the first `found` tents of a rows x columns block of blue tarpaulins
// `side` wide and a metre apart, drawn in a scene of `scene_m` square at `gsd`.
std::size_t objects_after_filling(double gsd, double scene_m, int rows, int columns, double side, std::size_t found) {
  SceneBuilder scene(scene_m, scene_m, gsd, 3);
  cv::RNG rng(17);
  const std::vector<cv::Point2d> tents =
      draw_blue_block(scene, 0.5 * scene_m, 0.5 * scene_m, rows, columns, side, 1.0, 0.0, rng);
  std::vector<DetectedObject> objects;
  for (std::size_t i = 0; i < found; ++i) objects.push_back(found_blue_tent(tents[i], gsd, side));
  detect::fill_solid_covers(scene.finish(), params_on_soil(gsd), objects);
  return objects.size();
}

// Nothing is added where the region stage and the rows pass found most of a block's tents, at pixels fine enough to
// show the gaps, or to a cover the size of one large tent.
TEST(SolidCovers, LeavesFoundBlocksFinePixelsAndLoneCoversAlone) {
  EXPECT_EQ(objects_after_filling(1.0, 60.0, 2, 7, 4.5, 8), 8u) << "8 of 14 found";
  EXPECT_EQ(objects_after_filling(0.5, 60.0, 2, 7, 4.5, 1), 1u) << "at 0.5 m";
  EXPECT_EQ(objects_after_filling(1.0, 40.0, 1, 1, 7.5, 1), 1u) << "a 7.5 m cover";
}

}  // namespace
}  // namespace campscope

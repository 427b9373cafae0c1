#include <gtest/gtest.h>

#include <cmath>
#include <opencv2/core.hpp>
#include <string>
#include <tuple>
#include <vector>

#include "campscope/detect.h"
#include "detect_impl.h"
#include "scene_fixture.h"
#include "tent_rows.h"

namespace campscope {
namespace {

using testing::SceneBuilder;

// SceneBuilder's arid soil, RGB: the ground the scenes stand on.
constexpr int kSoil[3] = {170, 155, 130};
const cv::Scalar kPaleCanvas(222, 230, 234);  // BGR

detect::PixelParams params_on_soil(double gsd) {
  detect::PixelParams params = detect::to_pixel_params(DetectorParams{}, gsd);
  for (int c = 0; c < 3; ++c) params.block_ground[c] = kSoil[c];
  return params;
}

// A square tent the region stage found where SceneBuilder drew one, on the soil.
DetectedObject found_tent(double x_m, double y_m, double gsd, double width_m) {
  return testing::found_object(ObjectClass::Tent, x_m, y_m, width_m, width_m, cv::Scalar(),
                               cv::Scalar(kSoil[2], kSoil[1], kSoil[0]), gsd);
}

// Every object of `found` within `radius_m` of a distinct one of the tents SceneBuilder drew at `expected` (metres),
// and as many.
void expect_same_places(const std::vector<cv::Point2d>& expected, const std::vector<DetectedObject>& found, double gsd,
                        double radius_m, const std::string& what) {
  std::vector<testing::PlacedObject> truth;
  for (const cv::Point2d& p : expected) truth.push_back({ObjectClass::Tent, p.x + 0.5 * gsd, p.y + 0.5 * gsd});
  const testing::MatchStats stats = testing::match(truth, found, gsd, radius_m);
  EXPECT_EQ(stats.missed, 0) << what;
  EXPECT_EQ(stats.spurious, 0) << what;
  EXPECT_EQ(stats.matched_tents, static_cast<int>(expected.size())) << what;
}

// A block of square tents 3.6 m wide, 1.4 m apart, in rows turned by the angle, at 0.5-1 m: the three tents of one
// corner are found, one lattice point is bare ground (a tent missing from the layout). The rows are completed up
// to the block's edges, the bare point stays empty, and nothing is added past the block.
class TentRowLattice : public ::testing::TestWithParam<std::tuple<double, double, int>> {};

TEST_P(TentRowLattice, CompletesThePackedBlockFromThreeFoundTents) {
  const auto [gsd, angle, seed] = GetParam();
  constexpr int kRows = 4, kColumns = 5;
  constexpr double kSide = 3.6, kSpacing = 5.0;
  SceneBuilder scene(61.0, 53.0, gsd, static_cast<std::uint64_t>(seed));
  const double rad = angle * CV_PI / 180.0;
  const cv::Point2d along(std::cos(rad) * kSpacing, std::sin(rad) * kSpacing), across(-along.y, along.x);
  const cv::Point2d corner(21.0, 13.0);
  std::vector<cv::Point2d> tents;
  for (int row = 0; row < kRows; ++row)
    for (int column = 0; column < kColumns; ++column) {
      if (row == 2 && column == 3) continue;  // bare ground
      const cv::Point2d centre = corner + along * column + across * row;
      scene.tent(centre.x, centre.y, kSide, angle, kPaleCanvas);
      tents.push_back(centre);
    }
  const RgbBlock block = scene.finish();
  std::vector<DetectedObject> objects;
  for (int k : {0, 1, kColumns}) objects.push_back(found_tent(tents[k].x, tents[k].y, gsd, kSide));
  detect::complete_tent_rows(block, params_on_soil(gsd), objects);
  // Within a pixel and a half at 1 m: an added tent is centred on the pixels of its colour about the lattice point.
  expect_same_places(tents, objects, gsd, 1.5, "gsd " + std::to_string(gsd) + " angle " + std::to_string(angle));
  for (std::size_t k = 0; k < objects.size(); ++k) EXPECT_EQ(objects[k].completed, k >= 3) << k;  // the found first
}

INSTANTIATE_TEST_SUITE_P(GsdAndAngle, TentRowLattice,
                         ::testing::Values(std::make_tuple(0.5, 0.0, 1), std::make_tuple(0.5, 27.0, 2),
                                           std::make_tuple(0.7, 71.0, 3), std::make_tuple(0.7, 0.0, 4),
                                           std::make_tuple(1.0, 27.0, 5), std::make_tuple(1.0, 44.0, 6)));

// A 3 x 5 block of pale covers 4 m wide, 1.5 m apart, at 0.7 and 1 m, whose middle cover is of another material: a
// dark grey one, 20 levels below the soil, that neither the gap test (far from the pale covers' colour) nor the
// region analysis (too faint against the soil) takes. All 14 pale ones were found, so the grey one is the bare
// lattice point midway between two found tents of its row, with the next row unbroken across from it: it is taken.
// Left bare (a vacant plot of soil), or with a track of the same grey through the block's middle column (the rows
// above and below broken there too), nothing is added.
TEST(TentRows, TakesTheOddCoverAmidFoundTents) {
  const cv::Scalar grey_cover(110, 135, 150);  // BGR: soil (130, 155, 170) less 20 on every channel
  enum class Middle { GreyCover, BareSoil, Track };
  for (const double gsd : {0.7, 1.0}) {
    for (const Middle middle : {Middle::GreyCover, Middle::BareSoil, Middle::Track}) {
      constexpr double kSide = 4.0, kSpacing = 5.5;
      SceneBuilder scene(45.0, 30.0, gsd, 21);
      if (middle == Middle::Track) scene.rectangle(23.0, 15.0, kSide, 30.0, 0.0, grey_cover);
      std::vector<cv::Point2d> tents;
      std::vector<DetectedObject> objects;
      for (int row = -1; row <= 1; ++row)
        for (int column = -2; column <= 2; ++column) {
          const cv::Point2d centre(23.0 + kSpacing * column, 15.0 + kSpacing * row);
          if (column == 0 && (row == 0 || middle == Middle::Track)) continue;
          scene.tent(centre.x, centre.y, kSide, 0.0, kPaleCanvas);
          tents.push_back(centre);
          objects.push_back(found_tent(centre.x, centre.y, gsd, kSide));
        }
      if (middle == Middle::GreyCover) {
        scene.tent(23.0, 15.0, kSide, 0.0, grey_cover);
        tents.push_back({23.0, 15.0});
      }
      detect::complete_tent_rows(scene.finish(), params_on_soil(gsd), objects);
      const std::string what = "gsd " + std::to_string(gsd) + " middle " + std::to_string(static_cast<int>(middle));
      expect_same_places(tents, objects, gsd, 1.5, what);
    }
  }
}

// A block of two rows of six pale covers at 0.7 m in which two grey covers stand diagonally side by side (row 0,
// column 2 and row 1, column 3): each breaks the row beside the other, which runs on a spacing further. Both are
// taken, and nothing else.
TEST(TentRows, TakesTwoOddCoversSideBySideInABlockOfTwoRows) {
  const double gsd = 0.7;
  const cv::Scalar grey_cover(110, 135, 150);  // BGR: the soil less 20 on every channel
  constexpr double kSide = 4.0, kSpacing = 5.5;
  SceneBuilder scene(45.0, 25.0, gsd, 22);
  std::vector<cv::Point2d> tents;
  std::vector<DetectedObject> objects;
  for (int row = 0; row < 2; ++row)
    for (int column = 0; column < 6; ++column) {
      const cv::Point2d centre(8.0 + kSpacing * column, 9.0 + kSpacing * row);
      const bool odd = (row == 0 && column == 2) || (row == 1 && column == 3);
      scene.tent(centre.x, centre.y, kSide, 0.0, odd ? grey_cover : kPaleCanvas);
      tents.push_back(centre);
      if (!odd) objects.push_back(found_tent(centre.x, centre.y, gsd, kSide));
    }
  detect::complete_tent_rows(scene.finish(), params_on_soil(gsd), objects);
  expect_same_places(tents, objects, gsd, 1.5, "two odd covers");
}

// A row of tents of which every other one was found: no two found ones are a spacing apart to fix the row, but a
// tent's side and a gap from each found one, along its side, lies the tent between.
TEST(TentRows, FindsTheTentsBetweenEveryOtherFoundOneOfARow) {
  for (const double gsd : {0.5, 1.0}) {
    SceneBuilder scene(50.0, 20.0, gsd, 11);
    std::vector<cv::Point2d> row;
    for (int k = 0; k < 5; ++k) row.push_back({7.0 + 5.0 * k, 10.0});
    for (const cv::Point2d& p : row) scene.tent(p.x, p.y, 3.6, 0.0, kPaleCanvas);
    std::vector<DetectedObject> objects;
    for (int k : {0, 2, 4}) objects.push_back(found_tent(row[k].x, row[k].y, gsd, 3.6));
    detect::complete_tent_rows(scene.finish(), params_on_soil(gsd), objects);
    expect_same_places(row, objects, gsd, 1.5, "gsd " + std::to_string(gsd));
  }
}

// A row of covers (3.6 x 2.8 m), white canvas and blue tarpaulin in turn, end to end a metre apart at 0.7 m. Past
// the two found ones the next cover's colour is farther from theirs than half the gap's contrast, and the gap test
// refuses it; the region analysis seeded where the row goes on finds each cover.
TEST(TentRows, CompletesARowOfMixedCoversThatTheGapTestRefuses) {
  const double gsd = 0.7;
  const cv::Scalar tarpaulin(190, 110, 60);  // BGR
  SceneBuilder scene(50.0, 20.0, gsd, 13);
  std::vector<cv::Point2d> row;
  for (int k = 0; k < 6; ++k) row.push_back({6.0 + 4.6 * k, 10.0});
  for (std::size_t k = 0; k < row.size(); ++k) {
    scene.rectangle(row[k].x, row[k].y, 3.6, 2.8, 0.0, k % 2 ? tarpaulin : kPaleCanvas);
    scene.mark(ObjectClass::Tent, row[k].x, row[k].y);
  }
  std::vector<DetectedObject> objects;
  for (int k : {0, 1}) {
    objects.push_back(found_tent(row[k].x, row[k].y, gsd, 2.8));
    objects.back().measured.length_m = 3.6f;
  }
  detect::complete_tent_rows(scene.finish(), params_on_soil(gsd), objects);
  expect_same_places(row, objects, gsd, 1.5, "mixed covers");
}

// A packed block of which only the middle tent was found (its neighbours joined by the blur of their gaps): a tent's
// side and a gap from it, along and across it, the region analysis finds its neighbours, and they the rest.
TEST(TentRows, FindsThePackedBlockAboutALoneFoundTent) {
  for (const double gsd : {0.3, 0.5, 0.7}) {
    for (const double angle : {0.0, 33.0}) {
      SceneBuilder scene(40.0, 40.0, gsd, 12);
      const double rad = angle * CV_PI / 180.0;
      const cv::Point2d along(std::cos(rad) * 5.0, std::sin(rad) * 5.0), across(-along.y, along.x);
      std::vector<cv::Point2d> block;
      for (int row = -1; row <= 1; ++row)
        for (int column = -1; column <= 1; ++column)
          block.push_back(cv::Point2d(20.0, 20.0) + along * column + across * row);
      for (const cv::Point2d& p : block) scene.tent(p.x, p.y, 3.6, angle, kPaleCanvas);
      std::vector<DetectedObject> objects = {found_tent(block[4].x, block[4].y, gsd, 3.6)};
      detect::complete_tent_rows(scene.finish(), params_on_soil(gsd), objects);
      expect_same_places(block, objects, gsd, 1.5, "gsd " + std::to_string(gsd) + " angle " + std::to_string(angle));
    }
  }
}

// At 1 m the sides of a cover four pixels across are too uncertain to look past (20 degrees off, the points fall
// between two covers): two found neighbours of a packed block give its lattice's side and spacing instead. Their row
// is completed and nothing is put between covers; across the rows the blurred 1.4 m gaps are too faint to confirm a
// cover (10-14 levels).
TEST(TentRows, LooksAlongTheRowOfTwoFoundNeighboursAt1m) {
  const double gsd = 1.0;
  SceneBuilder scene(40.0, 40.0, gsd, 12);
  std::vector<cv::Point2d> block;
  for (int row = -1; row <= 1; ++row)
    for (int column = -1; column <= 1; ++column) block.push_back({20.0 + 5.0 * column, 20.0 + 5.0 * row});
  for (const cv::Point2d& p : block) scene.tent(p.x, p.y, 3.6, 0.0, kPaleCanvas);
  std::vector<DetectedObject> objects = {found_tent(block[4].x, block[4].y, gsd, 3.6),
                                         found_tent(block[5].x, block[5].y, gsd, 3.6)};
  detect::complete_tent_rows(scene.finish(), params_on_soil(gsd), objects);
  std::vector<testing::PlacedObject> truth;
  for (const cv::Point2d& p : block) truth.push_back({ObjectClass::Tent, p.x + 0.5 * gsd, p.y + 0.5 * gsd});
  const testing::MatchStats stats = testing::match(truth, objects, gsd, 1.5);
  EXPECT_EQ(stats.matched_tents, 3);
  EXPECT_EQ(stats.spurious, 0);
}

// A block of two columns at 0.7 m, one column found, and two covers of the other joined along it into a region the
// region stage took for a truck (8 x 2.6 m of canvas): the truck stands on no lattice point, and the whole second
// column is found (with the truck in the way, the two covers under it were not).
TEST(TentRows, CompletesTheCoversAVehicleOfTheirColourJoined) {
  const double gsd = 0.7;
  SceneBuilder scene(40.0, 40.0, gsd, 5);
  std::vector<cv::Point2d> found_column, other_column;
  for (int row = 0; row < 4; ++row) {
    found_column.push_back({22.4, 12.0 + 4.8 * row});
    other_column.push_back({17.6, 12.0 + 4.8 * row});
  }
  for (const cv::Point2d& p : found_column) scene.tent(p.x, p.y, 3.6, 0.0, kPaleCanvas);
  for (const cv::Point2d& p : other_column) scene.tent(p.x, p.y, 3.6, 0.0, kPaleCanvas);
  std::vector<DetectedObject> objects;
  for (const cv::Point2d& p : found_column) objects.push_back(found_tent(p.x, p.y, gsd, 3.6));
  DetectedObject truck = found_tent(17.6, 0.5 * (other_column[1].y + other_column[2].y), gsd, 2.6);
  truck.cls = ObjectClass::Vehicle;
  truck.measured.length_m = 8.0f;
  for (int c = 0; c < 3; ++c) truck.measured.colour[c] = static_cast<float>(kPaleCanvas[2 - c]);
  objects.push_back(truck);
  detect::complete_tent_rows(scene.finish(), params_on_soil(gsd), objects);
  std::vector<DetectedObject> tents;
  for (const DetectedObject& o : objects)
    if (o.cls == ObjectClass::Tent) tents.push_back(o);
  std::vector<cv::Point2d> block = found_column;
  block.insert(block.end(), other_column.begin(), other_column.end());
  expect_same_places(block, tents, gsd, 1.5, "two columns at 0.7 m");
}

// The seeds of a round propose in parallel: a 5 x 5 block at 0.7 m completed from one found tent, over several
// rounds and region confirmations, gives the same tents in the same order on 1, 2 and 3 threads.
TEST(TentRows, SameTentsOnEveryThreadCount) {
  const double gsd = 0.7;
  SceneBuilder scene(50.0, 50.0, gsd, 21);
  for (int row = -2; row <= 2; ++row)
    for (int column = -2; column <= 2; ++column)
      scene.tent(25.0 + 5.0 * column + 0.4 * row, 25.0 + 5.0 * row - 0.4 * column, 3.6, -4.6,
                 (row + column) % 3 == 0 ? kPaleCanvas : cv::Scalar(190, 120, 60));
  const RgbBlock block = scene.finish();
  std::vector<DetectedObject> first;
  for (const int threads : {1, 2, 3}) {
    const testing::ThreadCount count(threads);
    std::vector<DetectedObject> objects = {found_tent(25.0, 25.0, gsd, 3.6)};
    detect::complete_tent_rows(block, params_on_soil(gsd), objects);
    if (threads == 1) {
      first = objects;
      EXPECT_GE(first.size(), 15u);
    }
    ASSERT_EQ(objects.size(), first.size()) << threads;
    for (std::size_t i = 0; i < objects.size(); ++i) {
      EXPECT_EQ(objects[i].x, first[i].x) << threads;
      EXPECT_EQ(objects[i].y, first[i].y) << threads;
    }
  }
}

// The found tents' block offset in its tile: added tents are in the same tile pixel coordinates.
TEST(TentRows, AddedTentsAreInTilePixelCoordinates) {
  const double gsd = 0.5;
  SceneBuilder scene(40.0, 30.0, gsd, 7);
  const std::vector<cv::Point2d> row = {{10, 15}, {15, 15}, {20, 15}, {25, 15}, {30, 15}};
  for (const cv::Point2d& p : row) scene.tent(p.x, p.y, 3.6, 0.0, kPaleCanvas);
  RgbBlock block = scene.finish();
  block.x0 = 1000;
  block.y0 = 2000;
  std::vector<DetectedObject> objects;
  for (int k : {0, 1}) {
    objects.push_back(found_tent(row[k].x, row[k].y, gsd, 3.6));
    objects.back().x += block.x0;
    objects.back().y += block.y0;
  }
  detect::complete_tent_rows(block, params_on_soil(gsd), objects);
  for (DetectedObject& o : objects) {
    o.x -= block.x0;
    o.y -= block.y0;
  }
  expect_same_places(row, objects, gsd, 1.0, "offset block");
}

// Two tents before a pale roof, a pale flat roof under two found "tents", and the soil between the canopies of an
// olive grove (a lattice of pale patches with dark gaps, of the block's ground colour): nothing is added.
TEST(TentRows, AddsNothingWithoutARowOfTents) {
  const double gsd = 0.5;
  {
    // Two tents, and a pale roof as far past them as they are apart: where the row's next tent would stand, the
    // roof goes on with no gap.
    SceneBuilder scene(45.0, 30.0, gsd, 8);
    scene.tent(12.5, 15.0, 3.6, 0.0, kPaleCanvas);
    scene.tent(17.5, 15.0, 3.6, 0.0, kPaleCanvas);
    scene.rectangle(27.7, 15.0, 14.0, 10.0, 0.0, kPaleCanvas);
    std::vector<DetectedObject> objects = {found_tent(12.5, 15.0, gsd, 3.6), found_tent(17.5, 15.0, gsd, 3.6)};
    detect::complete_tent_rows(scene.finish(), params_on_soil(gsd), objects);
    EXPECT_EQ(objects.size(), 2u) << "two tents before a roof";
  }
  {
    SceneBuilder scene(50.0, 40.0, gsd, 9);
    scene.rectangle(25.0, 20.0, 30.0, 20.0, 0.0, kPaleCanvas);
    std::vector<DetectedObject> objects = {found_tent(20.0, 20.0, gsd, 3.6), found_tent(25.0, 20.0, gsd, 3.6)};
    detect::complete_tent_rows(scene.finish(), params_on_soil(gsd), objects);
    EXPECT_EQ(objects.size(), 2u) << "a flat roof";
  }
  {
    // Canopies 5 m across, 6.5 m apart, with shadows toward the south-east: the soil where four of them nearly
    // meet is a pale patch, and a canopy's shadow darkens the corridor to the next.
    constexpr double kPitch = 6.5;
    SceneBuilder scene(60.0, 60.0, gsd, 10);
    for (int gx = 0; gx < 9; ++gx)
      for (int gy = 0; gy < 9; ++gy) {
        scene.disc(4 + gx * kPitch + 1.0, 4 + gy * kPitch + 1.0, 5.3, cv::Scalar(70, 85, 95));
        scene.disc(4 + gx * kPitch, 4 + gy * kPitch, 5.0, cv::Scalar(45, 75, 60));
      }
    const double first = 4 + 3.5 * kPitch;
    std::vector<DetectedObject> objects = {found_tent(first, first, gsd, 2.5),
                                           found_tent(first + kPitch, first, gsd, 2.5)};
    for (DetectedObject& o : objects)
      for (int c = 0; c < 3; ++c) o.measured.ground[c] = 65.0f;  // judged against the canopies
    const RgbBlock block = scene.finish();
    std::vector<DetectedObject> on_soil = objects;
    detect::complete_tent_rows(block, params_on_soil(gsd), on_soil);
    EXPECT_EQ(on_soil.size(), 2u) << "an olive grove";
    // In a tile whose commonest colour is another, darker soil the grove's lit soil is unlike the block's ground;
    // the patches are still too small for the lattice.
    detect::PixelParams darker_soil = params_on_soil(gsd);
    for (int& level : darker_soil.block_ground) level -= 40;
    detect::complete_tent_rows(block, darker_soil, objects);
    EXPECT_EQ(objects.size(), 2u) << "an olive grove on a tile of darker soil";
  }
}

}  // namespace
}  // namespace campscope

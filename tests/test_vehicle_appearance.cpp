// The vehicle appearance features: their shape, their invariance to a vehicle's heading and to the imagery's
// resolution, and a forest trained on them telling cars from road clutter on scenes it was not trained on.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "builtin_model.h"
#include "campscope/backend.h"
#include "campscope/detect.h"
#include "generated_scene.h"
#include "geotiff.h"
#include "scene_fixture.h"
#include "temp_dir.h"
#include "vehicle_appearance.h"

namespace campscope {
namespace {

using testing::SceneBuilder;

// HOG and the coarse grid (8 values), the features that describe shape, come first; 16 of colour, the rules'
// measurements and the GSD follow.
constexpr int kCoarseFeatures = 8, kOtherFeatures = 16;

double shape_distance(const cv::Mat& a, const cv::Mat& b) {
  const int shape = VehicleAppearance::feature_count() - kOtherFeatures;
  return cv::norm(a.colRange(0, shape), b.colRange(0, shape), cv::NORM_L2);
}

double hog_distance(const cv::Mat& a, const cv::Mat& b) {
  const int hog = VehicleAppearance::feature_count() - kOtherFeatures - kCoarseFeatures;
  return cv::norm(a.colRange(0, hog), b.colRange(0, hog), cv::NORM_L2);
}

// A scene 30 x 30 m of asphalt with one object in the middle, as a block; the candidate is the centre.
struct Patch {
  RgbBlock block;
  CandidatePoint centre;
};

template <typename Draw>
Patch asphalt_scene(double gsd, std::uint64_t seed, const Draw& draw) {
  SceneBuilder scene(30.0, 30.0, gsd, seed);
  scene.rectangle(15.0, 15.0, 40.0, 40.0, 0.0, cv::Scalar(92, 90, 88));  // asphalt
  draw(scene);
  Patch patch{scene.finish(), {}};
  patch.centre.x = 15.0 / gsd;
  patch.centre.y = 15.0 / gsd;
  return patch;
}

// Dashes of a lane marking across the middle of the scene.
Patch lane_markings(double gsd, std::uint64_t seed) {
  return asphalt_scene(gsd, seed, [](SceneBuilder& s) {
    for (double x = 9.0; x <= 21.0; x += 4.0) s.rectangle(x, 15.0, 3.0, 0.15, 0.0, cv::Scalar(235, 235, 235));
  });
}

cv::Mat car_features(double gsd, double angle, cv::Scalar bgr, std::uint64_t seed = 1) {
  const Patch p = asphalt_scene(gsd, seed, [&](SceneBuilder& s) { s.car(15.0, 15.0, angle, bgr); });
  return VehicleAppearance::features(p.block, p.centre, gsd);
}

TEST(VehicleAppearance, FeaturesAreFiniteEverywhereInOddBlocks) {
  std::mt19937 random(7);
  for (const double gsd : {0.3, 0.4, 0.7, 1.0}) {
    for (const auto& [w, h] : {std::pair{1, 1}, std::pair{3, 17}, std::pair{37, 5}, std::pair{61, 43}}) {
      RgbBlock block;
      block.width = w;
      block.height = h;
      block.x0 = 1000;  // candidates are in tile coordinates
      block.y0 = 2000;
      block.rgb.resize(static_cast<std::size_t>(w) * h * 3);
      block.valid.assign(static_cast<std::size_t>(w) * h, 1);
      for (auto& v : block.rgb) v = static_cast<std::uint8_t>(random() % 256);
      for (const auto& [x, y] : {std::pair{0.5, 0.5}, std::pair{w - 0.5, h - 0.5}, std::pair{w / 2.0, h / 3.0}}) {
        CandidatePoint candidate;
        candidate.x = block.x0 + x;
        candidate.y = block.y0 + y;
        const cv::Mat f = VehicleAppearance::features(block, candidate, gsd);
        ASSERT_EQ(f.rows, 1);
        ASSERT_EQ(f.cols, VehicleAppearance::feature_count());
        ASSERT_EQ(f.type(), CV_32F);
        EXPECT_TRUE(cv::checkRange(f)) << "gsd " << gsd << " block " << w << "x" << h << " at " << x << "," << y;
      }
    }
  }
}

TEST(VehicleAppearance, ACarLooksTheSameWhicheverWayItFaces) {
  for (const double gsd : {0.3, 0.5}) {
    const cv::Scalar silver(193, 189, 186);
    const cv::Mat heading_east = car_features(gsd, 0.0, silver);
    const Patch road = lane_markings(gsd, 1);
    const double to_marking = shape_distance(heading_east, VehicleAppearance::features(road.block, road.centre, gsd));
    for (const double angle : {30.0, 90.0, 135.0, 180.0}) {
      const double turned = shape_distance(heading_east, car_features(gsd, angle, silver));
      // Measured: 0.1-0.3 of the distance to the markings at 0.3 m, up to 0.55 at 0.5 m, where the sensor noise on
      // the bare asphalt (which HOG's block normalisation amplifies) is not averaged away.
      EXPECT_LT(turned, 0.6 * to_marking) << "gsd " << gsd << ", car turned " << angle << " degrees";
    }
  }
}

// The same pixels turned half round (cv::rotate moves every pixel exactly) give nearly the same shape features: a
// half turn puts each HOG cell and coarse cell where the one it is averaged with was. Only OpenCV's HOG, which
// weighs a cell's pixels half a pixel off centre, tells the two apart.
TEST(VehicleAppearance, APatchTurnedHalfRoundHasNearlyItsShapeFeatures) {
  for (const double gsd : {0.3, 0.5, 0.7}) {
    const Patch truck = asphalt_scene(gsd, 2, [](SceneBuilder& s) {
      s.car(15.0, 15.0, 25.0, cv::Scalar(30, 32, 165));
      s.rectangle(17.5, 16.3, 2.0, 2.2, 25.0, cv::Scalar(235, 235, 235));  // a pale cab at one end only
    });
    RgbBlock turned = truck.block;
    const int w = truck.block.width, h = truck.block.height;
    const cv::Mat from(h, w, CV_8UC3, const_cast<std::uint8_t*>(truck.block.rgb.data()));
    cv::Mat to(h, w, CV_8UC3, turned.rgb.data());
    cv::rotate(from, to, cv::ROTATE_180);
    // At a pixel's centre, whose window of pixels the turn maps onto the turned candidate's.
    CandidatePoint at, turned_at;
    at.x = std::floor(truck.centre.x) + 0.5;
    at.y = std::floor(truck.centre.y) + 0.5;
    turned_at.x = w - at.x;
    turned_at.y = h - at.y;
    const cv::Mat upright = VehicleAppearance::features(truck.block, at, gsd),
                  half_turned = VehicleAppearance::features(turned, turned_at, gsd);
    const Patch road = lane_markings(gsd, 2);
    const cv::Mat marking = VehicleAppearance::features(road.block, road.centre, gsd);
    // HOG alone: the coarse grid's brightness outweighs it in shape_distance. Measured 0.18-0.20 of the distance to
    // the markings; 0.69-0.84 with each cell averaged with the wrong one.
    EXPECT_LT(hog_distance(upright, half_turned), 0.3 * hog_distance(upright, marking)) << "gsd " << gsd;
    EXPECT_LT(shape_distance(upright, half_turned), 0.02 * shape_distance(upright, marking)) << "gsd " << gsd;
  }
}

TEST(VehicleAppearance, ACarLooksTheSameAtEveryResolution) {
  const cv::Scalar red(30, 32, 165);
  const cv::Mat fine = car_features(0.3, 20.0, red);
  const Patch tent =
      asphalt_scene(0.3, 1, [](SceneBuilder& s) { s.tent(15.0, 15.0, 4.0, 20.0, cv::Scalar(235, 238, 240)); });
  const double to_tent = shape_distance(fine, VehicleAppearance::features(tent.block, tent.centre, 0.3));
  for (const double gsd : {0.4, 0.5})
    EXPECT_LT(shape_distance(fine, car_features(gsd, 20.0, red)), 0.5 * to_tent) << gsd;
}

// Cars of every paint at random headings against lane markings, bare asphalt and tents: a forest trained on one set
// of scenes tells them apart on scenes drawn with other seeds.
TEST(VehicleAppearance, AForestTellsCarsFromClutterOnScenesItDidNotSee) {
  const std::vector<cv::Scalar> paints = {cv::Scalar(232, 236, 236), cv::Scalar(193, 189, 186), cv::Scalar(31, 28, 28),
                                          cv::Scalar(30, 32, 165), cv::Scalar(138, 56, 36)};
  const auto examples = [&](std::uint64_t seed, int count, cv::Mat& samples, std::vector<int>& labels) {
    std::mt19937 random(static_cast<unsigned>(seed));
    std::uniform_real_distribution<double> angle(0.0, 180.0), gsd_of(0.3, 0.6);
    for (int i = 0; i < count; ++i) {
      const double gsd = gsd_of(random), a = angle(random);
      const int kind = i % 4;
      const Patch p = asphalt_scene(gsd, seed * 100 + i, [&](SceneBuilder& s) {
        if (kind == 0 || kind == 1) s.car(15.0, 15.0, a, paints[random() % paints.size()]);
        if (kind == 2) s.rectangle(15.0, 15.0, 3.0, 0.15, a, cv::Scalar(235, 235, 235));
        if (kind == 3) s.tent(15.0, 15.0, 4.0, a, cv::Scalar(235, 238, 240));
      });
      samples.push_back(VehicleAppearance::features(p.block, p.centre, gsd));
      labels.push_back(kind <= 1 ? 1 : 0);
    }
  };
  cv::Mat training, testing_samples;
  std::vector<int> training_labels, testing_labels;
  examples(1, 80, training, training_labels);
  examples(2, 40, testing_samples, testing_labels);
  VehicleAppearance appearance;
  appearance.forest.train(training, training_labels, VehicleAppearance::feature_count(), 5);
  int correct = 0;
  for (int i = 0; i < testing_samples.rows; ++i)
    correct += (appearance.forest.probability(testing_samples.row(i)) >= 0.5) == (testing_labels[i] == 1);
  EXPECT_GE(correct, 38) << "of " << testing_samples.rows;
}


// The screen's features of a candidate in a square of paint on uniform ground: the rules' measurements and the GSD
// as given, the box's and the ring's mean colours those of the paint and the ground, no luma spread in either, and
// their contrast the colour distance; near the block's edge the edge pixels stand for what lies beyond it.
TEST(VehicleAppearance, TheScreenSeesThePaintAboutACandidateAndTheGroundAroundIt) {
  constexpr double gsd = 0.5;
  constexpr int side = 41, box_half = 2;  // 1 m at 0.5 m
  const std::uint8_t ground[3] = {100, 110, 120}, paint[3] = {200, 50, 40};
  RgbBlock block;
  block.x0 = 1000;
  block.y0 = 2000;
  block.width = block.height = side;
  block.valid.assign(side * side, 1);
  block.rgb.resize(side * side * 3);
  const auto fill = [&](int cx, int cy) {
    for (int y = 0; y < side; ++y)
      for (int x = 0; x < side; ++x) {
        const bool in_box = std::abs(x - cx) <= box_half && std::abs(y - cy) <= box_half;
        for (int c = 0; c < 3; ++c) block.rgb[3 * (y * side + x) + c] = in_box ? paint[c] : ground[c];
      }
  };
  for (const int at : {20, 4}) {  // the middle, and 4 pixels from the corner: the ring reaches past the edges
    fill(at, at);
    CandidatePoint candidate;
    candidate.x = block.x0 + at + 0.5;
    candidate.y = block.y0 + at + 0.5;
    candidate.rule_vehicle = true;
    candidate.measured.length_m = 4.25f;
    candidate.measured.width_m = 1.75f;
    candidate.measured.fill = 0.8125f;
    candidate.measured.contrast = 93.0f;
    const cv::Mat row = VehicleAppearance::screen_features(block, candidate, gsd);
    ASSERT_EQ(row.cols, VehicleAppearance::screen_feature_count());
    const float* f = row.ptr<float>();
    const std::vector<float> expected = {1.0f, 4.25f, 1.75f, 0.8125f, 93.0f, 0.5f, 200.0f, 50.0f, 40.0f,
                                         100.0f, 110.0f, 120.0f, 0.0f, 0.0f, 100.0f + 60.0f + 80.0f};
    for (int k = 0; k < row.cols; ++k)
      EXPECT_FLOAT_EQ(f[k], expected[static_cast<std::size_t>(k)]) << "at " << at << ", feature " << k;
  }
}


// The built-in look's screen on a generated scene it did not learn from (seed 1's kah tile of 2019-12-24; the
// look learnt from seeds 11-13): it refuses most of the block's candidates, and none the look itself takes.
TEST(VehicleAppearance, TheBuiltInScreenRefusesMostCandidatesAndNoneTheLookTakes) {
  testing::TempDir dir;
  const std::string scene = testing::generate_scene(dir, "scene", 1);
  TileReader reader(scene + "/tiles/kah_2019-12-24.tif");
  BlockWindow window;
  window.core_width = window.width = reader.info().width;
  window.core_height = window.height = reader.info().height;
  RgbBlock block;
  reader.read(window, block);
  const double gsd = reader.info().gsd_m;
  std::vector<CandidatePoint> candidates;
  detect_objects(block, gsd, DetectorParams{}, Backend::Cpu, &candidates);
  const std::shared_ptr<const VehicleAppearance> builtin = builtin_vehicle_appearance();
  ASSERT_TRUE(builtin->screen.trained());
  VehicleAppearance unscreened = *builtin;
  unscreened.screen = VotingForest{};
  std::vector<cv::Mat> screened_rows, full_rows;
  std::vector<double> screened_votes, full_votes;
  look_at_candidates(block, candidates, gsd, builtin.get(), screened_rows, screened_votes);
  look_at_candidates(block, candidates, gsd, &unscreened, full_rows, full_votes);
  int refused = 0, taken = 0, lost = 0;
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    refused += screened_rows[i].empty();
    if (full_votes[i] < builtin->forest.threshold) continue;
    ++taken;
    lost += screened_votes[i] < builtin->forest.threshold;
  }
  EXPECT_GT(taken, 0);
  EXPECT_EQ(lost, 0) << "of " << taken << " candidates the look takes";
  EXPECT_GE(refused, static_cast<int>(0.7 * static_cast<double>(candidates.size()))) << "of " << candidates.size();
}

}  // namespace
}  // namespace campscope

// calibrate_detector's memory bound (the appearance features of the training tiles' candidates are held at once),
// its split of repeated images, and the look's first screen it fits.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "calibrate.h"
#include "generated_scene.h"

namespace campscope {
namespace {

TEST(CalibrateDetector, MoreCandidatesThanItMayHoldIsAnErrorNamingTheTile) {
  testing::TempDir dir("calibrate-budget");
  testing::generate_scene(dir, "scene", 4);
  // Two copies of one tile, so either may be the one the seeded split trains on; each alone holds more than 100
  // candidates.
  const std::string tile = dir.file("scene/tiles/kah_2019-12-24.tif"), copy = dir.file("copy.tif");
  std::filesystem::copy_file(tile, copy);
  std::ofstream(dir.file("two.json")) << R"({"tiles": [{"path": ")" << tile << R"(", "date": "2019-12-24"}, {"path": ")"
                                      << copy << R"(", "date": "2019-12-24"}]})";
  CalibrateOptions options;
  options.manifest_path = dir.file("two.json");
  options.truth_path = dir.file("scene/truth.geojson");
  options.max_training_candidates = 100;
  try {
    calibrate_detector(options);
    ADD_FAILURE() << "no InputError";
  } catch (const InputError& e) {
    const std::string message = e.what();
    EXPECT_TRUE(message.rfind(tile + ": ", 0) == 0 || message.rfind(copy + ": ", 0) == 0) << message;
    EXPECT_NE(message.find("more than 100 detector candidates"), std::string::npos) << message;
    EXPECT_NE(message.find("calibrate on the labelled tiles only"), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  }
}

// A training set may list an image twice, through two links under two dates, to weigh its labels more
// (bench/train_builtin_model.sh does). Both copies are one scene: they validate together or train together, or the
// validation would measure what the model learnt.
TEST(CalibrateDetector, CopiesOfOneImageStayOnOneSideOfTheSplit) {
  testing::TempDir dir("calibrate-copies");
  testing::generate_scene(dir, "scene", 4);
  nlohmann::json truth;
  std::ifstream(dir.file("scene/truth.geojson")) >> truth;
  nlohmann::json tiles = nlohmann::json::array(), labels = nlohmann::json::array();
  for (int copy = 0; copy < 2; ++copy) {
    const std::string link = dir.file("copy" + std::to_string(copy));
    std::filesystem::create_directory_symlink(dir.file("scene/tiles"), link);
    const std::string date = std::to_string(2019 + 10 * copy) + "-12-24";
    for (const char* name : {"kah", "atme-west"})
      tiles.push_back({{"path", link + "/" + name + "_2019-12-24.tif"}, {"date", date}});
    for (nlohmann::json feature : truth["features"])
      if (feature["properties"]["date"] == "2019-12-24") {
        feature["properties"]["date"] = date;
        labels.push_back(feature);
      }
  }
  std::ofstream(dir.file("copies.json")) << nlohmann::json{{"tiles", tiles}}.dump();
  std::ofstream(dir.file("copies.geojson")) << nlohmann::json{{"type", "FeatureCollection"}, {"features", labels}}.dump();
  CalibrateOptions options;
  options.manifest_path = dir.file("copies.json");
  options.truth_path = dir.file("copies.geojson");
  options.validation_fraction = 0.5;
  // A draw of two tiles of four splits a pair two times in three: over three seeds a split that ignored the copies
  // would show.
  for (const std::uint64_t seed : {1, 2, 3}) {
    options.seed = seed;
    try {
      const CalibrationResult result = calibrate_detector(options);
      ASSERT_EQ(result.validation_tiles.size(), 2u) << "seed " << seed;
      EXPECT_EQ(result.validation_tiles[0].substr(result.validation_tiles[0].rfind('/')),
                result.validation_tiles[1].substr(result.validation_tiles[1].rfind('/')))
          << "seed " << seed;
    } catch (const InputError& e) {
      FAIL() << e.what();
    }
  }
}


// Fitted with its own look (the rules alone beside it, as when training the built-in model), a model carries a
// first screen that refuses most training candidates and hardly any the look takes out of fold, and says so.
TEST(CalibrateDetector, TheLooksScreenRefusesMostCandidatesAndSaysHowMany) {
  testing::TempDir dir("calibrate-screen");
  const std::string scene = testing::generate_scene(dir, "scene", 4);
  CalibrateOptions options;
  options.manifest_path = scene + "/manifest.json";
  options.truth_path = scene + "/truth.geojson";
  options.with_builtin_look = false;
  const CalibrationResult result = calibrate_detector(options);
  ASSERT_TRUE(result.model.vehicle_appearance);
  ASSERT_TRUE(result.model.vehicle_appearance->screen.trained());
  EXPECT_GT(result.screen_refused_share, 0.5);
  EXPECT_GT(result.screen_taken, 0);
  EXPECT_LE(result.screen_taken_refused, result.screen_taken / 50) << "of " << result.screen_taken;
  EXPECT_NE(calibration_report(result).find("look screen: refuses "), std::string::npos);
  EXPECT_EQ(result.model.calibration.at("screen_taken_refused"),
            std::to_string(result.screen_taken_refused) + " of " + std::to_string(result.screen_taken));
}

}  // namespace
}  // namespace campscope

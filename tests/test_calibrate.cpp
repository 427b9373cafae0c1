// calibrate_detector's memory bound: the appearance features of the training tiles' candidates are held at once.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

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

}  // namespace
}  // namespace campscope

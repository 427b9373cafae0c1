#include "model.h"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "builtin_model.h"
#include "input_error.h"
#include "temp_dir.h"

namespace campscope {
namespace {

using testing::expect_input_error;
using testing::TempDir;

TEST(DetectorModel, SavedParametersLoadBackUnchanged) {
  TempDir dir;
  DetectorParams params;
  params.ground_tolerance = 13;
  params.vehicle_max_width_m = 3.05;
  params.min_fill = 0.6875;
  params.tent_inner_m = 2.125;
  const std::string path = dir.file("model.yml");
  save_detector_model({params, nullptr, std::nullopt, {}, nullptr}, path);
  const DetectorParams loaded = load_detector_model(path).params;
  EXPECT_EQ(loaded.ground_tolerance, 13);
  EXPECT_DOUBLE_EQ(loaded.vehicle_max_width_m, 3.05);
  EXPECT_DOUBLE_EQ(loaded.min_fill, 0.6875);
  EXPECT_DOUBLE_EQ(loaded.tent_inner_m, 2.125);
  EXPECT_DOUBLE_EQ(loaded.region_radius_m, DetectorParams{}.region_radius_m);
}

TEST(DetectorModel, AVehicleAppearanceForestLoadsBackVotingAsBefore) {
  TempDir dir;
  cv::Mat samples(40, VehicleAppearance::feature_count(), CV_32F);
  cv::randu(samples, 0.0, 1.0);
  std::vector<int> labels;
  for (int i = 0; i < samples.rows; ++i) {
    labels.push_back(i % 2);
    samples.at<float>(i, 3) += static_cast<float>(i % 2);  // one feature tells them apart
  }
  auto appearance = std::make_shared<VehicleAppearance>();
  appearance->forest.train(samples, labels, VehicleAppearance::feature_count(), 3);
  appearance->forest.threshold = 0.35;
  appearance->adds_to_rules = true;
  DetectorModel model;
  model.vehicle_appearance = appearance;
  const std::string path = dir.file("model.yml");
  save_detector_model(model, path);
  const DetectorModel loaded = load_detector_model(path);
  ASSERT_TRUE(loaded.vehicle_appearance);
  EXPECT_DOUBLE_EQ(loaded.vehicle_appearance->forest.threshold, 0.35);
  EXPECT_TRUE(loaded.vehicle_appearance->adds_to_rules);
  for (int i = 0; i < samples.rows; ++i)
    EXPECT_DOUBLE_EQ(loaded.vehicle_appearance->forest.probability(samples.row(i)),
                     appearance->forest.probability(samples.row(i)));
  EXPECT_FALSE(loaded.vehicle_appearance->screen.trained());  // none fitted: every candidate is looked at

  // The first screen, over its own features, loads back with its threshold and votes.
  const cv::Mat screen_samples = samples.colRange(0, VehicleAppearance::screen_feature_count()).clone();
  appearance->screen.train(screen_samples, labels, VehicleAppearance::screen_feature_count(), 5, ForestSize{7, 4});
  appearance->screen.threshold = 1.0 / 7.0;
  save_detector_model(model, path);
  const DetectorModel screened = load_detector_model(path);
  ASSERT_TRUE(screened.vehicle_appearance && screened.vehicle_appearance->screen.trained());
  EXPECT_DOUBLE_EQ(screened.vehicle_appearance->screen.threshold, 1.0 / 7.0);
  for (int i = 0; i < samples.rows; ++i)
    EXPECT_DOUBLE_EQ(screened.vehicle_appearance->screen.probability(screen_samples.row(i)),
                     appearance->screen.probability(screen_samples.row(i)));
  EXPECT_DOUBLE_EQ(screened.vehicle_appearance->forest.probability(samples.row(0)),
                   appearance->forest.probability(samples.row(0)));

  // A forest over some other number of features is not a vehicle appearance model.
  VotingForest narrow;
  narrow.train(samples.colRange(0, 5).clone(), labels, 5, 3);
  cv::FileStorage storage(".yml", cv::FileStorage::WRITE | cv::FileStorage::MEMORY | cv::FileStorage::FORMAT_YAML);
  storage << "vehicle_appearance" << "{";
  narrow.write(storage);
  storage << "}";
  const std::string narrow_path = dir.write("narrow.yml", storage.releaseAndGetString());
  expect_input_error([&] { load_detector_model(narrow_path); }, narrow_path,
                     "'vehicle_appearance' is a forest over 5 features, not the " +
                         std::to_string(VehicleAppearance::feature_count()) + " this campscope measures");

  // Nor is a screen over another number of features than the screen's.
  cv::FileStorage screened_storage(".yml",
                                   cv::FileStorage::WRITE | cv::FileStorage::MEMORY | cv::FileStorage::FORMAT_YAML);
  screened_storage << "vehicle_appearance" << "{";
  appearance->forest.write(screened_storage);
  screened_storage << "screen" << "{";
  narrow.write(screened_storage);
  screened_storage << "}" << "}";
  const std::string narrow_screen_path = dir.write("narrow_screen.yml", screened_storage.releaseAndGetString());
  expect_input_error([&] { load_detector_model(narrow_screen_path); }, narrow_screen_path,
                     "'vehicle_appearance' 'screen' is a forest over 5 features, not the " +
                         std::to_string(VehicleAppearance::screen_feature_count()) + " this campscope measures");

  // The forest's role is a flag.
  std::string text;
  {
    std::ifstream in(path);
    text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  const std::size_t flag = text.find("adds_to_rules: 1");
  ASSERT_NE(flag, std::string::npos);
  const std::string two_path = dir.write("two.yml", std::string(text).replace(flag, 16, "adds_to_rules: 2"));
  expect_input_error([&] { load_detector_model(two_path); }, two_path, "'adds_to_rules' must be 0 or 1");

  // A threshold is a vote fraction: a screen's of 1.5 would let nothing through, without a word.
  const std::size_t screen_threshold = text.find("threshold:", text.find("screen:"));
  ASSERT_NE(screen_threshold, std::string::npos);
  const std::size_t line_end = text.find('\n', screen_threshold);
  const std::string high_path =
      dir.write("high.yml", text.replace(screen_threshold, line_end - screen_threshold, "threshold: 1.5"));
  expect_input_error([&] { load_detector_model(high_path); }, high_path,
                     "'vehicle_appearance' 'screen' has threshold 1.500000, not a vote fraction between 0 and 1");
}

TEST(DetectorModel, AHandWrittenFileSetsOnlyWhatItNames) {
  TempDir dir;
  const DetectorParams loaded =
      load_detector_model(dir.write("m.yml", "# tuned for 0.3 m\nmin_contrast: 40\n")).params;
  EXPECT_EQ(loaded.min_contrast, 40);
  EXPECT_DOUBLE_EQ(loaded.tent_max_area_m2, DetectorParams{}.tent_max_area_m2);
  EXPECT_EQ(loaded.ground_tolerance, DetectorParams{}.ground_tolerance);
}

TEST(DetectorModel, WithoutAVehicleAppearanceTheBuiltInLookModelApplies) {
  TempDir dir;
  const auto builtin = builtin_vehicle_appearance();
  ASSERT_TRUE(builtin);
  EXPECT_TRUE(builtin->adds_to_rules);
  EXPECT_EQ(builtin_vehicle_appearance(), builtin);  // read once
  EXPECT_EQ(load_detector_model(dir.write("m.yml", "min_contrast: 40\n")).vehicle_appearance, builtin);
  EXPECT_FALSE(load_detector_model(dir.write("none.yml", "vehicle_appearance: none\n")).vehicle_appearance);
  expect_input_error([&] { load_detector_model(dir.write("bad.yml", "vehicle_appearance: some\n")); },
                     dir.file("bad.yml"), "'vehicle_appearance' must be a mapping or \"none\"");
  // Saved with the built-in look, a model names none and loads it back; saved without any, it says none.
  DetectorModel model;
  model.vehicle_appearance = builtin;
  save_detector_model(model, dir.file("with.yml"));
  EXPECT_EQ(load_detector_model(dir.file("with.yml")).vehicle_appearance, builtin);
  model.vehicle_appearance = nullptr;
  save_detector_model(model, dir.file("without.yml"));
  EXPECT_FALSE(load_detector_model(dir.file("without.yml")).vehicle_appearance);
}

TEST(DetectorModel, BadFilesNameTheFileAndTheProblem) {
  TempDir dir;
  const struct {
    const char* content;
    const char* detail;
  } cases[] = {
      {"foo: 1\n", "unknown parameter 'foo'"},
      {"ground_tolerance: 1.5\n", "'ground_tolerance' must be an integer"},
      {"min_fill: abc\n", "'min_fill' must be a number"},
      {"min_fill: [1,\n", "not a valid YAML model file"},
      {"- 1\n- 2\n", "must be a mapping"},
      {"min_fill: 1.5\n", "min_fill must not exceed 1"},
      {"vehicle_min_length_m: -2\n", "'vehicle_min_length_m' must be a positive number"},
      {"vehicle_min_width_m: 4\nvehicle_max_width_m: 3\n", "vehicle_min_width_m exceeds vehicle_max_width_m"},
      {"vehicle_max_elongation: 1.5\n", "vehicle_min_elongation exceeds vehicle_max_elongation"},
      {"accuracy:\n  recall: 1.5\n", "accuracy 'recall' must lie in (0, 1]"},
      {"accuracy:\n  f1: 0.5\n", "unknown accuracy figure 'f1'"},
  };
  for (const auto& c : cases) {
    const std::string path = dir.write("bad.yml", c.content);
    expect_input_error([&] { load_detector_model(path); }, path, c.detail);
  }
  const std::string missing = dir.file("missing.yml");
  expect_input_error([&] { load_detector_model(missing); }, missing, "");
}

}  // namespace
}  // namespace campscope

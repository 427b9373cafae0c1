#include "classifier.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <random>
#include <sstream>

#include "campscope/types.h"
#include "input_error.h"
#include "model.h"
#include "temp_dir.h"

namespace campscope {
namespace {

using testing::expect_input_error;
using testing::TempDir;

// Vehicle-like measurements: true objects are car-sized and contrasted, false ones short, ragged and faint, with
// overlap near the boundary so the forest has to generalise.
ObjectMeasurements example(std::mt19937& random, bool real) {
  std::normal_distribution<float> jitter(0.0f, 1.0f);
  ObjectMeasurements m;
  m.length_m = (real ? 4.6f : 3.4f) + 0.5f * jitter(random);
  m.width_m = (real ? 1.9f : 1.6f) + 0.2f * jitter(random);
  m.fill = (real ? 0.85f : 0.72f) + 0.05f * jitter(random);
  m.contrast = (real ? 120.0f : 70.0f) + 25.0f * jitter(random);
  for (int c = 0; c < 3; ++c) {
    m.colour[c] = 120.0f + 40.0f * jitter(random);
    m.ground[c] = 150.0f + 5.0f * jitter(random);
  }
  return m;
}

struct Examples {
  cv::Mat samples;
  std::vector<int> labels;
  std::vector<ObjectMeasurements> measured;
};

Examples examples(unsigned seed, int count) {
  std::mt19937 random(seed);
  Examples e;
  for (int i = 0; i < count; ++i) {
    const bool real = i % 3 != 0;
    e.measured.push_back(example(random, real));
    e.samples.push_back(ObjectClassifier::features(e.measured.back()));
    e.labels.push_back(real ? 1 : 0);
  }
  return e;
}

TEST(ObjectClassifier, SeparatesHeldOutExamples) {
  const Examples training = examples(1, 600), held_out = examples(2, 301);
  ObjectClassifier classifier;
  classifier.train(ObjectClass::Vehicle, training.samples, training.labels, 7);
  EXPECT_TRUE(classifier.trained(ObjectClass::Vehicle));
  EXPECT_FALSE(classifier.trained(ObjectClass::Tent));
  int correct = 0;
  for (std::size_t i = 0; i < held_out.labels.size(); ++i) {
    const double p = classifier.probability(ObjectClass::Vehicle, held_out.measured[i]);
    ASSERT_GE(p, 0.0);
    ASSERT_LE(p, 1.0);
    correct += (p >= 0.5) == (held_out.labels[i] == 1);
  }
  EXPECT_GE(correct, 0.9 * static_cast<double>(held_out.labels.size()));
  // A class without a forest keeps everything.
  EXPECT_EQ(classifier.probability(ObjectClass::Tent, held_out.measured[0]), 1.0);
}

TEST(ObjectClassifier, SameSeedSameForestAndItSurvivesTheModelFile) {
  const Examples training = examples(3, 400), probe = examples(4, 97);
  ObjectClassifier a, b;
  a.train(ObjectClass::Tent, training.samples, training.labels, 11);
  b.train(ObjectClass::Tent, training.samples, training.labels, 11);
  a.set_threshold(ObjectClass::Tent, 0.35);
  TempDir dir;
  const std::string path = dir.file("model.yml");
  DetectorModel model;
  model.classifier = std::make_shared<const ObjectClassifier>(a);
  model.calibration["seed"] = "11";
  model.accuracy = DetectorAccuracy{0.91, 0.83, 0.05};
  save_detector_model(model, path);
  const DetectorModel loaded = load_detector_model(path);
  ASSERT_TRUE(loaded.classifier);
  EXPECT_DOUBLE_EQ(loaded.classifier->threshold(ObjectClass::Tent), 0.35);
  EXPECT_FALSE(loaded.classifier->trained(ObjectClass::Vehicle));
  EXPECT_EQ(loaded.calibration.at("seed"), "11");
  ASSERT_TRUE(loaded.accuracy);
  EXPECT_DOUBLE_EQ(loaded.accuracy->precision, 0.91);
  EXPECT_DOUBLE_EQ(loaded.accuracy->recall, 0.83);
  EXPECT_DOUBLE_EQ(loaded.accuracy->margin, 0.05);
  EXPECT_EQ(loaded.accuracy->weak_recall_low, 0.0);  // a measured recall turns the built-in weak-tent rule off
  for (const ObjectMeasurements& m : probe.measured) {
    const double p = a.probability(ObjectClass::Tent, m);
    EXPECT_EQ(b.probability(ObjectClass::Tent, m), p);
    EXPECT_EQ(loaded.classifier->probability(ObjectClass::Tent, m), p);
  }
}

// A forest as a model file holds it, read back both by VotingForest and by OpenCV itself, whose vote count is the
// reference the walk of the trees must match. (A file keeps no node's default way for a missing value; both read
// it the same way.)
struct ReadBack {
  explicit ReadBack(const VotingForest& trained, int features) {
    cv::FileStorage out(".yml", cv::FileStorage::WRITE | cv::FileStorage::MEMORY);
    out << "model" << "{";
    trained.write(out);
    out << "}";
    const cv::FileStorage in(out.releaseAndGetString(), cv::FileStorage::READ | cv::FileStorage::MEMORY);
    forest = VotingForest::read(in["model"], features, "memory", "forest");
    opencv->read(in["model"]["forest"]);
  }
  double opencv_probability(const cv::Mat& row) const {
    cv::Mat votes;
    opencv->getVotes(row, votes, 0);
    double total = 0.0, for_true = 0.0;
    for (int c = 0; c < votes.cols; ++c) {
      total += votes.at<int>(1, c);
      if (votes.at<int>(0, c) == 1) for_true += votes.at<int>(1, c);
    }
    return for_true / total;
  }

  VotingForest forest;
  cv::Ptr<cv::ml::RTrees> opencv = cv::ml::RTrees::create();
};

// Rows on a quarter grid: the forest's split values are midpoints of training values on a half grid, so many of
// these rows sit exactly on a split (the walk must send them left, as OpenCV does); every seventh carries OpenCV's
// missing value in one feature.
cv::Mat grid_rows(unsigned seed, int count, int features) {
  std::mt19937 random(seed);
  std::uniform_int_distribution<int> step(0, 16);
  cv::Mat rows(count, features, CV_32F);
  for (int r = 0; r < count; ++r)
    for (int f = 0; f < features; ++f) rows.at<float>(r, f) = 0.25f * static_cast<float>(step(random));
  for (int r = 0; r < count; r += 7) rows.at<float>(r, r % features) = cv::ml::TrainData::missingValue();
  return rows;
}

bool has_missing_value(const cv::Mat& row) {
  for (int f = 0; f < row.cols; ++f)
    if (row.at<float>(0, f) == cv::ml::TrainData::missingValue()) return true;
  return false;
}

TEST(VotingForest, WalksItsTreesAsOpenCvDoesAndStopsOnlyWhenTheThresholdIsDecided) {
  constexpr int kFeatures = 13;
  // Half-grid training rows, labelled by a noisy rule over a few features.
  cv::Mat samples = grid_rows(3, 997, kFeatures);
  std::vector<int> labels;
  std::mt19937 noise(4);
  for (int r = 0; r < samples.rows; ++r) {
    float* x = samples.ptr<float>(r);
    for (int f = 0; f < kFeatures; ++f) x[f] = x[f] > 4.0f ? 4.0f : std::round(x[f] * 2.0f) / 2.0f;
    const bool rule = x[0] + x[3] > 4.0f && x[7] < 3.0f;
    labels.push_back(noise() % 10 == 0 ? !rule : rule);
  }
  VotingForest trained;
  trained.train(samples, labels, kFeatures, 11);
  ReadBack read_back(trained, kFeatures);
  const cv::Mat rows = grid_rows(5, 1001, kFeatures);
  int undecided = 0, below = 0;
  for (double threshold : {0.0, 0.05, 0.3, 0.45, 0.5, 0.95, 1.0}) {
    for (VotingForest* forest : {&trained, &read_back.forest}) {
      forest->threshold = threshold;
      for (int r = 0; r < rows.rows; ++r) {
        const cv::Mat row = rows.row(r);
        // Trained in this process, a node's default way is the one training chose, which no file keeps.
        if (forest == &trained && has_missing_value(row)) continue;
        const double expected = read_back.opencv_probability(row);
        ASSERT_EQ(forest->probability(row), expected) << "row " << r;
        const double decided = forest->probability_against_threshold(row);
        if (expected >= threshold) {
          ASSERT_EQ(decided, expected) << "row " << r << " threshold " << threshold;
        } else {
          ASSERT_LT(decided, threshold) << "row " << r << " threshold " << threshold;
          ASSERT_GE(decided, expected) << "row " << r << " threshold " << threshold;
          below += 1;
        }
        undecided += expected > 0.0 && expected < 1.0;
      }
    }
  }
  // The rows are neither all one way nor all the other.
  EXPECT_GT(undecided, 1000);
  EXPECT_GT(below, 1000);
}

// The text of a model file holding a classifier for `cls` trained on generated examples, to be damaged by a test.
std::string classifier_model_text(ObjectClass cls, unsigned seed, const TempDir& dir) {
  const Examples training = examples(seed, 200);
  ObjectClassifier classifier;
  classifier.train(cls, training.samples, training.labels, seed);
  DetectorModel model;
  model.classifier = std::make_shared<const ObjectClassifier>(classifier);
  const std::string path = dir.file("model.yml");
  save_detector_model(model, path);
  std::stringstream text;
  text << std::ifstream(path).rdbuf();
  return text.str();
}

TEST(ObjectClassifier, AForestOverACategoricalFeatureNamesTheFile) {
  TempDir dir;
  std::string edited = classifier_model_text(ObjectClass::Vehicle, 6, dir);
  const std::size_t types = edited.find("var_type: [ 0");
  ASSERT_NE(types, std::string::npos);
  edited[types + std::string("var_type: [ ").size()] = '1';
  const std::string bad = dir.write("categorical.yml", edited);
  expect_input_error([&] { load_detector_model(bad); }, bad,
                     "classifier 'vehicle' is not a forest over 14 ordered features");
}

TEST(ObjectClassifier, AForestSplittingOnNoFeatureNamesTheFile) {
  TempDir dir;
  std::string edited = classifier_model_text(ObjectClass::Tent, 7, dir);
  // The first split names the response (the index past the features), which OpenCV reads without complaint.
  const std::size_t split = edited.find("{ var:");
  ASSERT_NE(split, std::string::npos);
  const std::size_t number = split + std::string("{ var:").size();
  edited.replace(number, edited.find(',', number) - number, " 14");
  const std::string bad = dir.write("no_feature.yml", edited);
  expect_input_error([&] { load_detector_model(bad); }, bad, "classifier 'tent' has a split on feature 14 of 14");
}

TEST(ObjectClassifier, TrainingNeedsBothKindsOfExample) {
  const Examples training = examples(5, 30);
  ObjectClassifier classifier;
  EXPECT_THROW(classifier.train(ObjectClass::Tent, training.samples, std::vector<int>(30, 1), 1),
               std::invalid_argument);
}

TEST(ObjectClassifier, BadClassifierNodesNameTheFile) {
  TempDir dir;
  const struct {
    const char* content;
    const char* detail;
  } cases[] = {
      {"classifier: 3\n", "'classifier' must be a mapping"},
      {"classifier:\n  truck:\n    threshold: 0.5\n", "classifier for unknown class 'truck'"},
      {"classifier:\n  tent:\n    forest: {}\n", "classifier 'tent' has no numeric threshold"},
      {"classifier:\n  tent:\n    threshold: 0.5\n", "classifier 'tent' has no forest"},
      {"classifier:\n  tent:\n    threshold: 0.5\n    forest:\n      ntrees: 1\n", "classifier 'tent'"},
  };
  for (const auto& c : cases) {
    const std::string path = dir.write("bad.yml", c.content);
    expect_input_error([&] { load_detector_model(path); }, path, c.detail);
  }
}

}  // namespace
}  // namespace campscope

#include "classifier.h"

#include <gtest/gtest.h>

#include <random>

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

#include "classifier.h"

#include <algorithm>
#include <stdexcept>

#include "campscope/types.h"

namespace campscope {

namespace {

constexpr int kTrees = 100;
constexpr int kMaxDepth = 12;
constexpr int kMinSamplesPerLeaf = 3;

float luma(const float* rgb) { return (77.0f * rgb[0] + 150.0f * rgb[1] + 29.0f * rgb[2]) / 256.0f; }

}  // namespace

cv::Mat ObjectClassifier::features(const ObjectMeasurements& m) {
  const float length = std::max(m.length_m, 0.01f), width = std::max(m.width_m, 0.01f);
  const float chroma = std::max({m.colour[0], m.colour[1], m.colour[2]}) -
                       std::min({m.colour[0], m.colour[1], m.colour[2]});
  const float values[kFeatureCount] = {length,       width,        length / width, length * width * m.fill,
                                       m.fill,       m.contrast,   m.colour[0],    m.colour[1],
                                       m.colour[2],  m.ground[0],  m.ground[1],    m.ground[2],
                                       luma(m.colour) - luma(m.ground), chroma};
  return cv::Mat(1, kFeatureCount, CV_32F, const_cast<float*>(values)).clone();
}

void VotingForest::train(const cv::Mat& samples, const std::vector<int>& labels, int feature_count,
                         std::uint64_t seed) {
  if (samples.rows != static_cast<int>(labels.size()) || samples.cols != feature_count || samples.type() != CV_32F)
    throw std::invalid_argument("classifier: samples and labels do not match");
  const bool both = std::count(labels.begin(), labels.end(), 1) > 0 && std::count(labels.begin(), labels.end(), 0) > 0;
  if (!both) throw std::invalid_argument("classifier: training needs true and false examples");
  cv::Ptr<cv::ml::RTrees> forest = cv::ml::RTrees::create();
  forest->setMaxDepth(kMaxDepth);
  forest->setMinSampleCount(kMinSamplesPerLeaf);
  forest->setCalculateVarImportance(false);
  forest->setTermCriteria(cv::TermCriteria(cv::TermCriteria::MAX_ITER, kTrees, 0.0));
  // The forest draws its bootstrap samples and split variables from OpenCV's global generator.
  cv::theRNG().state = seed == 0 ? 1 : seed;
  cv::Mat responses(static_cast<int>(labels.size()), 1, CV_32S, const_cast<int*>(labels.data()));
  forest->train(cv::ml::TrainData::create(samples, cv::ml::ROW_SAMPLE, responses.clone()));
  forest_ = forest;
}

double VotingForest::probability(const cv::Mat& feature_row) const {
  if (forest_.empty()) return 1.0;
  cv::Mat votes;
  forest_->getVotes(feature_row, votes, 0);
  // Row 0 names the classes, row 1 counts the trees voting for each.
  double total = 0.0, for_true = 0.0;
  for (int c = 0; c < votes.cols; ++c) {
    total += votes.at<int>(1, c);
    if (votes.at<int>(0, c) == 1) for_true += votes.at<int>(1, c);
  }
  return total > 0.0 ? for_true / total : 0.0;
}

void VotingForest::write(cv::FileStorage& storage) const {
  storage << "threshold" << threshold;
  storage << "forest" << "{";
  forest_->write(storage);
  storage << "}";
}

VotingForest VotingForest::read(const cv::FileNode& node, int feature_count, const std::string& path,
                                const std::string& what) {
  const cv::FileNode threshold = node["threshold"], forest = node["forest"];
  if (!threshold.isReal() && !threshold.isInt()) throw InputError(path + ": " + what + " has no numeric threshold");
  if (!forest.isMap()) throw InputError(path + ": " + what + " has no forest");
  cv::Ptr<cv::ml::RTrees> trees = cv::ml::RTrees::create();
  try {
    trees->read(forest);
  } catch (const cv::Exception& e) {
    throw InputError(path + ": " + what + " cannot be read (" + e.err + ")");
  }
  if (!trees->isTrained() || trees->getVarCount() != feature_count)
    throw InputError(path + ": " + what + " is not a trained forest over " + std::to_string(feature_count) +
                     " features");
  VotingForest result;
  result.forest_ = trees;
  result.threshold = static_cast<double>(threshold);
  return result;
}

void ObjectClassifier::train(ObjectClass cls, const cv::Mat& samples, const std::vector<int>& labels,
                             std::uint64_t seed) {
  classes_[index(cls)].train(samples, labels, kFeatureCount, seed);
}

double ObjectClassifier::probability(ObjectClass cls, const ObjectMeasurements& m) const {
  return probability(cls, features(m));
}

double ObjectClassifier::probability(ObjectClass cls, const cv::Mat& feature_row) const {
  return classes_[index(cls)].probability(feature_row);
}

void ObjectClassifier::write(cv::FileStorage& storage) const {
  for (ObjectClass cls : {ObjectClass::Tent, ObjectClass::Vehicle}) {
    const VotingForest& forest = classes_[index(cls)];
    if (!forest.trained()) continue;
    storage << class_name(cls) << "{";
    forest.write(storage);
    storage << "}";
  }
}

ObjectClassifier ObjectClassifier::read(const cv::FileNode& node, const std::string& path) {
  if (!node.isMap()) throw InputError(path + ": 'classifier' must be a mapping of class names");
  ObjectClassifier classifier;
  for (const cv::FileNode& entry : node) {
    const std::string name = entry.name();
    if (name != "tent" && name != "vehicle")
      throw InputError(path + ": classifier for unknown class '" + name + "'");
    const ObjectClass cls = name == "tent" ? ObjectClass::Tent : ObjectClass::Vehicle;
    classifier.classes_[index(cls)] = VotingForest::read(entry, kFeatureCount, path, "classifier '" + name + "'");
  }
  return classifier;
}

}  // namespace campscope

#include "classifier.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <stdexcept>

#include "campscope/types.h"

namespace campscope {

namespace {

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
                         std::uint64_t seed, ForestSize size) {
  if (samples.rows != static_cast<int>(labels.size()) || samples.cols != feature_count || samples.type() != CV_32F)
    throw std::invalid_argument("classifier: samples and labels do not match");
  const bool both = std::count(labels.begin(), labels.end(), 1) > 0 && std::count(labels.begin(), labels.end(), 0) > 0;
  if (!both) throw std::invalid_argument("classifier: training needs true and false examples");
  cv::Ptr<cv::ml::RTrees> forest = cv::ml::RTrees::create();
  forest->setMaxDepth(size.max_depth);
  forest->setMinSampleCount(kMinSamplesPerLeaf);
  forest->setCalculateVarImportance(false);
  forest->setTermCriteria(cv::TermCriteria(cv::TermCriteria::MAX_ITER, size.trees, 0.0));
  // The forest draws its bootstrap samples and split variables from OpenCV's global generator.
  cv::theRNG().state = seed == 0 ? 1 : seed;
  cv::Mat responses(static_cast<int>(labels.size()), 1, CV_32S, const_cast<int*>(labels.data()));
  forest->train(cv::ml::TrainData::create(samples, cv::ml::ROW_SAMPLE, responses.clone()));
  forest_ = forest;
  flatten_trees(feature_count);
}

void VotingForest::flatten_trees(int feature_count) {
  const std::vector<cv::ml::DTrees::Node>& nodes = forest_->getNodes();
  const std::vector<cv::ml::DTrees::Split>& splits = forest_->getSplits();
  const auto is_node = [&](int index) { return index >= 0 && static_cast<std::size_t>(index) < nodes.size(); };
  CV_Assert(feature_count <= std::numeric_limits<std::int16_t>::max());  // TreeNode::feature names each one
  nodes_.clear();
  nodes_.reserve(nodes.size());
  roots_.clear();
  // Each tree in depth-first order, a node's left child right after it: the nodes of a walk lie close together.
  // `patch`: the node whose right child this is (kRoot, kLeftChild: none to patch).
  constexpr int kRoot = -1, kLeftChild = -2;
  struct Pending {
    int opencv_index, patch;
  };
  std::vector<Pending> pending;
  for (const int root : forest_->getRoots()) {
    if (!is_node(root)) throw std::invalid_argument("a tree whose root it does not hold");
    pending.push_back({root, kRoot});
    while (!pending.empty()) {
      const Pending next = pending.back();
      pending.pop_back();
      const int index = static_cast<int>(nodes_.size());
      if (next.patch >= 0) nodes_[static_cast<std::size_t>(next.patch)].right = index;
      if (next.patch == kRoot) roots_.push_back(index);
      const cv::ml::DTrees::Node& node = nodes[static_cast<std::size_t>(next.opencv_index)];
      TreeNode flat;
      if (node.split < 0) {
        flat.votes_true = node.value == 1.0;
        nodes_.push_back(flat);
        continue;
      }
      // OpenCV's walk takes a node's first split only (the others are surrogates).
      const cv::ml::DTrees::Split& split = splits[static_cast<std::size_t>(node.split)];
      if (split.varIdx < 0 || split.varIdx >= feature_count || !is_node(node.left) || !is_node(node.right))
        throw std::invalid_argument("a split on feature " + std::to_string(split.varIdx) + " of " +
                                    std::to_string(feature_count) + " or to a node it does not hold");
      flat.feature = static_cast<std::int16_t>(split.varIdx);
      flat.split_value = split.c;
      flat.missing_goes_right = node.defaultDir >= 0;
      nodes_.push_back(flat);
      // The left child is taken next, so it lands right after this node; the right one waits for its index.
      pending.push_back({node.right, index});
      pending.push_back({node.left, kLeftChild});
    }
  }
  feature_count_ = feature_count;
}

template <typename Stop>
int VotingForest::votes_for_true(const cv::Mat& feature_row, Stop stop) const {
  CV_Assert(feature_row.type() == CV_32F && feature_row.rows == 1 && feature_row.cols == feature_count_ &&
            feature_row.isContinuous());
  const float* row = feature_row.ptr<float>();
  const float missing = cv::ml::TrainData::missingValue();
  const TreeNode* nodes = nodes_.data();
  int votes = 0;
  for (std::size_t tree = 0; tree < roots_.size(); ++tree) {
    int at = roots_[tree];
    while (nodes[at].feature >= 0) {
      const TreeNode& node = nodes[at];
      const float value = row[node.feature];
      const bool right = value == missing ? node.missing_goes_right : !(value <= node.split_value);
      at = right ? node.right : at + 1;
    }
    votes += nodes[at].votes_true ? 1 : 0;
    if (stop(static_cast<int>(tree) + 1, votes)) break;
  }
  return votes;
}

double VotingForest::probability(const cv::Mat& feature_row) const {
  if (forest_.empty()) return 1.0;
  const int votes = votes_for_true(feature_row, [](int, int) { return false; });
  return static_cast<double>(votes) / static_cast<double>(roots_.size());
}

double VotingForest::probability_against_threshold(const cv::Mat& feature_row) const {
  if (forest_.empty()) return 1.0;
  const int trees = static_cast<int>(roots_.size());
  int walked = trees;
  const int votes = votes_for_true(feature_row, [&](int trees_walked, int votes_so_far) {
    walked = trees_walked;
    // The best it can still become, computed as the final fraction is: below the threshold, it is decided.
    return static_cast<double>(votes_so_far + (trees - trees_walked)) / static_cast<double>(trees) < threshold;
  });
  return static_cast<double>(votes + (trees - walked)) / static_cast<double>(trees);
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
  // A vote fraction: above 1 nothing would pass, below 0 everything, and the run would not say so.
  const double fraction = static_cast<double>(threshold);
  if (!(fraction >= 0.0 && fraction <= 1.0))
    throw InputError(path + ": " + what + " has threshold " + std::to_string(fraction) +
                     ", not a vote fraction between 0 and 1");
  if (!forest.isMap()) throw InputError(path + ": " + what + " has no forest");
  cv::Ptr<cv::ml::RTrees> trees = cv::ml::RTrees::create();
  try {
    trees->read(forest);
  } catch (const cv::Exception& e) {
    throw InputError(path + ": " + what + " cannot be read (" + e.err + ")");
  }
  if (!trees->isTrained()) throw InputError(path + ": " + what + " is not a trained forest");
  // The features change with campscope's version (the vehicle look's went from 356 to 186 on 2026-11-28).
  if (trees->getVarCount() != feature_count)
    throw InputError(path + ": " + what + " is a forest over " + std::to_string(trees->getVarCount()) +
                     " features, not the " + std::to_string(feature_count) +
                     " this campscope measures (fitted by another version? calibrate again)");
  const cv::FileNode types = forest["var_type"];
  for (int i = 0; i < feature_count; ++i)
    if (!types.isSeq() || static_cast<int>(types.size()) <= i || static_cast<int>(types[i]) != cv::ml::VAR_ORDERED)
      throw InputError(path + ": " + what + " is not a forest over " + std::to_string(feature_count) +
                       " ordered features");
  VotingForest result;
  result.forest_ = trees;
  try {
    result.flatten_trees(feature_count);
  } catch (const std::invalid_argument& e) {
    throw InputError(path + ": " + what + " has " + e.what());
  }
  result.threshold = fraction;
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

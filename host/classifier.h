// Learned classifiers fitted to an analyst's labels by `campscope calibrate`: random forests (OpenCV ml) whose vote
// fraction becomes an object's score. They run on the host after either backend, so both still give the same
// detections.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/ml.hpp>

#include "campscope/detect.h"

namespace campscope {

// How many trees a forest grows and how deep: the defaults for a classifier, fewer and shallower for a cheap first
// screen.
struct ForestSize {
  int trees = 100;
  int max_depth = 12;
};

// A random forest over rows of `feature_count` CV_32F values with a decision threshold on its vote fraction.
class VotingForest {
 public:
  // Deterministic for a given seed. Needs both kinds of label (1: a true object, 0: not).
  void train(const cv::Mat& samples, const std::vector<int>& labels, int feature_count, std::uint64_t seed,
             ForestSize size = ForestSize{});
  bool trained() const { return !forest_.empty(); }
  // The fraction of trees that vote for a true object; 1 when untrained.
  double probability(const cv::Mat& feature_row) const;
  // probability(), counted only as far as it takes to decide it against the threshold: exact when it reaches the
  // threshold, otherwise some value below it. Most candidates are plainly not vehicles (95% of a generated scene's
  // vote under 0.05), and the trees left once the threshold is out of their reach are not walked.
  double probability_against_threshold(const cv::Mat& feature_row) const;
  double threshold = 0.5;

  // The threshold and the forest under the FileStorage's current map.
  void write(cv::FileStorage& storage) const;
  // From what write() produced; InputError naming `path` and `what` when the node is not such a forest.
  static VotingForest read(const cv::FileNode& node, int feature_count, const std::string& path,
                           const std::string& what);

 private:
  // A node of the forest's trees as OpenCV's RTrees predict walks it (all features are ordered): an inner node
  // sends a row left when its feature is at most `split_value` (or, for OpenCV's missing value, its default way);
  // a leaf (feature < 0) votes for a true object when `votes_true`. Copies of OpenCV's nodes and splits, so a walk
  // can stop after any tree (OpenCV's getVotes always walks all of them), laid out depth first with a node's left
  // child right after it, in 12 bytes instead of OpenCV's 40 and a split's 24: a walk reads a few cache lines.
  struct TreeNode {
    float split_value = 0.0f;
    std::int32_t right = -1;
    std::int16_t feature = -1;
    bool missing_goes_right = false;
    bool votes_true = false;
  };
  // Fills roots_ and nodes_ from forest_; std::invalid_argument where a split is on no feature of `feature_count`
  // or leads to no node (a damaged model file).
  void flatten_trees(int feature_count);
  // Walks the trees in order, stopping when `stop(trees walked, votes for true)` says so; the votes for true.
  template <typename Stop>
  int votes_for_true(const cv::Mat& feature_row, Stop stop) const;

  cv::Ptr<cv::ml::RTrees> forest_;
  std::vector<int> roots_;
  std::vector<TreeNode> nodes_;
  int feature_count_ = 0;
};

// A second opinion on the objects the detector's rules accept: per class, a forest over the object's measurements.
// An object whose score is below the class threshold is dropped.
class ObjectClassifier {
 public:
  static constexpr int kFeatureCount = 14;
  // One row of kFeatureCount CV_32F values describing the object's region.
  static cv::Mat features(const ObjectMeasurements& m);

  // Fits the forest of one class to rows of features() and labels (1: a true object, 0: not). Deterministic for
  // a given seed. Needs both kinds of label.
  void train(ObjectClass cls, const cv::Mat& samples, const std::vector<int>& labels, std::uint64_t seed);
  void set_threshold(ObjectClass cls, double threshold) { classes_[index(cls)].threshold = threshold; }
  double threshold(ObjectClass cls) const { return classes_[index(cls)].threshold; }
  bool trained(ObjectClass cls) const { return classes_[index(cls)].trained(); }
  // Drops the class's forest: its objects are all accepted again.
  void forget(ObjectClass cls) { classes_[index(cls)] = VotingForest{}; }

  // The fraction of trees that call the object true; 1 for a class without a forest.
  double probability(ObjectClass cls, const ObjectMeasurements& m) const;
  double probability(ObjectClass cls, const cv::Mat& feature_row) const;
  bool accepts(ObjectClass cls, double probability) const { return probability >= threshold(cls); }

  // Under the FileStorage's current map: one map per trained class with its threshold and forest.
  void write(cv::FileStorage& storage) const;
  // From what write() produced; InputError naming `path` when the node is not a classifier.
  static ObjectClassifier read(const cv::FileNode& node, const std::string& path);

 private:
  static std::size_t index(ObjectClass cls) { return cls == ObjectClass::Tent ? 0 : 1; }
  std::array<VotingForest, 2> classes_;
};

}  // namespace campscope

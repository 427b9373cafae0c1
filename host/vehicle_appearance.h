// Vehicles told apart by their look. The detector's region rules measure a vehicle from a flood of "not ground"
// pixels, which real imagery breaks (a car's soft edges, glass and roof split it; a queue merges). With a fitted
// model, every detector candidate that is not a tent is judged instead by a random forest over the image patch
// around it, turned to the patch's dominant orientation (HOG of its brightness, its colour against its border),
// together with the rules' own verdict and measurements, which carry across resolutions and scenes.
// Host code over the candidates either backend found, so both backends still give the same detections.
#pragma once
#include <opencv2/core.hpp>
#include <string>
#include <vector>

#include "campscope/image.h"
#include "classifier.h"

namespace campscope {

class VehicleAppearance {
 public:
  // A car with a lane's width of road around it, or a truck's cab or cargo; the same ground size at any GSD.
  static constexpr double kPatchM = 8.0;
  static constexpr int kPatchCells = 16;
  static int feature_count();
  // One row of feature_count() CV_32F values: the patch centred on the candidate (which lies in `block`; pixels
  // beyond the block are mirrored in), what the rules measured of its region, and the GSD.
  static cv::Mat features(const RgbBlock& block, const CandidatePoint& candidate, double gsd_m);
  // A cheap first look, without turning or resampling a patch (about a tenth of features()): one row of
  // screen_feature_count() CV_32F values, what the rules measured of the candidate's region, the GSD, and the mean
  // colours and luma spreads of the box 2 m across about it and of the ring 3-4 m out (block pixels, the edge
  // repeated past it).
  static int screen_feature_count();
  static cv::Mat screen_features(const RgbBlock& block, const CandidatePoint& candidate, double gsd_m);

  VotingForest forest;
  // Trained with the forest (calibrate), on screen_features(): a candidate it votes under its threshold is one the
  // forest would not take, and is not looked at further. Untrained (a model calibrated before it existed), every
  // candidate is looked at.
  VotingForest screen;
  // The forest's role. Replacing: every candidate is judged by its look, and the rules' vehicles are not kept (real
  // imagery, where the rules' regions break up cars). Adding: the rules' vehicles are kept as they are, and the
  // forest judges only the candidates the rules left, adding those not part of a vehicle already kept (scenes
  // where the rules do well on their own, or a mix of both kinds). `calibrate` keeps the role that did better out
  // of fold.
  bool adds_to_rules = false;
};

// Each candidate's features and, with a model, its vote (probability_against_threshold), on the CPU threads (the
// candidates are independent, and as many as the block's local maxima). A candidate the model's screen refuses
// gets vote 0 and an empty feature row, unless `screen_rows` is given (calibrate): then every candidate gets its
// feature row and its screen row. Rethrows the first error once all are done.
void look_at_candidates(const RgbBlock& block, const std::vector<CandidatePoint>& candidates, double gsd_m,
                        const VehicleAppearance* model, std::vector<cv::Mat>& features,
                        std::vector<double>& probability, std::vector<cv::Mat>* screen_rows = nullptr);

}  // namespace campscope

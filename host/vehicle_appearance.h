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

  VotingForest forest;
  // The forest's role. Replacing: every candidate is judged by its look, and the rules' vehicles are not kept (real
  // imagery, where the rules' regions break up cars). Adding: the rules' vehicles are kept as they are, and the
  // forest judges only the candidates the rules left, adding those not part of a vehicle already kept (scenes
  // where the rules do well on their own, or a mix of both kinds). `calibrate` keeps the role that did better out
  // of fold.
  bool adds_to_rules = false;
};

// Each candidate's features and, with a model, its vote (probability_against_threshold), on the CPU threads (the
// candidates are independent, and as many as the block's local maxima). Rethrows the first error once all are done.
void look_at_candidates(const RgbBlock& block, const std::vector<CandidatePoint>& candidates, double gsd_m,
                        const VehicleAppearance* model, std::vector<cv::Mat>& features,
                        std::vector<double>& probability);

}  // namespace campscope

// `campscope calibrate`: fits the detector to an analyst's labels. The manifest's tiles are split (seeded) into
// training and validation tiles. On the training tiles the detector runs with its built-in limits, every object
// it finds is marked true or false by one-to-one matching with the labels, and a random forest per class learns to
// tell them apart (OpenCV ml); each class's decision threshold is chosen by 3-fold cross-validation over the
// training tiles to maximise F1. Where the labels hold vehicles, vehicles are instead judged by their look: every
// detector candidate that is no tent is labelled by its distance to the nearest vehicle label and a forest over its
// image patch (VehicleAppearance) learns them, its threshold chosen the same way on whole-run vehicle F1; the way
// with the higher out-of-fold F1 judges vehicles. The validation tiles then measure the built-in detector and the
// calibrated one.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "campscope/backend.h"
#include "evaluate.h"
#include "model.h"

namespace campscope {

struct CalibrateOptions {
  std::string manifest_path;
  std::string truth_path;  // labelled objects: GeoJSON points with class and date, like truth.geojson
  std::uint64_t seed = 1;
  double validation_fraction = 0.3;  // of the tiles, at least one each side
  double radius_m = 2.0;             // a detection within this distance of a label of its class and date is true
  Backend backend = Backend::Cpu;
  // The appearance features of every candidate on the training tiles are held at once, about 0.75 KB each: a
  // million (some 50 tiles of 10,000^2 pixels of camp) is 0.75 GB, while the labelled tiles of a delivery hold far
  // fewer (a generated scene's 13 training tiles: 20,000). More is an InputError naming the tile.
  std::size_t max_training_candidates = 1000000;
  // Whether the built-in detector it is measured against, and leaves vehicles to when it does better, has the
  // built-in vehicle look model; off when training that model (bench/train_builtin_model.sh), which must stand on
  // the rules alone.
  bool with_builtin_look = true;
};

struct CalibrationResult {
  DetectorModel model;
  std::vector<std::string> training_tiles, validation_tiles;
  long long labels_on_tiles = 0, labels_off_tiles = 0;
  std::map<std::string, long long> true_examples, false_examples;  // per class, on the training tiles
  std::map<std::string, MatchCounts> builtin, calibrated;          // per class, on the validation tiles
  // Out-of-fold vehicle F1 on the training tiles of each way to judge vehicles; -1 where not measured.
  double vehicle_look_f1 = -1.0, vehicle_look_added_f1 = -1.0, vehicle_rules_f1 = -1.0;
  // The look's first screen on the training candidates: the share it refuses, and of those the look takes (out of
  // fold where folds were made), how many it refuses too; -1 where no screen was fitted.
  double screen_refused_share = -1.0;
  long long screen_taken = -1, screen_taken_refused = -1;
  // Per class whose forest won out of fold but lost to the rules alone on the validation tiles (and was left out):
  // its validation F1.
  std::map<std::string, double> forest_left_out_f1;
  // Where the vehicles judged the fitted way did worse on the validation tiles than the built-in detector's, and
  // the model leaves them to the built-in look model: their validation F1; -1 otherwise.
  double vehicles_left_to_builtin_f1 = -1.0;
};

// Throws InputError naming the file for a manifest with fewer than two tiles, labels that are not a point
// FeatureCollection, labels of which none lies on a tile of its date, or training tiles with more than
// max_training_candidates candidates.
CalibrationResult calibrate_detector(const CalibrateOptions& options);

// What calibrate prints: the split, the examples, the thresholds and precision/recall/F1 on the validation tiles
// for the built-in and the calibrated detector.
std::string calibration_report(const CalibrationResult& result);

}  // namespace campscope

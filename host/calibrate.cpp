#include "calibrate.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <random>
#include <sstream>

#include "geotiff.h"
#include "inputs.h"
#include "outputs.h"
#include "pipeline.h"

namespace campscope {
namespace {

constexpr int kFolds = 3;
constexpr std::array<ObjectClass, 2> kClasses = {ObjectClass::Tent, ObjectClass::Vehicle};

// The built-in limits widened, so that borderline objects reach the classifier, which is there to reject what the
// wider limits let through.
DetectorParams widened(DetectorParams p) {
  p.vehicle_min_contrast = 40;
  p.vehicle_min_length_m = 3.2;
  p.vehicle_min_width_m = 1.3;
  p.vehicle_min_elongation = 1.5;
  p.min_fill = 0.62;
  p.tent_min_brightness_gain = 12;
  p.tent_min_width_m = 2.0;
  return p;
}

// Tiles in a seeded order (Fisher-Yates over mt19937_64, the same on every platform); the last ones validate.
std::vector<bool> validation_split(std::size_t tiles, double fraction, std::uint64_t seed) {
  std::vector<std::size_t> order(tiles);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::mt19937_64 random(seed);
  for (std::size_t i = tiles - 1; i > 0; --i) std::swap(order[i], order[random() % (i + 1)]);
  const auto held_out = static_cast<std::size_t>(
      std::clamp<long long>(std::llround(fraction * static_cast<double>(tiles)), 1, static_cast<long long>(tiles) - 1));
  std::vector<bool> validation(tiles, false);
  for (std::size_t k = tiles - held_out; k < tiles; ++k) validation[order[k]] = true;
  return validation;
}

// One side of the split: its detections (overlaps merged per date) with their measurements and tiles, and the
// labels lying on its tiles.
struct SplitData {
  std::vector<Detection> detections;
  std::vector<ObjectMeasurements> measured;
  std::vector<std::size_t> tile_of;  // index among this side's tiles
  std::vector<Detection> labels;
  std::vector<std::size_t> label_tile;  // the first of this side's tiles each label lies on
};

SplitData detect_split(const std::vector<const TileEntry*>& tiles, const std::vector<Detection>& labels,
                       const RunOptions& run, std::vector<char>& label_on_a_tile) {
  SplitData split;
  std::vector<char> taken(labels.size(), 0);
  std::map<std::string, std::vector<std::size_t>> by_date;  // indices into the unmerged lists
  std::vector<Detection> found;
  std::vector<ObjectMeasurements> measured;
  std::vector<std::size_t> tile_of;
  for (std::size_t t = 0; t < tiles.size(); ++t) {
    const TileReader reader(tiles[t]->resolved_path);
    for (std::size_t i = 0; i < labels.size(); ++i) {
      if (labels[i].date != tiles[t]->date) continue;
      double px = 0, py = 0;
      reader.lonlat_to_pixel(labels[i].lon, labels[i].lat, px, py);
      if (!(px >= 0 && py >= 0 && px < reader.info().width && py < reader.info().height)) continue;
      label_on_a_tile[i] = 1;
      if (!taken[i]) {
        split.labels.push_back(labels[i]);
        split.label_tile.push_back(t);
      }
      taken[i] = 1;
    }
    TileDetections tile = detect_tile(*tiles[t], run);
    for (std::size_t k = 0; k < tile.detections.size(); ++k) {
      by_date[tile.detections[k].date].push_back(found.size());
      found.push_back(tile.detections[k]);
      measured.push_back(tile.measured[k]);
      tile_of.push_back(t);
    }
  }
  for (const auto& [date, members] : by_date) {
    std::vector<Detection> same_date;
    for (std::size_t i : members) same_date.push_back(found[i]);
    for (std::size_t kept : merge_overlaps(same_date, run.detector.duplicate_radius_m)) {
      const std::size_t i = members[kept];
      split.detections.push_back(found[i]);
      split.measured.push_back(measured[i]);
      split.tile_of.push_back(tile_of[i]);
    }
  }
  return split;
}

struct ClassExamples {
  cv::Mat samples;
  std::vector<int> labels;
  std::vector<std::size_t> tile_of;
  long long truth = 0;  // labels of this class on the split's tiles
};

ClassExamples examples_of(const SplitData& split, const std::vector<char>& matched, ObjectClass cls) {
  ClassExamples examples;
  for (std::size_t i = 0; i < split.detections.size(); ++i) {
    if (split.detections[i].cls != cls) continue;
    examples.samples.push_back(ObjectClassifier::features(split.measured[i]));
    examples.labels.push_back(matched[i] ? 1 : 0);
    examples.tile_of.push_back(split.tile_of[i]);
  }
  for (const Detection& label : split.labels) examples.truth += label.cls == cls;
  return examples;
}

// The threshold on out-of-fold forest votes that maximises F1 over the training tiles (ties: the lower threshold,
// which keeps more objects). Folds are whole tiles, so neighbouring objects never sit on both sides.
double cross_validated_threshold(const ClassExamples& examples, ObjectClass cls, std::size_t tiles,
                                 std::uint64_t seed) {
  const int folds = static_cast<int>(std::min<std::size_t>(kFolds, tiles));
  if (folds < 2) return 0.5;
  std::vector<double> out_of_fold(examples.labels.size(), -1.0);
  for (int fold = 0; fold < folds; ++fold) {
    cv::Mat samples;
    std::vector<int> labels;
    for (std::size_t i = 0; i < examples.labels.size(); ++i)
      if (static_cast<int>(examples.tile_of[i] % folds) != fold) {
        samples.push_back(examples.samples.row(static_cast<int>(i)));
        labels.push_back(examples.labels[i]);
      }
    if (std::count(labels.begin(), labels.end(), 1) == 0 || std::count(labels.begin(), labels.end(), 0) == 0)
      continue;
    ObjectClassifier fold_model;
    fold_model.train(cls, samples, labels, seed + static_cast<std::uint64_t>(fold) + 1);
    for (std::size_t i = 0; i < examples.labels.size(); ++i)
      if (static_cast<int>(examples.tile_of[i] % folds) == fold)
        out_of_fold[i] = fold_model.probability(cls, examples.samples.row(static_cast<int>(i)));
  }
  double best_threshold = 0.5, best_f1 = -1.0;
  for (int step = 1; step < 20; ++step) {
    const double threshold = 0.05 * step;
    long long tp = 0, fp = 0;
    for (std::size_t i = 0; i < examples.labels.size(); ++i) {
      if (out_of_fold[i] < 0.0 || out_of_fold[i] < threshold) continue;
      (examples.labels[i] ? tp : fp) += 1;
    }
    MatchCounts counts;
    counts.true_positives = tp;
    counts.false_positives = fp;
    counts.false_negatives = std::max(0LL, examples.truth - tp);
    if (counts.f1() > best_f1 + 1e-12) {
      best_f1 = counts.f1();
      best_threshold = threshold;
    }
  }
  return best_threshold;
}

// Per-class counts of detections against labels.
std::map<std::string, MatchCounts> score(const std::vector<Detection>& detections, const std::vector<Detection>& labels,
                                         double radius_m) {
  const EvalResult result = evaluate_detections(labels, detections, radius_m);
  std::map<std::string, MatchCounts> counts;
  for (ObjectClass cls : kClasses) {
    const auto found = result.by_class.find(class_name(cls));
    counts[class_name(cls)] = found == result.by_class.end() ? MatchCounts{} : found->second;
  }
  return counts;
}

// Standard deviation of tent recall across the validation tiles with enough labelled tents to measure it.
double tile_recall_spread(const SplitData& found, const SplitData& labelled, double radius_m) {
  constexpr long long kMinTentsPerTile = 20;
  std::map<std::size_t, std::pair<std::vector<Detection>, std::vector<Detection>>> per_tile;  // labels, detections
  for (std::size_t i = 0; i < labelled.labels.size(); ++i)
    if (labelled.labels[i].cls == ObjectClass::Tent) per_tile[labelled.label_tile[i]].first.push_back(labelled.labels[i]);
  for (std::size_t i = 0; i < found.detections.size(); ++i)
    if (found.detections[i].cls == ObjectClass::Tent) per_tile[found.tile_of[i]].second.push_back(found.detections[i]);
  std::vector<double> recalls;
  for (const auto& [tile, sets] : per_tile) {
    if (static_cast<long long>(sets.first.size()) < kMinTentsPerTile) continue;
    const EvalResult result = evaluate_detections(sets.first, sets.second, radius_m);
    recalls.push_back(result.by_class.at(class_name(ObjectClass::Tent)).recall());
  }
  if (recalls.size() < 2) return 0.0;
  double mean = 0.0, squares = 0.0;
  for (double r : recalls) mean += r / static_cast<double>(recalls.size());
  for (double r : recalls) squares += (r - mean) * (r - mean);
  return std::sqrt(squares / static_cast<double>(recalls.size() - 1));
}

std::string figure(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.4f", value);
  return text;
}

}  // namespace

CalibrationResult calibrate_detector(const CalibrateOptions& options) {
  const Manifest manifest = load_manifest(options.manifest_path);
  if (manifest.tiles.size() < 2)
    throw InputError(options.manifest_path + ": calibration needs at least two tiles (some are held out to validate)");
  const std::vector<Detection> labels = load_points_geojson(options.truth_path);
  if (labels.empty()) throw InputError(options.truth_path + ": no labelled objects");
  if (!(options.validation_fraction > 0.0 && options.validation_fraction < 1.0))
    throw InputError("calibrate: --validation-fraction must lie strictly between 0 and 1");

  CalibrationResult result;
  const std::vector<bool> validation = validation_split(manifest.tiles.size(), options.validation_fraction,
                                                        options.seed);
  std::vector<const TileEntry*> training_tiles, validation_tiles;
  for (std::size_t t = 0; t < manifest.tiles.size(); ++t) {
    (validation[t] ? validation_tiles : training_tiles).push_back(&manifest.tiles[t]);
    (validation[t] ? result.validation_tiles : result.training_tiles).push_back(manifest.tiles[t].path);
  }

  RunOptions run;
  run.backend = options.backend;
  run.detector = widened(DetectorParams{});
  RunOptions builtin;
  builtin.backend = options.backend;
  std::vector<char> label_on_a_tile(labels.size(), 0);
  const SplitData training = detect_split(training_tiles, labels, run, label_on_a_tile);
  const SplitData validating = detect_split(validation_tiles, labels, builtin, label_on_a_tile);
  result.labels_on_tiles = std::count(label_on_a_tile.begin(), label_on_a_tile.end(), 1);
  result.labels_off_tiles = static_cast<long long>(labels.size()) - result.labels_on_tiles;
  if (training.labels.empty())
    throw InputError(options.truth_path + ": none of the labels lies on a training tile of its date");

  const std::vector<char> matched =
      evaluate_detections(training.labels, training.detections, options.radius_m).detection_matched;
  auto classifier = std::make_shared<ObjectClassifier>();
  for (ObjectClass cls : kClasses) {
    const ClassExamples examples = examples_of(training, matched, cls);
    const auto positives = std::count(examples.labels.begin(), examples.labels.end(), 1);
    result.true_examples[class_name(cls)] = positives;
    result.false_examples[class_name(cls)] = static_cast<long long>(examples.labels.size()) - positives;
    if (positives == 0 || positives == static_cast<long long>(examples.labels.size())) continue;
    classifier->set_threshold(cls, cross_validated_threshold(examples, cls, training_tiles.size(), options.seed));
    classifier->train(cls, examples.samples, examples.labels, options.seed);
  }

  // Validation: the built-in detector and the calibrated one, each exactly as `campscope run` would use it.
  RunOptions calibrated = run;
  calibrated.classifier = classifier;
  std::vector<char> seen_again(labels.size(), 0);
  const SplitData calibrated_validation = detect_split(validation_tiles, labels, calibrated, seen_again);
  result.builtin = score(validating.detections, validating.labels, options.radius_m);
  result.calibrated = score(calibrated_validation.detections, validating.labels, options.radius_m);

  result.model.params = run.detector;
  result.model.classifier = classifier;
  // What the population interval needs: the calibrated tent detector's precision and recall on tiles it did not
  // learn from. A camp's count comes from one or two tiles, so the margin is the spread of recall from tile to
  // tile (imaging conditions differ more between tiles than counting noise does), at least two binomial standard
  // errors and the built-in margin.
  const MatchCounts& tents = result.calibrated[class_name(ObjectClass::Tent)];
  if (tents.truth_count() > 0 && tents.true_positives > 0) {
    DetectorAccuracy accuracy;
    accuracy.weak_recall_low = 0.0;  // its own measured recall replaces the built-in weak-tent rule
    accuracy.precision = tents.precision();
    accuracy.recall = tents.recall();
    const double precision_error = std::sqrt(accuracy.precision * (1.0 - accuracy.precision) /
                                             static_cast<double>(tents.detected_count()));
    const double recall_error =
        std::sqrt(accuracy.recall * (1.0 - accuracy.recall) / static_cast<double>(tents.truth_count()));
    accuracy.margin = std::max({DetectorAccuracy{}.margin, 2.0 * std::max(precision_error, recall_error),
                                tile_recall_spread(calibrated_validation, validating, options.radius_m)});
    result.model.accuracy = accuracy;
  }
  auto& record = result.model.calibration;
  record["seed"] = std::to_string(options.seed);
  record["training_tiles"] = std::to_string(training_tiles.size());
  record["validation_tiles"] = std::to_string(validation_tiles.size());
  for (ObjectClass cls : kClasses) {
    const std::string name = class_name(cls);
    const MatchCounts& c = result.calibrated[name];
    record["validation_" + name + "_precision"] = figure(c.precision());
    record["validation_" + name + "_recall"] = figure(c.recall());
    record["validation_" + name + "_f1"] = figure(c.f1());
    record["builtin_validation_" + name + "_f1"] = figure(result.builtin[name].f1());
  }
  return result;
}

std::string calibration_report(const CalibrationResult& result) {
  std::ostringstream out;
  out << "tiles: " << result.training_tiles.size() << " training, " << result.validation_tiles.size()
      << " validation\nlabels: " << result.labels_on_tiles << " on tiles of their date";
  if (result.labels_off_tiles > 0) out << ", " << result.labels_off_tiles << " on no tile (ignored)";
  out << "\n";
  char line[256];
  std::snprintf(line, sizeof line, "%-8s %9s %9s %9s | %-10s %9s %9s %9s | %-10s %9s %9s %9s\n", "class",
                "true ex.", "false ex.", "threshold", "built-in", "precision", "recall", "F1", "calibrated",
                "precision", "recall", "F1");
  out << line;
  for (ObjectClass cls : kClasses) {
    const std::string name = class_name(cls);
    const MatchCounts& b = result.builtin.at(name);
    const MatchCounts& c = result.calibrated.at(name);
    const std::string threshold =
        result.model.classifier && result.model.classifier->trained(cls) ? figure(result.model.classifier->threshold(cls))
                                                                         : "none";
    std::snprintf(line, sizeof line, "%-8s %9lld %9lld %9s | %-10s %9.4f %9.4f %9.4f | %-10s %9.4f %9.4f %9.4f\n",
                  name.c_str(), result.true_examples.at(name), result.false_examples.at(name), threshold.c_str(), "",
                  b.precision(), b.recall(), b.f1(), "", c.precision(), c.recall(), c.f1());
    out << line;
  }
  out << "(precision, recall and F1 on the validation tiles, match radius as given)\n";
  return out.str();
}

}  // namespace campscope

// Detector model files: the detector's free parameters, and optionally learned classifiers (of objects and of
// vehicles' looks), as YAML (OpenCV FileStorage), written by `campscope calibrate` and read by `campscope run --model`.
#pragma once
#include <map>
#include <memory>
#include <string>

#include <optional>

#include "campscope/detect.h"
#include "classifier.h"
#include "estimate.h"
#include "vehicle_appearance.h"

namespace campscope {

struct DetectorModel {
  DetectorParams params;
  std::shared_ptr<const ObjectClassifier> classifier;  // none: every object the rules accept is kept
  // The tent detector's precision and recall measured on the calibration's validation tiles; they replace the
  // built-in figures in the population interval. None: the built-in figures apply.
  std::optional<DetectorAccuracy> accuracy;
  std::map<std::string, std::string> calibration;      // how the model was fitted, for the record
  std::shared_ptr<const VehicleAppearance> vehicle_appearance;  // none: the rules (and classifier) find vehicles
};

// Every field of DetectorParams under its own name, plus the optional maps `accuracy` (precision, recall, margin,
// each in (0, 1]), `classifier`, `vehicle_appearance` and `calibration`. Keys
// missing from the file keep their built-in default, so a hand-written file may set only what it changes; an
// unknown key or a value of the wrong type is an InputError naming the file and the key, as is a file that is
// not YAML.
// A file that names no `vehicle_appearance` gets the built-in one (builtin_vehicle_appearance); `vehicle_appearance:
// none` (as calibrate writes when the rules alone did best) means none.
DetectorModel load_detector_model(const std::string& path);

// The model a YAML text describes, `path` naming it in errors; no `vehicle_appearance` there leaves it null, and
// *names_vehicle_appearance says whether the text named one (a forest or none).
DetectorModel parse_detector_model(std::string text, const std::string& path,
                                   bool* names_vehicle_appearance = nullptr);

// Writes all parameter fields, the classifier when there is one and the calibration record, atomically
// (temporary file, then rename).
void save_detector_model(const DetectorModel& model, const std::string& path);

}  // namespace campscope

#include "model.h"

#include <cmath>
#include <memory>
#include <opencv2/core.hpp>
#include <string_view>

#include "builtin_model.h"
#include "campscope/types.h"
#include "inputs.h"
#include "outputs.h"

namespace campscope {
namespace {

// A model's `vehicle_appearance` when vehicles are the rules' alone, not even the built-in look adding to them.
constexpr const char* kNoVehicleAppearance = "none";

// The one list of DetectorParams fields and their names in model files.
template <typename Params, typename Visit>
void visit_fields(Params& p, Visit&& visit) {
  visit("vehicle_inner_m", p.vehicle_inner_m);
  visit("vehicle_outer_m", p.vehicle_outer_m);
  visit("tent_inner_m", p.tent_inner_m);
  visit("tent_outer_m", p.tent_outer_m);
  visit("min_contrast", p.min_contrast);
  visit("nms_radius_m", p.nms_radius_m);
  visit("region_radius_m", p.region_radius_m);
  visit("shadow_brightness", p.shadow_brightness);
  visit("tent_min_width_m", p.tent_min_width_m);
  visit("tent_max_length_m", p.tent_max_length_m);
  visit("tent_min_area_m2", p.tent_min_area_m2);
  visit("tent_max_area_m2", p.tent_max_area_m2);
  visit("tent_max_elongation", p.tent_max_elongation);
  visit("tent_min_brightness_gain", p.tent_min_brightness_gain);
  visit("tent_max_chroma", p.tent_max_chroma);
  visit("tarp_min_blue_excess", p.tarp_min_blue_excess);
  visit("vehicle_min_width_m", p.vehicle_min_width_m);
  visit("vehicle_max_width_m", p.vehicle_max_width_m);
  visit("vehicle_min_length_m", p.vehicle_min_length_m);
  visit("vehicle_max_length_m", p.vehicle_max_length_m);
  visit("vehicle_min_elongation", p.vehicle_min_elongation);
  visit("vehicle_max_elongation", p.vehicle_max_elongation);
  visit("vehicle_min_contrast", p.vehicle_min_contrast);
  visit("ground_tolerance", p.ground_tolerance);
  visit("min_fill", p.min_fill);
  visit("duplicate_radius_m", p.duplicate_radius_m);
}

// Sizes, thresholds and tolerances are all positive; pairs of limits must be ordered.
void check_consistent(const DetectorParams& p, const std::string& path) {
  const auto fail = [&](const std::string& what) { throw InputError(path + ": " + what); };
  visit_fields(p, [&](std::string_view name, auto value) {
    if (!(std::isfinite(static_cast<double>(value)) && value > 0))
      fail("'" + std::string(name) + "' must be a positive number");
  });
  if (p.vehicle_inner_m >= p.vehicle_outer_m) fail("vehicle_inner_m must be below vehicle_outer_m");
  if (p.tent_inner_m >= p.tent_outer_m) fail("tent_inner_m must be below tent_outer_m");
  if (p.vehicle_min_width_m > p.vehicle_max_width_m) fail("vehicle_min_width_m exceeds vehicle_max_width_m");
  if (p.vehicle_min_length_m > p.vehicle_max_length_m) fail("vehicle_min_length_m exceeds vehicle_max_length_m");
  if (p.vehicle_min_elongation > p.vehicle_max_elongation)
    fail("vehicle_min_elongation exceeds vehicle_max_elongation");
  if (p.tent_min_area_m2 > p.tent_max_area_m2) fail("tent_min_area_m2 exceeds tent_max_area_m2");
  if (p.shadow_brightness >= 1.0) fail("shadow_brightness must be below 1");
  if (p.min_fill > 1.0) fail("min_fill must not exceed 1");
}

}  // namespace

DetectorModel load_detector_model(const std::string& path) {
  bool names_vehicle_appearance = false;
  DetectorModel model = parse_detector_model(read_text_file(path), path, &names_vehicle_appearance);
  if (!names_vehicle_appearance) model.vehicle_appearance = builtin_vehicle_appearance();
  return model;
}

DetectorModel parse_detector_model(std::string text, const std::string& path, bool* names_vehicle_appearance) {
  if (names_vehicle_appearance) *names_vehicle_appearance = false;
  // OpenCV's reader insists on the YAML directive, which hand-written files often leave out.
  if (text.rfind("%YAML", 0) != 0) text = "%YAML:1.0\n---\n" + text;
  cv::FileStorage storage;
  try {
    storage.open(text, cv::FileStorage::READ | cv::FileStorage::MEMORY | cv::FileStorage::FORMAT_YAML);
  } catch (const cv::Exception& e) {
    throw InputError(path + ": not a valid YAML model file (" + e.err + ")");
  }
  if (!storage.isOpened()) throw InputError(path + ": not a valid YAML model file");
  const cv::FileNode root = storage.root();
  if (!root.isMap()) throw InputError(path + ": a model file must be a mapping of parameter names to numbers");

  DetectorModel model;
  DetectorParams& params = model.params;
  for (const cv::FileNode& node : root) {
    const std::string key = node.name();
    if (key == "classifier") {
      model.classifier = std::make_shared<const ObjectClassifier>(ObjectClassifier::read(node, path));
      continue;
    }
    if (key == "vehicle_appearance") {
      if (names_vehicle_appearance) *names_vehicle_appearance = true;
      if (node.isString() && static_cast<std::string>(node) == kNoVehicleAppearance) continue;
      if (!node.isMap())
        throw InputError(path + ": 'vehicle_appearance' must be a mapping or \"" + kNoVehicleAppearance + "\"");
      auto appearance = std::make_shared<VehicleAppearance>();
      appearance->forest =
          VotingForest::read(node, VehicleAppearance::feature_count(), path, "'vehicle_appearance'");
      const cv::FileNode adds = node["adds_to_rules"];
      if (!adds.empty()) {
        if (!adds.isInt() || (static_cast<int>(adds) != 0 && static_cast<int>(adds) != 1))
          throw InputError(path + ": 'vehicle_appearance' 'adds_to_rules' must be 0 or 1");
        appearance->adds_to_rules = static_cast<int>(adds) == 1;
      }
      const cv::FileNode screen = node["screen"];
      if (!screen.empty()) {
        if (!screen.isMap()) throw InputError(path + ": 'vehicle_appearance' 'screen' must be a mapping");
        appearance->screen = VotingForest::read(screen, VehicleAppearance::screen_feature_count(), path,
                                                "'vehicle_appearance' 'screen'");
      }
      model.vehicle_appearance = appearance;
      continue;
    }
    if (key == "accuracy") {
      if (!node.isMap()) throw InputError(path + ": 'accuracy' must be a mapping of precision, recall and margin");
      DetectorAccuracy accuracy;
      accuracy.weak_recall_low = 0.0;  // measured on the user's own imagery: the built-in weak-tent rule is off
      for (const cv::FileNode& entry : node) {
        const std::string name = entry.name();
        double* field = name == "precision" ? &accuracy.precision
                        : name == "recall"  ? &accuracy.recall
                        : name == "margin"  ? &accuracy.margin
                                            : nullptr;
        if (!field) throw InputError(path + ": unknown accuracy figure '" + name + "'");
        if (!entry.isReal() && !entry.isInt()) throw InputError(path + ": accuracy '" + name + "' must be a number");
        *field = static_cast<double>(entry);
        if (!(*field > 0.0 && *field <= 1.0)) throw InputError(path + ": accuracy '" + name + "' must lie in (0, 1]");
      }
      model.accuracy = accuracy;
      continue;
    }
    if (key == "calibration") {
      if (!node.isMap()) throw InputError(path + ": 'calibration' must be a mapping");
      for (const cv::FileNode& entry : node)
        model.calibration[entry.name()] = entry.isString() ? static_cast<std::string>(entry)
                                                           : std::to_string(static_cast<double>(entry));
      continue;
    }
    bool known = false;
    visit_fields(params, [&](std::string_view name, auto& field) {
      if (name != key) return;
      known = true;
      using Field = std::decay_t<decltype(field)>;
      if constexpr (std::is_integral_v<Field>) {
        if (!node.isInt()) throw InputError(path + ": '" + key + "' must be an integer");
        field = static_cast<int>(node);
      } else {
        if (!node.isInt() && !node.isReal()) throw InputError(path + ": '" + key + "' must be a number");
        field = static_cast<double>(node);
      }
    });
    if (!known) throw InputError(path + ": unknown parameter '" + key + "'");
  }
  check_consistent(params, path);
  return model;
}

void save_detector_model(const DetectorModel& model, const std::string& path) {
  cv::FileStorage storage(".yml", cv::FileStorage::WRITE | cv::FileStorage::MEMORY | cv::FileStorage::FORMAT_YAML);
  visit_fields(model.params, [&](std::string_view name, const auto& value) { storage << std::string(name) << value; });
  if (model.accuracy) {
    storage << "accuracy" << "{";
    storage << "precision" << model.accuracy->precision << "recall" << model.accuracy->recall << "margin"
            << model.accuracy->margin;
    storage << "}";
  }
  if (!model.calibration.empty()) {
    storage << "calibration" << "{";
    for (const auto& [key, value] : model.calibration) storage << key << value;
    storage << "}";
  }
  if (model.classifier) {
    storage << "classifier" << "{";
    model.classifier->write(storage);
    storage << "}";
  }
  if (model.vehicle_appearance == builtin_vehicle_appearance()) {
    // Named nowhere: the file loads the built-in look model, as it is in the binary that reads it.
  } else if (model.vehicle_appearance) {
    storage << "vehicle_appearance" << "{";
    model.vehicle_appearance->forest.write(storage);
    storage << "adds_to_rules" << (model.vehicle_appearance->adds_to_rules ? 1 : 0);
    if (model.vehicle_appearance->screen.trained()) {
      storage << "screen" << "{";
      model.vehicle_appearance->screen.write(storage);
      storage << "}";
    }
    storage << "}";
  } else {
    storage << "vehicle_appearance" << kNoVehicleAppearance;
  }
  write_file_atomically(path, storage.releaseAndGetString());
}

}  // namespace campscope

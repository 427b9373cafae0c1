// `campscope run`: tiles -> detections -> density maps -> per-camp estimates -> comparison with reported figures.
#pragma once
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "campscope/backend.h"
#include "builtin_model.h"
#include "campscope/detect.h"
#include "classifier.h"
#include "estimate.h"
#include "inputs.h"
#include "vehicle_appearance.h"

namespace campscope {

struct RunOptions {
  std::string manifest_path;
  std::string out_dir;
  Backend backend = Backend::Cpu;
  OccupancyModel occupancy;
  DetectorAccuracy accuracy;
  DetectorParams detector;
  std::shared_ptr<const ObjectClassifier> classifier;  // from a calibrated model; none: keep what the rules accept
  // Vehicles judged by their look, adding to the rules' vehicles or replacing them (VehicleAppearance::adds_to_rules):
  // the built-in model unless a model file says otherwise; none: the rules' vehicles alone.
  std::shared_ptr<const VehicleAppearance> vehicle_appearance = builtin_vehicle_appearance();
  int block_size = 1024;         // core pixels per block side; memory per block is bounded by this
  int decode_threads = 1;        // threads decompressing one tile's blocks (GDAL's GTiff NUM_THREADS)
  int tiles_in_flight = 1;       // tiles of a date detected at once (more keep a GPU busy while a tile's host work runs)
  double bandwidth_m = 25.0;     // Gaussian standard deviation of the density map
  double density_cell_m = 10.0;  // density raster pixel size
  bool progress_bar = false;     // redraw one line on stderr instead of printing log lines
};

struct RunResult {
  std::vector<CampDateEstimate> estimates;
  std::vector<ComparisonRow> comparison;
  std::vector<std::string> written_files;
  long long detections = 0;
};

// Validates every input before writing anything; throws InputError naming the file on bad input.
RunResult run_pipeline(const RunOptions& options);

// One tile's detections (before overlaps with other tiles are merged) and what the detector measured of each; with
// a candidate budget, also every candidate that is no tent, as a vehicle at its place, and its appearance and screen
// features (one row each, about 0.8 KB), to learn vehicles' looks from: InputError naming the tile when it holds more
// candidates than the budget.
struct TileDetections {
  std::vector<Detection> detections;
  std::vector<ObjectMeasurements> measured;
  std::vector<Detection> candidates;
  std::vector<Detection> candidate_placed;  // where a vehicle judged there by its look stands (CandidatePoint)
  cv::Mat candidate_features;
  cv::Mat candidate_screen_features;  // VehicleAppearance::screen_features, one row each
  std::vector<char> candidate_by_rules;  // 1 where the rules took the candidate for a vehicle
  std::vector<char> candidate_on_rules;  // 1 where it is part of a vehicle the rules found (part_of_a_found_vehicle)
};
TileDetections detect_tile(const TileEntry& entry, const RunOptions& options, std::size_t candidate_budget = 0);

// Overlapping tiles of one date see the same objects: the indices (ascending) of the detections kept when any two
// closer than radius_m are one object, the higher score winning, except that a tent always wins over a vehicle:
// tents are found far more precisely, and a vehicle judged by its look scores on another scale.
std::vector<std::size_t> merge_overlaps(const std::vector<Detection>& detections, double radius_m);

// The one-screen per-camp, per-date table printed on stdout.
std::string summary_table(const RunResult& result);

}  // namespace campscope

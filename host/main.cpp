// campscope command line: run, generate, eval. Exit 0 on success, 2 on bad input, 1 on any other failure; errors
// are one line on stderr naming the file and the problem.
#include <algorithm>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>
#include <iostream>
#include <map>
#include <omp.h>

#include "calibrate.h"
#include "campscope/backend.h"
#include "campscope/types.h"
#include "evaluate.h"
#include "generate.h"
#include "inputs.h"
#include "model.h"
#include "outputs.h"
#include "pipeline.h"

namespace {

// What `eval --by` reads from the truth, and its bucket width.
const std::map<std::string, std::pair<std::string, double>> kBreakdownProperties = {
    {"size", {"length_m", 1.0}}, {"gsd", {"gsd_m", 0.1}}, {"contrast", {"contrast", 25.0}}};

int fail(int code, const std::string& message) {
  std::fprintf(stderr, "campscope: error: %s\n", message.c_str());
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace campscope;
  CLI::App app{"campscope: tents, vehicles and population of displacement camps from satellite imagery"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string(CAMPSCOPE_VERSION));

  auto* run = app.add_subcommand("run", "Detect tents and vehicles in a batch of tiles and estimate camp populations");
  std::string manifest, out_dir, backend_name_arg = "auto";
  double persons_per_tent = 5.0, occupancy_low = 4.5, occupancy_high = 6.0, bandwidth_m = 25.0, cell_m = 10.0;
  int threads = 0, block_size = 1024, tiles_in_flight = 0;
  std::string model_path;
  run->add_option("manifest", manifest, "MANIFEST.json listing tiles (with dates), camps and reported figures")
      ->required()
      ->check(CLI::ExistingFile);
  run->add_option("--out", out_dir, "Output directory")->required();
  run->add_option("--backend", backend_name_arg, "auto, cpu or cuda")
      ->check(CLI::IsMember({"auto", "cpu", "cuda"}))
      ->capture_default_str();
  run->add_option("--persons-per-tent", persons_per_tent, "Point estimate of persons per tent")
      ->check(CLI::Range(0.1, 50.0))
      ->capture_default_str();
  run->add_option("--occupancy-low", occupancy_low, "Low end of persons per tent")->check(CLI::Range(0.1, 50.0))
      ->capture_default_str();
  run->add_option("--occupancy-high", occupancy_high, "High end of persons per tent")->check(CLI::Range(0.1, 50.0))
      ->capture_default_str();
  run->add_option("--model", model_path, "Detector parameters (YAML) from `campscope calibrate`; default: built in")
      ->check(CLI::ExistingFile);
  run->add_option("--threads", threads, "CPU threads (0: all cores)")->check(CLI::Range(0, 1024))->capture_default_str();
  run->add_option("--bandwidth-m", bandwidth_m, "Density kernel standard deviation in metres")
      ->check(CLI::Range(0.0, 5000.0))
      ->capture_default_str();
  run->add_option("--cell-m", cell_m, "Density raster pixel size in metres")->check(CLI::Range(0.5, 1000.0))
      ->capture_default_str();
  run->add_option("--block-size", block_size, "Block side in pixels for streaming large rasters")
      ->check(CLI::Range(64, 16384))
      ->capture_default_str();

  run->add_option("--tiles-in-flight", tiles_in_flight,
                  "Tiles of a date detected at once (0: 8 on the CUDA backend, half the threads up to 8 on the CPU); "
                  "outputs do not change")
      ->check(CLI::Range(0, 16))
      ->capture_default_str();

  auto* generate = app.add_subcommand("generate", "Write a synthetic sample batch with its truth");
  GenerateOptions gen;
  generate->add_option("--scenario", gen.scenario, "Scenario name")->capture_default_str();
  generate->add_option("--profile", gen.profile,
                       "default, or hard: GSDs 0.3-1.0 m, haze, JPEG, 16-bit RGB+NIR, low sun, clouds, packed and "
                       "low-contrast tents, shelters, walls with parked cars, more dark vehicles and queues")
      ->capture_default_str();
  generate->add_option("--out", gen.out_dir, "Output directory")->required();
  generate->add_option("--seed", gen.seed, "Random seed")->capture_default_str();

  auto* eval = app.add_subcommand("eval", "Match detections against truth: precision, recall, F1, count error");
  std::string truth_path, detections_path;
  double radius_m = 2.0;
  bool eval_json = false;
  eval->add_option("--truth", truth_path, "truth.geojson")->required()->check(CLI::ExistingFile);
  eval->add_option("--detections", detections_path, "detections.geojson")->required()->check(CLI::ExistingFile);
  eval->add_option("--radius-m", radius_m, "Matching radius in metres")->check(CLI::Range(0.01, 100.0))
      ->capture_default_str();
  eval->add_flag("--json", eval_json, "Print JSON instead of a table");
  std::string eval_camps_path;
  std::vector<std::string> eval_by;
  eval->add_option("--camps", eval_camps_path, "camps.geojson: also count truth and detections per camp")
      ->check(CLI::ExistingFile);
  eval->add_option("--by", eval_by,
                   "Recall per bucket of a truth property: size (length_m, 1 m), gsd (gsd_m, 0.1 m) or contrast "
                   "(contrast, 25); repeatable")
      ->check(CLI::IsMember({"size", "gsd", "contrast"}));

  auto* calibrate = app.add_subcommand("calibrate", "Fit the detector to labelled objects and write a model file");
  CalibrateOptions cal;
  std::string calibrate_out;
  int calibrate_threads = 0;
  calibrate->add_option("manifest", cal.manifest_path, "MANIFEST.json of the labelled tiles")
      ->required()
      ->check(CLI::ExistingFile);
  calibrate->add_option("--truth", cal.truth_path, "Labelled objects (GeoJSON points with class and date)")
      ->required()
      ->check(CLI::ExistingFile);
  calibrate->add_option("--out", calibrate_out, "Model file to write (YAML), for `campscope run --model`")->required();
  calibrate->add_option("--seed", cal.seed, "Seed of the tile split and the forests")->capture_default_str();
  calibrate->add_option("--validation-fraction", cal.validation_fraction, "Share of tiles held out to validate")
      ->check(CLI::Range(0.01, 0.99))
      ->capture_default_str();
  calibrate->add_option("--radius-m", cal.radius_m, "Matching radius in metres")->check(CLI::Range(0.01, 100.0))
      ->capture_default_str();
  calibrate->add_flag("!--without-builtin-look", cal.with_builtin_look,
                      "Measure against, and fall back to, the rules alone, not the built-in vehicle look model "
                      "(to train that model)");
  calibrate->add_option("--backend", backend_name_arg, "auto, cpu or cuda")
      ->check(CLI::IsMember({"auto", "cpu", "cuda"}))
      ->capture_default_str();
  calibrate->add_option("--threads", calibrate_threads, "CPU threads (0: all cores)")->check(CLI::Range(0, 1024));

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }

  try {
    if (*run) {
      if (!(occupancy_low <= persons_per_tent && persons_per_tent <= occupancy_high))
        return fail(2, "--occupancy-low <= --persons-per-tent <= --occupancy-high must hold");
      if (threads > 0) omp_set_num_threads(threads);
      RunOptions options;
      options.manifest_path = manifest;
      options.out_dir = out_dir;
      options.backend = resolve_backend(backend_name_arg);
      options.decode_threads = omp_get_max_threads();
      if (!model_path.empty()) {
        const DetectorModel model = load_detector_model(model_path);
        options.detector = model.params;
        options.classifier = model.classifier;
        options.vehicle_appearance = model.vehicle_appearance;
        if (model.accuracy) options.accuracy = *model.accuracy;
      }
      options.occupancy = {persons_per_tent, occupancy_low, occupancy_high};
      options.bandwidth_m = bandwidth_m;
      options.density_cell_m = cell_m;
      options.block_size = block_size;
      // Defaults measured on an H200 machine with 16 cores (bench/RESULTS.md): the CUDA backend needs several
      // tiles' host work (opening, decoding, the block's ground colour) running to keep the GPU busy, whatever the
      // thread count; on the CPU, tiles side by side beat one tile's candidates over many threads.
      options.tiles_in_flight =
          tiles_in_flight > 0 ? tiles_in_flight
                              : options.backend == Backend::Cuda ? 8 : std::clamp(omp_get_max_threads() / 2, 1, 8);
      options.progress_bar = isatty(STDERR_FILENO) != 0;
      const RunResult result = run_pipeline(options);
      std::cout << summary_table(result);
      for (const auto& file : result.written_files) std::cout << "wrote " << file << '\n';
    } else if (*calibrate) {
      if (calibrate_threads > 0) omp_set_num_threads(calibrate_threads);
      cal.backend = resolve_backend(backend_name_arg);
      const CalibrationResult result = calibrate_detector(cal);
      save_detector_model(result.model, calibrate_out);
      std::cout << calibration_report(result) << "wrote " << calibrate_out << '\n';
    } else if (*generate) {
      const GenerateSummary summary = generate_scenario(gen);
      std::cout << "wrote " << summary.tiles << " tiles (" << summary.tents << " tents, " << summary.vehicles
                << " vehicles in truth) and manifest.json to " << gen.out_dir << '\n';
    } else if (*eval) {
      const std::vector<Detection> truth = load_points_geojson(truth_path);
      const std::vector<Detection> detections = load_points_geojson(detections_path);
      EvalResult result = evaluate_detections(truth, detections, radius_m);
      if (!eval_camps_path.empty()) add_camp_counts(result, truth, detections, load_camps(eval_camps_path));
      for (const std::string& by : eval_by) {
        const auto& [property, width] = kBreakdownProperties.at(by);
        const std::vector<std::optional<double>> values = load_point_property(truth_path, property);
        try {
          add_property_breakdown(result, truth, values, by, property, width);
        } catch (const InputError& e) {
          throw InputError(truth_path + ": " + e.what());
        }
      }
      std::cout << (eval_json ? eval_report_json(result) : eval_report_text(result));
    }
  } catch (const InputError& e) {
    return fail(2, e.what());
  } catch (const std::exception& e) {
    return fail(1, e.what());
  }
  return 0;
}

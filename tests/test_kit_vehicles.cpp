// Vehicles on real aerial imagery (KIT AIS Munich, CC-BY 3.0), resampled to satellite-like 0.4 m: the label
// conversion must be exact, and the detector's accuracy must not fall below what it reaches today.
#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "calibrate.h"
#include "evaluate.h"
#include "geotiff.h"
#include "inputs.h"
#include "kit_dataset.h"
#include "outputs.h"
#include "pipeline.h"
#include "temp_dir.h"

namespace campscope {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

const fs::path kKitDir = fs::path(CAMPSCOPE_SHARED_DATA) / "kit-ais-munich";

#define SKIP_WITHOUT_KIT_DATA()                                                                                  \
  if (!fs::is_directory(kKitDir))                                                                                \
  GTEST_SKIP() << "KIT AIS Munich data not found at " << kKitDir.string()                                        \
               << " (see shared/data/kit-ais-munich/README.md); vehicle accuracy on real imagery is not checked"

struct LabelCentre {
  double cx, cy;
};

// The non-cyclist boxes of a label file, read independently of the code under test (class 4 is cyclist).
std::vector<LabelCentre> vehicle_centres(const fs::path& labels) {
  std::ifstream in(labels);
  std::vector<LabelCentre> centres;
  int cls = 0;
  double cx = 0, cy = 0, w = 0, h = 0;
  while (in >> cls >> cx >> cy >> w >> h)
    if (cls != 4) centres.push_back({cx, cy});
  return centres;
}

TEST(KitVehicles, LabelsBecomeVehicleTruthAtBoxCentres) {
  SKIP_WITHOUT_KIT_DATA();
  TempDir dir("kit-labels");
  const std::vector<KitScene> scenes = prepare_kit_scenes(kKitDir.string(), dir.path().string(), 0.4);
  ASSERT_EQ(scenes.size(), 20u);

  std::size_t total = 0;
  std::vector<double> left_edges;
  for (const KitScene& scene : scenes) {
    SCOPED_TRACE(scene.name);
    const std::vector<LabelCentre> centres = vehicle_centres(kKitDir / (scene.name + ".txt"));
    ASSERT_EQ(scene.truth.size(), centres.size());
    total += centres.size();

    TileReader reader(scene.tile_path);
    const TileInfo& info = reader.info();
    EXPECT_FALSE(info.resampled);
    EXPECT_NEAR(info.gsd_m, 0.4, 1e-9);
    EXPECT_EQ(info.bands, 3);
    EXPECT_EQ(info.width, 417);  // 1284 px * 0.13 m / 0.4 m
    EXPECT_EQ(info.height, 123);  // 377 px * 0.13 m / 0.4 m
    left_edges.push_back(info.transform.gt[0]);
    for (std::size_t k = 0; k < centres.size(); ++k) {
      const Detection& truth = scene.truth[k];
      EXPECT_EQ(truth.cls, ObjectClass::Vehicle);
      EXPECT_EQ(truth.date, "2020-01-01");
      EXPECT_EQ(truth.tile, "tiles/" + scene.name + ".tif");
      double px = 0, py = 0;
      reader.lonlat_to_pixel(truth.lon, truth.lat, px, py);
      EXPECT_GE(px, 0.0);
      EXPECT_GE(py, 0.0);
      EXPECT_LT(px, info.width);
      EXPECT_LT(py, info.height);
      EXPECT_NEAR(px, centres[k].cx * info.width, 1e-4);
      EXPECT_NEAR(py, centres[k].cy * info.height, 1e-4);
    }
  }
  EXPECT_EQ(total, 746u);  // 751 label lines, 5 of them cyclists
  // Scenes are about 167 m wide: left edges at least that far apart keep them from overlapping.
  std::sort(left_edges.begin(), left_edges.end());
  for (std::size_t k = 1; k < left_edges.size(); ++k) EXPECT_GT(left_edges[k] - left_edges[k - 1], 200.0);

  // What the CLI reads: the manifest lists every tile once, and the truth file holds every truth point.
  const Manifest manifest = load_manifest(dir.file("manifest.json"));
  ASSERT_EQ(manifest.tiles.size(), scenes.size());
  for (std::size_t k = 0; k < scenes.size(); ++k) {
    EXPECT_EQ(fs::path(manifest.tiles[k].resolved_path), fs::path(scenes[k].tile_path));
    EXPECT_EQ(manifest.tiles[k].date, "2020-01-01");
  }
  EXPECT_EQ(load_points_geojson(dir.file("truth.geojson")).size(), total);
}

TEST(KitVehicles, ResolutionFollowsTheTargetGsd) {
  SKIP_WITHOUT_KIT_DATA();
  TempDir dir("kit-gsd");
  const std::vector<KitScene> scenes = prepare_kit_scenes(kKitDir.string(), dir.path().string(), 0.31);
  ASSERT_FALSE(scenes.empty());
  TileReader reader(scenes.front().tile_path);
  EXPECT_NEAR(reader.info().gsd_m, 0.31, 1e-9);
  EXPECT_EQ(reader.info().width, 538);  // round(1284 * 0.13 / 0.31)
}

// A stand-in for the data folder, so bad input is checked whether or not the real data is present.
class FakeKit {
 public:
  FakeKit() : dir_("kit-fake") {
    dir_.write("classes.txt", "car\ntruck\nbus\nminibus\ncyclist\n");
    cv::Mat image(37, 53, CV_8UC3, cv::Scalar(90, 100, 110));
    cv::imwrite(dir_.file("MunichStreetTest.png"), image);
  }
  std::string labels(const std::string& content) const { return dir_.write("MunichStreetTest.txt", content); }
  std::string path() const { return dir_.path().string(); }
  const TempDir& dir() const { return dir_; }

 private:
  TempDir dir_;
};

void expect_input_error(const std::string& kit, const std::string& out, const std::string& needle) {
  try {
    prepare_kit_scenes(kit, out, 0.4);
    ADD_FAILURE() << "no InputError; expected one mentioning " << needle;
  } catch (const InputError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find(needle), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  }
}

TEST(KitVehicles, MalformedLabelLinesThrowNamingTheFile) {
  FakeKit kit;
  TempDir out("kit-fake-out");
  const std::string labels = kit.dir().file("MunichStreetTest.txt");
  const char* bad_lines[] = {
      "0 0.5 0.5 0.1\n",              // four fields
      "0 0.5 0.5 0.1 0.1 7\n",        // six fields
      "5 0.5 0.5 0.1 0.1\n",          // class beyond classes.txt
      "-1 0.5 0.5 0.1 0.1\n",         // negative class
      "car 0.5 0.5 0.1 0.1\n",        // class by name
      "0 1.5 0.5 0.1 0.1\n",          // centre outside the image
      "0 0.5 -0.01 0.1 0.1\n",        // centre outside the image
      "0 0.5 0.5 0 0.1\n",            // empty box
      "0 0.5 0.5 0.1 nan\n",          // not finite
      "0 0.5 0.5 0.1 0.1x\n",         // trailing garbage
      "0 0.5 0.5 0.1 0.1\n1 0.2\n",   // good line, then a bad one
  };
  for (const char* bad : bad_lines) {
    SCOPED_TRACE(bad);
    kit.labels(bad);
    expect_input_error(kit.path(), out.path().string(), labels);
  }
  kit.labels("0 0.5 0.5 0.1 0.1\n1 0.2\n");
  expect_input_error(kit.path(), out.path().string(), "line 2");
}

TEST(KitVehicles, MissingInputsThrow) {
  FakeKit kit;
  TempDir out("kit-fake-out");
  expect_input_error(kit.path(), out.path().string(), "MunichStreetTest.txt");  // no label file

  kit.labels("0 0.5 0.5 0.1 0.1\n");
  kit.dir().write("classes.txt", "car\nboat\n");
  expect_input_error(kit.path(), out.path().string(), "boat");

  TempDir empty("kit-empty");
  expect_input_error(empty.path().string(), out.path().string(), "no MunichStreet*.png");

  kit.dir().write("classes.txt", "car\ntruck\nbus\nminibus\ncyclist\n");
  EXPECT_THROW(prepare_kit_scenes(kit.path(), out.path().string(), 0.0), InputError);
  EXPECT_THROW(prepare_kit_scenes(kit.path(), out.path().string(), std::nan("")), InputError);
}

TEST(KitVehicles, SmallSceneConvertsAndSkipsCyclists) {
  FakeKit kit;
  TempDir out("kit-fake-out");
  kit.labels("0 0.25 0.5 0.1 0.1\n4 0.5 0.5 0.02 0.02\n\n3 0.999 0.001 0.002 0.002\n");
  const std::vector<KitScene> scenes = prepare_kit_scenes(kit.path(), out.path().string(), 0.4);
  ASSERT_EQ(scenes.size(), 1u);
  ASSERT_EQ(scenes[0].truth.size(), 2u);
  TileReader reader(scenes[0].tile_path);
  const int width = reader.info().width, height = reader.info().height;
  EXPECT_EQ(width, 17);  // round(53 * 0.325)
  EXPECT_EQ(height, 12);  // round(37 * 0.325)
  const double expected[2][2] = {{0.25 * width, 0.5 * height}, {0.999 * width, 0.001 * height}};
  for (int k = 0; k < 2; ++k) {
    double px = 0, py = 0;
    reader.lonlat_to_pixel(scenes[0].truth[static_cast<std::size_t>(k)].lon,
                           scenes[0].truth[static_cast<std::size_t>(k)].lat, px, py);
    EXPECT_NEAR(px, expected[k][0], 1e-4);
    EXPECT_NEAR(py, expected[k][1], 1e-4);
  }
  // Near Munich, in UTM 32N.
  EXPECT_NEAR(scenes[0].truth[0].lon, 11.5, 0.2);
  EXPECT_NEAR(scenes[0].truth[0].lat, 48.14, 0.05);
  EXPECT_NE(reader.info().crs_wkt.find("32632"), std::string::npos);
}

// Detector accuracy on the 20 scenes at 0.4 m, CPU backend, built-in defaults, matching radius 2 m. Target (issue 3):
// F1 >= 0.8. The built-in vehicle look model learnt from 14 of these mosaics (kit_scene_trains_builtin_model), so the
// figure that counts is the other six's; all 20 are printed too.
// History (all 20, before the look model): on commit 0c356ae 132 detected, TP 80, FP 52: F1 0.182 (most cars missed:
// at 0.4 m a car is about 11 x 4.5 pixels and the region grown from its candidate covers only part of it, or a
// parked row and its shadows merge into one region wider than the search window). Size limits tuned on generated
// scenes: F1 0.096; cars taken whole with their glass and shadow (2026-11-26/27): 0.183; slack on the lower size
// limits for regions that show their glass or shadow: 0.339; queues completed along their lanes: 0.366; 0.380 at
// d6601f4 (258 detected, TP 191, FP 67). With the built-in look model adding to the rules (2026-11-28): the six
// held-out mosaics 0.421 -> 0.697 (182 detected, TP 146, FP 36 of 237: precision 0.802, recall 0.616).
// The floors are today's held-out figures minus a small margin, so a regression fails here while the detector is
// short of the target.
constexpr double kPrecisionFloor = 0.75;
constexpr double kRecallFloor = 0.60;
constexpr double kF1Floor = 0.67;

nlohmann::json accuracy_figures(const MatchCounts& c) {
  return {{"truth", c.truth_count()}, {"detected", c.detected_count()}, {"tp", c.true_positives},
          {"fp", c.false_positives},  {"fn", c.false_negatives},        {"precision", c.precision()},
          {"recall", c.recall()},     {"f1", c.f1()}};
}

TEST(KitVehicles, DetectorAccuracyHasNotRegressed) {
  SKIP_WITHOUT_KIT_DATA();
  TempDir dir("kit-accuracy");
  const std::vector<KitScene> scenes = prepare_kit_scenes(kKitDir.string(), dir.file("scenes"), 0.4);
  RunOptions options;
  options.manifest_path = dir.file("scenes/manifest.json");
  options.out_dir = dir.file("run");
  options.backend = Backend::Cpu;
  run_pipeline(options);
  const std::vector<Detection> detections = load_points_geojson(dir.file("run/detections.geojson"));
  const std::vector<Detection> truth = load_points_geojson(dir.file("scenes/truth.geojson"));

  std::vector<Detection> held_out_truth, held_out_found;
  std::size_t held_out_scenes = 0;
  for (const KitScene& scene : scenes) {
    std::vector<Detection> found;
    for (const Detection& d : detections)
      if (d.tile == "tiles/" + scene.name + ".tif") found.push_back(d);
    const MatchCounts c = evaluate_detections(scene.truth, found, 2.0).by_class["vehicle"];
    const bool held_out = !kit_scene_trains_builtin_model(scene.name);
    std::printf("  %-22s %-9s truth %3lld  detected %3lld  tp %3lld  fp %3lld  fn %3lld\n", scene.name.c_str(),
                held_out ? "held out" : "training", c.truth_count(), c.detected_count(), c.true_positives,
                c.false_positives, c.false_negatives);
    if (!held_out) continue;
    ++held_out_scenes;
    held_out_truth.insert(held_out_truth.end(), scene.truth.begin(), scene.truth.end());
    held_out_found.insert(held_out_found.end(), found.begin(), found.end());
  }
  const MatchCounts all = evaluate_detections(truth, detections, 2.0).by_class.at("vehicle");
  const MatchCounts vehicles = evaluate_detections(held_out_truth, held_out_found, 2.0).by_class.at("vehicle");
  const long long tents = std::count_if(detections.begin(), detections.end(),
                                        [](const Detection& d) { return d.cls == ObjectClass::Tent; });
  nlohmann::json figures = accuracy_figures(vehicles);
  figures.update({{"scenes", held_out_scenes},
                  {"held_out", true},
                  {"gsd_m", 0.4},
                  {"radius_m", 2.0},
                  {"all_mosaics", accuracy_figures(all)},
                  {"tents_detected", tents}});
  // One line that bench/kit_accuracy.sh picks up.
  std::printf("KIT_ACCURACY %s\n", figures.dump().c_str());
  std::printf("vehicles on the held-out mosaics: precision %.3f  recall %.3f  F1 %.3f  (target F1 >= 0.8; all 20: "
              "F1 %.3f)\n",
              vehicles.precision(), vehicles.recall(), vehicles.f1(), all.f1());
  std::fflush(stdout);

  EXPECT_EQ(all.truth_count(), 746);
  EXPECT_EQ(held_out_scenes, 6u);
  EXPECT_GE(vehicles.precision(), kPrecisionFloor);
  EXPECT_GE(vehicles.recall(), kRecallFloor);
  EXPECT_GE(vehicles.f1(), kF1Floor);
}

// Calibration on real imagery: fitted on 14 of the 20 mosaics (seeded split), measured on the other 6. The rules'
// regions cover only part of each real car, so calibration judges vehicles by their look (VehicleAppearance).
// Measured on this machine: vehicles on the 6 held-out mosaics F1 0.09 built-in -> 0.81 calibrated (precision 0.78,
// recall 0.84); the splits of seeds 2 and 3 gave 0.80 and 0.81. Before vehicles were judged by their look, the
// forest over the rules' measurements reached 0.27.
TEST(KitVehicles, CalibrationOnSomeMosaicsHelpsOnTheOthers) {
  SKIP_WITHOUT_KIT_DATA();
  TempDir dir("kit-calibration");
  prepare_kit_scenes(kKitDir.string(), dir.file("scenes"), 0.4);
  CalibrateOptions options;
  options.manifest_path = dir.file("scenes/manifest.json");
  options.truth_path = dir.file("scenes/truth.geojson");
  const CalibrationResult result = calibrate_detector(options);
  const MatchCounts& builtin = result.builtin.at("vehicle");
  const MatchCounts& calibrated = result.calibrated.at("vehicle");
  std::printf("KIT_CALIBRATED %s\n",
              nlohmann::json{{"training_mosaics", result.training_tiles.size()},
                             {"validation_mosaics", result.validation_tiles.size()},
                             {"builtin_f1", builtin.f1()},
                             {"precision", calibrated.precision()},
                             {"recall", calibrated.recall()},
                             {"f1", calibrated.f1()}}
                  .dump()
                  .c_str());
  std::fflush(stdout);
  EXPECT_EQ(result.validation_tiles.size(), 6u);
  EXPECT_GT(calibrated.f1(), builtin.f1());
  EXPECT_GE(calibrated.f1(), 0.75);
  EXPECT_GE(calibrated.precision(), 0.7);
  EXPECT_GE(calibrated.recall(), 0.7);
}

}  // namespace
}  // namespace campscope

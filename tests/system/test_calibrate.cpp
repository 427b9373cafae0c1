// `campscope calibrate` end to end: fit on one generated sample, run with the model on another, and bad input.
#include <gtest/gtest.h>

#include <algorithm>
#include <regex>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "cli_helpers.h"

namespace campscope {
namespace {

namespace fs = std::filesystem;
using testing::fresh_temp_dir;
using testing::read_file;
using testing::run_campscope;

// F1 per class of `campscope run` on root/seed3, with the given extra arguments; outputs and logs under `name`.
nlohmann::json f1_on_seed3(const fs::path& root, const std::string& name, const std::string& extra) {
  const auto out = root / ("run-" + name);
  const auto run = run_campscope("run " + (root / "seed3" / "manifest.json").string() + " --out " + out.string() +
                                     " " + extra,
                                 root / ("log-run-" + name));
  EXPECT_EQ(run.exit_code, 0) << run.err;
  const auto eval = run_campscope("eval --json --truth " + (root / "seed3" / "truth.geojson").string() +
                                      " --detections " + (out / "detections.geojson").string(),
                                  root / ("log-eval-" + name));
  EXPECT_EQ(eval.exit_code, 0) << eval.err;
  const auto report = nlohmann::json::parse(eval.out);
  return {{"tent", report["classes"]["tent"]["f1"]}, {"vehicle", report["classes"]["vehicle"]["f1"]}};
}

class Calibrate : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = fresh_temp_dir("calibrate");
    for (const char* seed : {"2", "3"}) {
      const auto gen = run_campscope(std::string("generate --seed ") + seed + " --out " +
                                         (root_ / ("seed" + std::string(seed))).string(),
                                     root_ / "gen");
      ASSERT_EQ(gen.exit_code, 0) << gen.err;
    }
  }
  static void TearDownTestSuite() { fs::remove_all(root_); }

  static testing::CommandResult calibrate(const std::string& model) {
    return run_campscope("calibrate " + (root_ / "seed2" / "manifest.json").string() + " --truth " +
                             (root_ / "seed2" / "truth.geojson").string() + " --out " + (root_ / model).string(),
                         root_ / ("log-" + model));
  }

  static fs::path root_;
};
fs::path Calibrate::root_;

TEST_F(Calibrate, FitsReportsAndIsDeterministic) {
  const auto first = calibrate("model.yml");
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_NE(first.out.find("training"), std::string::npos) << first.out;
  EXPECT_NE(first.out.find("calibrated"), std::string::npos) << first.out;
  const std::string model = read_file(root_ / "model.yml");
  EXPECT_NE(model.find("classifier:"), std::string::npos);
  // Vehicles are judged one way, the one that did better out of fold, and the model holds what that way needs.
  EXPECT_NE(first.out.find("vehicles: judged by"), std::string::npos) << first.out;
  const std::size_t judged_at = model.find("vehicles_judged_by: ");
  ASSERT_NE(judged_at, std::string::npos) << model;
  const std::string judged = model.substr(judged_at + 20, model.find('\n', judged_at) - judged_at - 20);
  EXPECT_TRUE(judged == "look" || judged == "rules_and_look" || judged == "rules" || judged == "builtin_look")
      << judged;
  const bool by_look = judged != "rules";
  // Its own look model is written out; the built-in one is left unnamed (the binary holds it); none is said.
  EXPECT_EQ(model.find("vehicle_appearance:\n") != std::string::npos, judged == "look" || judged == "rules_and_look");
  EXPECT_EQ(model.find("vehicle_appearance: none") != std::string::npos, judged == "rules");
  EXPECT_EQ(model.find("adds_to_rules: 1") != std::string::npos, judged == "rules_and_look");
  // The forest over the rules' vehicles is there when it gains over keeping every vehicle the rules accept, as the
  // report's threshold column says ("none" when it does not: seed 2's rules find few false vehicles to learn from).
  const std::size_t vehicle_row = first.out.find("\nvehicle ");
  ASSERT_NE(vehicle_row, std::string::npos) << first.out;
  std::istringstream row(first.out.substr(vehicle_row + 1, first.out.find('\n', vehicle_row + 1) - vehicle_row - 1));
  std::string name, true_examples, false_examples, threshold;
  row >> name >> true_examples >> false_examples >> threshold;
  EXPECT_EQ(model.find("vehicle:") != std::string::npos, !by_look && threshold != "none") << first.out;
  EXPECT_NE(model.find("validation_tent_f1"), std::string::npos);
  EXPECT_NE(model.find("accuracy:"), std::string::npos);  // measured precision and recall for the intervals
  ASSERT_EQ(calibrate("again.yml").exit_code, 0);
  EXPECT_EQ(read_file(root_ / "again.yml"), model);
}

// The issue's bar for calibration: on scenes it was not fitted on, tent F1 improves or stays equal.
TEST_F(Calibrate, ModelFromOneSampleHoldsOnAnother) {
  if (!fs::exists(root_ / "model.yml")) {
    ASSERT_EQ(calibrate("model.yml").exit_code, 0);
  }
  const nlohmann::json builtin = f1_on_seed3(root_, "builtin", "");
  const nlohmann::json calibrated = f1_on_seed3(root_, "calibrated", "--model " + (root_ / "model.yml").string());
  EXPECT_GE(calibrated["tent"].get<double>(), builtin["tent"].get<double>()) << calibrated << " vs " << builtin;
  EXPECT_GE(calibrated["vehicle"].get<double>(), 0.7) << calibrated;
}

// Hard scenes (coarse pixels, haze, dark vehicles on asphalt), fitted on hard seed 1 as bench/accuracy.sh fits it.
// Calibrate keeps the way of judging vehicles with the highest out-of-fold F1: their look while the rules were weak
// here (0.625 against 0.607 at d7881e8), the rules and their forest once the tiles' haze was taken off (0.668
// against 0.650), the rules with the look adding what they miss since that way exists; and where the way chosen
// still does worse on the validation tiles than the built-in detector with its look model, vehicles are left to
// that. Whichever it is, the calibrated detector holds on hard seed 3 (within 0.015 of the built-in one; the look
// model gained on it until the rules improved: 0.524 against 0.490 at d7881e8, 0.549 against 0.536 at 3e2306c; with
// the built-in look model, which seed 1's validation tiles alone cannot tell from a fit of its own, 0.617 against
// 0.629).
TEST(CalibrateHard, KeepsTheBetterWayToJudgeVehiclesAndHoldsOnAnotherScene) {
  const fs::path root = fresh_temp_dir("calibrate-hard");
  for (const char* seed : {"1", "3"}) {
    const auto gen = run_campscope(std::string("generate --profile hard --seed ") + seed + " --out " +
                                       (root / ("seed" + std::string(seed))).string(),
                                   root / "gen");
    ASSERT_EQ(gen.exit_code, 0) << gen.err;
  }
  const auto fit = run_campscope("calibrate " + (root / "seed1" / "manifest.json").string() + " --truth " +
                                     (root / "seed1" / "truth.geojson").string() + " --out " +
                                     (root / "model.yml").string(),
                                 root / "log-calibrate");
  ASSERT_EQ(fit.exit_code, 0) << fit.err;
  const std::regex choice(
      R"(vehicles: judged by (their look|the rules with their look adding what they missed|the rules and their )"
      R"(forest) \(out-of-fold F1 on the training tiles: by their look ([0-9.]+), by the rules with their look )"
      R"(adding what they missed ([0-9.]+), by the rules and their forest ([0-9.]+)\))");
  std::smatch found;
  const bool left_to_builtin = fit.out.find("vehicles: left to the built-in look model") != std::string::npos;
  ASSERT_TRUE(left_to_builtin || std::regex_search(fit.out, found, choice)) << fit.out;
  if (!left_to_builtin) {
    const double by_look = std::stod(found[2].str()), look_added = std::stod(found[3].str()),
                 by_rules = std::stod(found[4].str());
    const double best = std::max({by_look, look_added, by_rules});
    const std::string expected = by_rules > std::max(by_look, look_added) ? "the rules and their forest"
                                 : look_added > by_look                   ? "the rules with their look adding what they missed"
                                                                          : "their look";
    EXPECT_EQ(found[1].str(), expected) << fit.out;
    EXPECT_EQ(read_file(root / "model.yml").find("vehicle_appearance:\n") != std::string::npos, best > by_rules);
  }
  const nlohmann::json builtin = f1_on_seed3(root, "builtin", "");
  const nlohmann::json calibrated = f1_on_seed3(root, "calibrated", "--model " + (root / "model.yml").string());
  EXPECT_GE(calibrated["vehicle"].get<double>(), builtin["vehicle"].get<double>() - 0.015) << builtin;
  // A tent forest that does no better out of fold than the rules, or worse on the validation tiles, is left out
  // (hard seed 1's did better out of fold, and worse on the validation tiles and on seeds 2-5): the calibrated
  // detector's tents are the built-in detector's, exactly.
  std::istringstream report(fit.out);
  std::string line;
  while (std::getline(report, line) && line.rfind("tent ", 0) != 0) {
  }
  EXPECT_NE(line.find(" none |"), std::string::npos) << fit.out;  // no tent forest, so no threshold
  EXPECT_EQ(calibrated["tent"].get<double>(), builtin["tent"].get<double>());
  fs::remove_all(root);
}

TEST_F(Calibrate, BadInputNamesTheFile) {
  const auto one_tile = root_ / "one-tile.json";
  std::ofstream(one_tile) << R"({"tiles": [{"path": ")" << (root_ / "seed2" / "tiles" / "kah_2019-11-01.tif").string()
                          << R"(", "date": "2019-11-01"}]})";
  const auto result = run_campscope("calibrate " + one_tile.string() + " --truth " +
                                        (root_ / "seed2" / "truth.geojson").string() + " --out " +
                                        (root_ / "never.yml").string(),
                                    root_ / "log-one");
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("one-tile.json: calibration needs at least two tiles"), std::string::npos) << result.err;
  EXPECT_FALSE(fs::exists(root_ / "never.yml"));

  const auto labels = root_ / "labels.geojson";
  std::ofstream(labels) << R"({"type": "FeatureCollection", "features": [{"type": "Feature"}]})";
  const auto bad = run_campscope("calibrate " + (root_ / "seed2" / "manifest.json").string() + " --truth " +
                                     labels.string() + " --out " + (root_ / "never.yml").string(),
                                 root_ / "log-labels");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("labels.geojson"), std::string::npos) << bad.err;
  EXPECT_FALSE(fs::exists(root_ / "never.yml"));
}

}  // namespace
}  // namespace campscope

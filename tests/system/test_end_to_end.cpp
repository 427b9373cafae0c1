// The whole product on the generated Idlib border sample: accuracy against truth, determinism, and outputs that
// GDAL/OGR open.
#include <gdal_priv.h>
#include <gtest/gtest.h>
#include <ogrsf_frmts.h>

#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli_helpers.h"

namespace campscope {
namespace {

namespace fs = std::filesystem;
using testing::fresh_temp_dir;

using testing::read_file;
using testing::run_campscope;

std::vector<std::vector<std::string>> parse_csv(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    std::vector<std::string> fields;
    std::string field;
    bool quoted = false;
    for (char c : line) {
      if (c == '"') quoted = !quoted;
      else if (c == ',' && !quoted) {
        fields.push_back(field);
        field.clear();
      } else field += c;
    }
    fields.push_back(field);
    rows.push_back(fields);
  }
  return rows;
}

class EndToEnd : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = fresh_temp_dir("e2e");
    const auto gen = run_campscope("generate --scenario idlib-border --seed 1 --out " + (root_ / "sample").string(),
                                   root_ / "gen");
    ASSERT_EQ(gen.exit_code, 0) << gen.err;
    for (const char* threads : {"1", "2"}) {
      const auto run = run_campscope("run " + (root_ / "sample" / "manifest.json").string() + " --backend cpu --threads " +
                                         threads + " --out " + (root_ / (std::string("out") + threads)).string(),
                                     root_ / (std::string("log") + threads));
      ASSERT_EQ(run.exit_code, 0) << run.err;
      if (std::string(threads) == "2") summary_ = run.out;
    }
  }
  static void TearDownTestSuite() { fs::remove_all(root_); }

  static fs::path root_;
  static std::string summary_;
};
fs::path EndToEnd::root_;
std::string EndToEnd::summary_;

TEST_F(EndToEnd, SameOutputsOnOneAndTwoThreads) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(root_ / "out2")) names.push_back(entry.path().filename().string());
  EXPECT_GE(names.size(), 6u);  // detections, estimates, comparison and one density map per date
  for (const auto& name : names) {
    ASSERT_TRUE(fs::exists(root_ / "out1" / name)) << name;
    EXPECT_EQ(read_file(root_ / "out1" / name), read_file(root_ / "out2" / name)) << name;
  }
}

// Several tiles detected at once (as on the CUDA backend) must not change a byte.
TEST_F(EndToEnd, SameOutputsWithSeveralTilesInFlight) {
  const auto out = root_ / "out-in-flight";
  const auto run = run_campscope("run " + (root_ / "sample" / "manifest.json").string() +
                                     " --backend cpu --threads 2 --tiles-in-flight 3 --out " + out.string(),
                                 root_ / "log-in-flight");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  std::size_t files = 0;
  for (const auto& entry : fs::directory_iterator(root_ / "out2")) {
    const std::string name = entry.path().filename().string();
    EXPECT_EQ(read_file(out / name), read_file(entry.path())) << name;
    ++files;
  }
  EXPECT_GE(files, 6u);
}

TEST_F(EndToEnd, DetectionAccuracyAgainstTruth) {
  const auto eval = run_campscope("eval --json --truth " + (root_ / "sample" / "truth.geojson").string() +
                                      " --detections " + (root_ / "out2" / "detections.geojson").string() +
                                      " --camps " + (root_ / "sample" / "camps.geojson").string() +
                                      " --by size --by contrast",
                                  root_ / "eval");
  ASSERT_EQ(eval.exit_code, 0) << eval.err;
  const auto report = nlohmann::json::parse(eval.out);
  EXPECT_GE(report["classes"]["tent"]["f1"].get<double>(), 0.9);
  // Per-camp tent counts: the issue 3 bound for hard scenes (7%) must hold on the default scenes too.
  ASSERT_EQ(report["classes"]["tent"]["by_camp"].size(), 4u);
  for (const auto& [camp, dates] : report["classes"]["tent"]["by_camp"].items())
    for (const auto& [date, counts] : dates.items())
      EXPECT_LE(std::abs(counts["count_error"].get<double>()), 0.07) << camp << " " << date;
  long long bucketed = 0;
  for (const auto& bucket : report["classes"]["vehicle"]["by_contrast"]) bucketed += bucket["truth"].get<long long>();
  EXPECT_EQ(bucketed, report["classes"]["vehicle"]["truth"].get<long long>());
  EXPECT_FALSE(report["classes"]["tent"]["by_size"].empty());
  // The targets on seed 1 (measured: tents 0.995, vehicles 0.806).
  EXPECT_GE(report["classes"]["vehicle"]["f1"].get<double>(), 0.8);
}

TEST_F(EndToEnd, EveryCampPopulationWithinTenPercentOfTruth) {
  std::map<std::pair<std::string, std::string>, double> truth;
  for (const auto& row : parse_csv(read_file(root_ / "sample" / "truth_population.csv")))
    if (row[0] != "camp") truth[{row[0], row[1]}] = std::stod(row[4]);
  const auto rows = parse_csv(read_file(root_ / "out2" / "estimates.csv"));
  ASSERT_EQ(rows.front(), (std::vector<std::string>{"camp", "date", "tents", "vehicles", "population",
                                                    "population_low", "population_high", "coverage"}));
  ASSERT_EQ(rows.size(), truth.size() + 1);
  for (std::size_t i = 1; i < rows.size(); ++i) {
    const auto& r = rows[i];
    const double expected = truth.at({r[0], r[1]});
    ASSERT_FALSE(r[4].empty()) << r[0] << " " << r[1];
    const double estimated = std::stod(r[4]);
    EXPECT_NEAR(estimated, expected, 0.10 * expected) << r[0] << " " << r[1];
    EXPECT_LE(std::stod(r[5]), expected) << r[0] << " " << r[1];
    EXPECT_GE(std::stod(r[6]), expected) << r[0] << " " << r[1];
    const double coverage = std::stod(r[7]);
    if (r[0] == "Deir Hassan" && r[1] == "2019-12-01") EXPECT_NEAR(coverage, 0.7, 0.03);
    else EXPECT_GT(coverage, 0.99) << r[0] << " " << r[1];
  }
}

TEST_F(EndToEnd, ComparisonListsEveryReportedFigure) {
  const auto rows = parse_csv(read_file(root_ / "out2" / "comparison.csv"));
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].back(), "note");
  // Arrivals since the first date are estimable and close to the (scaled) reported figure.
  EXPECT_EQ(rows[1][2], "arrivals_since:2019-11-01");
  ASSERT_FALSE(rows[1][4].empty());
  EXPECT_LT(std::abs(std::stod(rows[1][7])), 10.0);
  // No imagery on 2019-12-21: listed with empty estimates and the reason.
  EXPECT_EQ(rows[2][2], "arrivals_since:2019-12-21");
  EXPECT_TRUE(rows[2][4].empty());
  EXPECT_NE(rows[2].back().find("no imagery"), std::string::npos);
  EXPECT_NE(summary_.find("Kafr Lusin"), std::string::npos);
}

TEST_F(EndToEnd, DensityMapsAreGeoreferencedAndConserveMass) {
  GDALAllRegister();
  std::map<std::string, double> persons_by_date;
  for (const auto& row : parse_csv(read_file(root_ / "out2" / "estimates.csv")))
    if (row[0] != "camp" && !row[2].empty())
      persons_by_date[row[1]] += std::stod(row[2]) * (row[0] == "Kah" ? 6.0 : 5.0);
  for (const auto& [date, camp_persons] : persons_by_date) {
    const auto path = root_ / "out2" / ("density_" + date + ".tif");
    GDALDataset* ds = static_cast<GDALDataset*>(GDALOpen(path.string().c_str(), GA_ReadOnly));
    ASSERT_NE(ds, nullptr) << path;
    EXPECT_NE(std::string(ds->GetProjectionRef()).find("UTM zone 37N"), std::string::npos);
    double gt[6];
    ASSERT_EQ(ds->GetGeoTransform(gt), CE_None);
    EXPECT_EQ(ds->GetRasterBand(1)->GetRasterDataType(), GDT_Float32);
    std::vector<float> values(static_cast<std::size_t>(ds->GetRasterXSize()) * ds->GetRasterYSize());
    ASSERT_EQ(ds->GetRasterBand(1)->RasterIO(GF_Read, 0, 0, ds->GetRasterXSize(), ds->GetRasterYSize(), values.data(),
                                             ds->GetRasterXSize(), ds->GetRasterYSize(), GDT_Float32, 0, 0),
              CE_None);
    double total = 0;
    for (float v : values) total += v;
    const double cell_km2 = std::abs(gt[1] * gt[5]) / 1e6;
    // Tents outside every camp add persons too, so the map holds at least the camps' share.
    EXPECT_GE(total * cell_km2, camp_persons * (1 - 1e-4)) << date;
    EXPECT_LE(total * cell_km2, camp_persons * 1.05) << date;
    GDALClose(ds);
  }
}

TEST_F(EndToEnd, DetectionsOpenWithOgr) {
  GDALAllRegister();
  const auto path = root_ / "out2" / "detections.geojson";
  GDALDataset* ds = static_cast<GDALDataset*>(GDALOpenEx(path.string().c_str(), GDAL_OF_VECTOR, nullptr, nullptr, nullptr));
  ASSERT_NE(ds, nullptr);
  OGRLayer* layer = ds->GetLayer(0);
  ASSERT_NE(layer, nullptr);
  EXPECT_GT(layer->GetFeatureCount(), 3000);
  EXPECT_GE(layer->GetLayerDefn()->GetFieldIndex("class"), 0);
  EXPECT_GE(layer->GetLayerDefn()->GetFieldIndex("score"), 0);
  GDALClose(ds);
}

}  // namespace
}  // namespace campscope

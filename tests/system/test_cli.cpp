// The command line on bad input: one line naming the file and the problem, a non-zero exit, nothing half-written,
// and earlier results left intact.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>

#include "cli_helpers.h"

namespace campscope {
namespace {

namespace fs = std::filesystem;
using testing::fresh_temp_dir;
using testing::read_file;
using testing::run_campscope;

void write(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

bool one_line(const std::string& text) {
  return !text.empty() && std::count(text.begin(), text.end(), '\n') == 1 && text.back() == '\n';
}

class Cli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = fresh_temp_dir("cli");
    const auto gen = run_campscope("generate --seed 3 --out " + (root_ / "sample").string(), root_ / "gen");
    ASSERT_EQ(gen.exit_code, 0) << gen.err;
  }
  static void TearDownTestSuite() { fs::remove_all(root_); }

  // A copy of the sample's manifest with one tile entry replaced by `tile_path` (relative to the sample).
  static fs::path manifest_with_tile(const std::string& name, const std::string& tile_path,
                                     const std::string& date = "2019-11-01") {
    const fs::path manifest = root_ / "sample" / (name + ".json");
    write(manifest, R"({"camps": "camps.geojson", "reported": "reported.csv", "tiles": [{"path": ")" + tile_path +
                        R"(", "date": ")" + date + R"("}]})");
    return manifest;
  }

  static fs::path root_;
};
fs::path Cli::root_;

TEST_F(Cli, HelpOnEveryCommand) {
  for (const char* command : {"--help", "run --help", "generate --help", "eval --help"}) {
    const auto result = run_campscope(command, root_ / "help");
    EXPECT_EQ(result.exit_code, 0) << command;
    EXPECT_NE(result.out.find("Usage"), std::string::npos) << command;
  }
}

TEST_F(Cli, CorruptTileFailsCleanlyWithoutOutput) {
  write(root_ / "sample" / "tiles" / "corrupt.tif", "II*\0this is not a tiff at all");
  const auto manifest = manifest_with_tile("corrupt", "tiles/corrupt.tif");
  const auto out = root_ / "out-corrupt";
  const auto result = run_campscope("run " + manifest.string() + " --out " + out.string(), root_ / "log-corrupt");
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_TRUE(one_line(result.err)) << result.err;
  EXPECT_NE(result.err.find("corrupt.tif"), std::string::npos) << result.err;
  EXPECT_FALSE(fs::exists(out));
}

TEST_F(Cli, TruncatedTileIsRejected) {
  const std::string tile = read_file(root_ / "sample" / "tiles" / "kah_2019-11-01.tif");
  write(root_ / "sample" / "tiles" / "truncated.tif", tile.substr(0, tile.size() / 3));
  const auto manifest = manifest_with_tile("truncated", "tiles/truncated.tif");
  const auto result = run_campscope("run " + manifest.string() + " --out " + (root_ / "out-trunc").string(),
                                    root_ / "log-trunc");
  EXPECT_EQ(result.exit_code, 2) << result.err;
  EXPECT_TRUE(one_line(result.err)) << result.err;
  EXPECT_NE(result.err.find("truncated.tif"), std::string::npos) << result.err;
}

// Tiles opened ahead on several threads: a bad tile among good ones still stops the run with its own error, and
// nothing is written.
TEST_F(Cli, TruncatedTileAmongOthersStopsARunWithSeveralTilesInFlight) {
  const std::string tile = read_file(root_ / "sample" / "tiles" / "kah_2019-11-01.tif");
  write(root_ / "sample" / "tiles" / "truncated-middle.tif", tile.substr(0, tile.size() / 2));
  const fs::path manifest = root_ / "sample" / "truncated-middle.json";
  std::string tiles;
  for (const char* path : {"tiles/atme-west_2019-11-01.tif", "tiles/atme-east_2019-11-01.tif",
                           "tiles/truncated-middle.tif", "tiles/kah_2019-11-01.tif", "tiles/road_2019-11-01.tif"})
    tiles += std::string(tiles.empty() ? "" : ", ") + R"({"path": ")" + path + R"(", "date": "2019-11-01"})";
  write(manifest, R"({"camps": "camps.geojson", "reported": "reported.csv", "tiles": [)" + tiles + "]}");
  const auto out = root_ / "out-trunc-middle";
  const auto result = run_campscope("run " + manifest.string() + " --threads 2 --tiles-in-flight 3 --out " +
                                        out.string(),
                                    root_ / "log-trunc-middle");
  EXPECT_EQ(result.exit_code, 2) << result.err;
  EXPECT_TRUE(one_line(result.err)) << result.err;
  EXPECT_NE(result.err.find("truncated-middle.tif"), std::string::npos) << result.err;
  EXPECT_FALSE(fs::exists(out));
}

TEST_F(Cli, UnparsableDateNamesTheManifest) {
  const auto manifest = manifest_with_tile("baddate", "tiles/kah_2019-11-01.tif", "2019-13-01");
  const auto result = run_campscope("run " + manifest.string() + " --out " + (root_ / "out-date").string(),
                                    root_ / "log-date");
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_TRUE(one_line(result.err)) << result.err;
  EXPECT_NE(result.err.find("baddate.json"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("2019-13-01"), std::string::npos) << result.err;
}

TEST_F(Cli, InvalidCampsGeoJsonNamesTheFile) {
  write(root_ / "bad-camps" / "camps.geojson", R"({"type": "FeatureCollection", "features": [{"type": "Feature"})");
  write(root_ / "bad-camps" / "manifest.json",
        R"({"camps": "camps.geojson", "tiles": [{"path": ")" + (root_ / "sample" / "tiles" / "kah_2019-11-01.tif").string() +
            R"(", "date": "2019-11-01"}]})");
  const auto result = run_campscope("run " + (root_ / "bad-camps" / "manifest.json").string() + " --out " +
                                        (root_ / "out-camps").string(),
                                    root_ / "log-camps");
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_TRUE(one_line(result.err)) << result.err;
  EXPECT_NE(result.err.find("camps.geojson"), std::string::npos) << result.err;
}

TEST_F(Cli, InvalidModelFileNamesTheFileBeforeAnyWork) {
  const auto model = root_ / "bad-model.yml";
  write(model, "ground_tolerance: 15\nvehicle_max_widht_m: 3\n");
  const auto out = root_ / "out-model";
  const auto result = run_campscope("run " + manifest_with_tile("model", "tiles/kah_2019-11-01.tif").string() +
                                        " --out " + out.string() + " --model " + model.string(),
                                    root_ / "log-model");
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_TRUE(one_line(result.err)) << result.err;
  EXPECT_NE(result.err.find("bad-model.yml: unknown parameter 'vehicle_max_widht_m'"), std::string::npos)
      << result.err;
  EXPECT_FALSE(fs::exists(out / "estimates.csv"));
}

TEST_F(Cli, EarlierResultsSurviveAFailedRun) {
  const auto out = root_ / "out-keep";
  const auto good = manifest_with_tile("good", "tiles/kah_2019-11-01.tif");
  ASSERT_EQ(run_campscope("run " + good.string() + " --out " + out.string(), root_ / "log-good").exit_code, 0);
  const std::string estimates = read_file(out / "estimates.csv");
  const std::string detections = read_file(out / "detections.geojson");
  ASSERT_FALSE(estimates.empty());

  const auto bad = manifest_with_tile("bad", "tiles/corrupt-again.tif");
  write(root_ / "sample" / "tiles" / "corrupt-again.tif", std::string(4096, '\x7f'));
  EXPECT_EQ(run_campscope("run " + bad.string() + " --out " + out.string(), root_ / "log-bad").exit_code, 2);
  EXPECT_EQ(read_file(out / "estimates.csv"), estimates);
  EXPECT_EQ(read_file(out / "detections.geojson"), detections);
  for (const auto& entry : fs::directory_iterator(out))
    EXPECT_EQ(entry.path().filename().string().find(".tmp"), std::string::npos) << entry.path();
}

TEST_F(Cli, CudaBackendWithoutDeviceIsAnError) {
  const auto good = manifest_with_tile("good-cuda", "tiles/kah_2019-11-01.tif");
  const auto result = run_campscope("run " + good.string() + " --backend cuda --out " + (root_ / "out-cuda").string(),
                                    root_ / "log-cuda");
  if (result.exit_code == 0) GTEST_SKIP() << "a CUDA device is present";
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_TRUE(one_line(result.err)) << result.err;
}

TEST_F(Cli, BadTruthFileInEval) {
  write(root_ / "eval" / "truth.geojson", "{\"type\": \"FeatureCollection\", \"features\": 7}");
  const auto result = run_campscope("eval --truth " + (root_ / "eval" / "truth.geojson").string() + " --detections " +
                                        (root_ / "sample" / "truth.geojson").string(),
                                    root_ / "log-eval");
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_TRUE(one_line(result.err)) << result.err;
  EXPECT_NE(result.err.find("truth.geojson"), std::string::npos) << result.err;
}

TEST_F(Cli, UnknownScenarioAndMissingManifest) {
  auto result = run_campscope("generate --scenario atlantis --out " + (root_ / "atlantis").string(), root_ / "log-gen");
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_TRUE(one_line(result.err)) << result.err;
  result = run_campscope("run " + (root_ / "no-such-manifest.json").string() + " --out " + (root_ / "x").string(),
                         root_ / "log-missing");
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.err.find("no-such-manifest.json"), std::string::npos) << result.err;
}

}  // namespace
}  // namespace campscope

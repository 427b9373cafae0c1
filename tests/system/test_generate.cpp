#include "generate.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gdal_priv.h>
#include <ogr_spatialref.h>

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "campscope/types.h"

namespace campscope {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const std::vector<std::string> kDates = {"2019-11-01", "2019-12-01", "2019-12-24"};
const std::vector<std::string> kCamps = {"Atme", "Kah", "Deir Hassan", "Kafr Lusin"};

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

json read_json(const fs::path& path) { return json::parse(read_text(path)); }

// RFC 4180 rows: quoted fields may hold commas and doubled quotes.
std::vector<std::vector<std::string>> read_csv(const fs::path& path) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream lines(read_text(path));
  std::string line;
  while (std::getline(lines, line)) {
    std::vector<std::string> fields(1);
    bool quoted = false;
    for (std::size_t i = 0; i < line.size(); ++i) {
      const char c = line[i];
      if (quoted && c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        fields.back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = !quoted;
      } else if (c == ',' && !quoted) {
        fields.emplace_back();
      } else {
        fields.back() += c;
      }
    }
    rows.push_back(fields);
  }
  return rows;
}

std::vector<std::string> relative_files(const fs::path& root) {
  std::vector<std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(root))
    if (entry.is_regular_file()) files.push_back(fs::relative(entry.path(), root).string());
  std::sort(files.begin(), files.end());
  return files;
}

struct TileRaster {
  double geotransform[6] = {};
  int width = 0, height = 0;
  std::vector<unsigned char> rgb;  // pixel-interleaved
  bool nodata(int x, int y) const {
    const std::size_t at = 3 * (static_cast<std::size_t>(y) * width + x);
    return rgb[at] == 0 && rgb[at + 1] == 0 && rgb[at + 2] == 0;
  }
};

TileRaster read_tile(const fs::path& path) {
  std::unique_ptr<GDALDataset> dataset(GDALDataset::Open(path.string().c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY));
  if (!dataset) throw std::runtime_error("cannot open " + path.string());
  TileRaster tile;
  dataset->GetGeoTransform(tile.geotransform);
  tile.width = dataset->GetRasterXSize();
  tile.height = dataset->GetRasterYSize();
  tile.rgb.resize(3 * static_cast<std::size_t>(tile.width) * tile.height);
  int bands[3] = {1, 2, 3};
  if (dataset->RasterIO(GF_Read, 0, 0, tile.width, tile.height, tile.rgb.data(), tile.width, tile.height, GDT_Byte,
                        3, bands, 3, 3 * static_cast<GSpacing>(tile.width), 1, nullptr) != CE_None)
    throw std::runtime_error("cannot read " + path.string());
  return tile;
}

class LonLatToUtm {
 public:
  LonLatToUtm() {
    wgs84_.importFromEPSG(4326);
    utm_.importFromEPSG(32637);
    wgs84_.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
    utm_.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
    transform_.reset(OGRCreateCoordinateTransformation(&wgs84_, &utm_));
  }
  // Continuous pixel position of a lon/lat point in `tile`.
  cv::Point2d pixel(const TileRaster& tile, double lon, double lat) const {
    double x = lon, y = lat;
    transform_->Transform(1, &x, &y);
    return {(x - tile.geotransform[0]) / tile.geotransform[1], (y - tile.geotransform[3]) / tile.geotransform[5]};
  }

 private:
  struct Deleter {
    void operator()(OGRCoordinateTransformation* t) const { OGRCoordinateTransformation::DestroyCT(t); }
  };
  OGRSpatialReference wgs84_, utm_;
  std::unique_ptr<OGRCoordinateTransformation, Deleter> transform_;
};

// Every band of a tile, read as UInt16 whatever the file holds, pixel-interleaved.
struct TileBands {
  int width = 0, height = 0, bands = 0;
  std::vector<std::uint16_t> samples;
};

TileBands read_all_bands(GDALDataset& dataset) {
  TileBands tile;
  tile.width = dataset.GetRasterXSize();
  tile.height = dataset.GetRasterYSize();
  tile.bands = dataset.GetRasterCount();
  tile.samples.resize(static_cast<std::size_t>(tile.bands) * tile.width * tile.height);
  const GSpacing sample_bytes = sizeof(std::uint16_t);
  if (dataset.RasterIO(GF_Read, 0, 0, tile.width, tile.height, tile.samples.data(), tile.width, tile.height,
                       GDT_UInt16, tile.bands, nullptr, tile.bands * sample_bytes,
                       tile.bands * sample_bytes * tile.width, sample_bytes, nullptr) != CE_None)
    throw std::runtime_error("cannot read " + std::string(dataset.GetDescription()));
  return tile;
}

// The samples are generated once for the whole suite: the default profile twice with seed 1 (to compare bytes) and
// once with seed 2, the hard profile twice with seed 1.
class Generate : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    GDALAllRegister();
    root_ = fs::path(::testing::TempDir()) / ("campscope_generate_" + std::to_string(::getpid()));
    fs::remove_all(root_);
    GenerateOptions options;
    options.out_dir = (root_ / "seed1").string();
    summary_ = generate_scenario(options);
    options.out_dir = (root_ / "seed1_again").string();
    generate_scenario(options);
    options.out_dir = (root_ / "seed2").string();
    options.seed = 2;
    generate_scenario(options);
    options.profile = "hard";
    options.seed = 1;
    options.out_dir = hard_sample().string();
    hard_summary_ = generate_scenario(options);
    options.out_dir = (root_ / "hard_seed1_again").string();
    generate_scenario(options);
  }
  static void TearDownTestSuite() { fs::remove_all(root_); }

  static fs::path sample() { return root_ / "seed1"; }
  static fs::path hard_sample() { return root_ / "hard_seed1"; }
  // A tile of the hard sample (path as in its manifest) and its geotransform.
  static std::unique_ptr<GDALDataset> open_hard_tile(const std::string& path, double (&geotransform)[6]) {
    std::unique_ptr<GDALDataset> dataset(
        GDALDataset::Open((hard_sample() / path).string().c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY));
    if (dataset && dataset->GetGeoTransform(geotransform) != CE_None) dataset.reset();
    return dataset;
  }

  static fs::path root_;
  static GenerateSummary summary_, hard_summary_;
};

fs::path Generate::root_;
GenerateSummary Generate::summary_, Generate::hard_summary_;

TEST_F(Generate, SameSeedWritesIdenticalBytes) {
  const std::vector<std::string> files = relative_files(sample());
  ASSERT_EQ(files, relative_files(root_ / "seed1_again"));
  for (const char* file : {"manifest.json", "camps.geojson", "reported.csv", "truth.geojson",
                                  "truth_population.csv"})
    EXPECT_NE(std::find(files.begin(), files.end(), file), files.end()) << file;
  for (const std::string& file : files)
    EXPECT_TRUE(read_text(sample() / file) == read_text(root_ / "seed1_again" / file)) << file;
}

TEST_F(Generate, DifferentSeedsGiveDifferentScenes) {
  EXPECT_NE(read_text(sample() / "truth.geojson"), read_text(root_ / "seed2" / "truth.geojson"));
  EXPECT_NE(read_text(sample() / "tiles/kah_2019-11-01.tif"), read_text(root_ / "seed2" / "tiles/kah_2019-11-01.tif"));
}

TEST_F(Generate, ManifestListsEveryTileWithItsDate) {
  const json manifest = read_json(sample() / "manifest.json");
  EXPECT_EQ(manifest["camps"], "camps.geojson");
  EXPECT_EQ(manifest["reported"], "reported.csv");
  ASSERT_EQ(static_cast<int>(manifest["tiles"].size()), summary_.tiles);
  EXPECT_EQ(summary_.tiles, 18);  // per date: Atme twice, three other camps, the border road
  for (const json& tile : manifest["tiles"]) {
    const std::string path = tile["path"];
    EXPECT_TRUE(fs::is_regular_file(sample() / path)) << path;
    EXPECT_NE(path.find(tile["date"].get<std::string>()), std::string::npos) << path;
  }
}

TEST_F(Generate, TilesAreGeoreferencedRgbWithNodataZero) {
  const json manifest = read_json(sample() / "manifest.json");
  for (const json& tile : manifest["tiles"]) {
    const std::string path = (sample() / tile["path"].get<std::string>()).string();
    std::unique_ptr<GDALDataset> dataset(GDALDataset::Open(path.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY));
    ASSERT_TRUE(dataset) << path;
    EXPECT_EQ(dataset->GetRasterXSize(), 1024);
    EXPECT_EQ(dataset->GetRasterYSize(), 1024);
    ASSERT_EQ(dataset->GetRasterCount(), 3);
    const OGRSpatialReference* crs = dataset->GetSpatialRef();
    ASSERT_NE(crs, nullptr) << path;
    EXPECT_STREQ(crs->GetAuthorityCode(nullptr), "32637") << path;
    double gt[6];
    ASSERT_EQ(dataset->GetGeoTransform(gt), CE_None);
    EXPECT_EQ(gt[1], 0.5);
    EXPECT_EQ(gt[2], 0.0);
    EXPECT_EQ(gt[4], 0.0);
    EXPECT_EQ(gt[5], -0.5);
    const GDALColorInterp expected[3] = {GCI_RedBand, GCI_GreenBand, GCI_BlueBand};
    for (int band = 1; band <= 3; ++band) {
      GDALRasterBand* raster = dataset->GetRasterBand(band);
      EXPECT_EQ(raster->GetRasterDataType(), GDT_Byte);
      EXPECT_EQ(raster->GetColorInterpretation(), expected[band - 1]);
      int has_nodata = 0;
      EXPECT_EQ(raster->GetNoDataValue(&has_nodata), 0.0);
      EXPECT_TRUE(has_nodata);
    }
  }
}

TEST_F(Generate, CampsAreNamedLonLatPolygons) {
  const json camps = read_json(sample() / "camps.geojson");
  ASSERT_EQ(camps["features"].size(), kCamps.size());
  for (std::size_t i = 0; i < kCamps.size(); ++i) {
    const json& camp = camps["features"][i];
    EXPECT_EQ(camp["properties"]["name"], kCamps[i]);
    EXPECT_EQ(camp["geometry"]["type"], "Polygon");
    const json& ring = camp["geometry"]["coordinates"][0];
    EXPECT_TRUE(ring.size() == 5 || ring.size() == 7) << kCamps[i];
    EXPECT_EQ(ring.front(), ring.back());
    for (const json& vertex : ring) {
      EXPECT_NEAR(vertex[0].get<double>(), 36.67, 0.06);  // lon first
      EXPECT_NEAR(vertex[1].get<double>(), 36.19, 0.04);
    }
  }
  EXPECT_EQ(camps["features"][1]["properties"]["persons_per_tent"], 6);
  EXPECT_FALSE(camps["features"][0]["properties"].contains("persons_per_tent"));
}

TEST_F(Generate, TruthMatchesPopulationTableAndCampsGrow) {
  const json truth = read_json(sample() / "truth.geojson");
  std::map<std::pair<std::string, std::string>, std::pair<long long, long long>> counted;  // tents, vehicles
  long long tents = 0, vehicles = 0;
  std::set<std::string> atme_tiles;
  for (const json& feature : truth["features"]) {
    const json& properties = feature["properties"];
    EXPECT_EQ(properties["score"], 1.0);
    EXPECT_EQ(properties["gsd_m"], 0.5);
    // Every object differs from its surroundings; none by more than the L1 range over R, G, B.
    const double contrast = properties["contrast"];
    EXPECT_TRUE(contrast > 0.0 && contrast <= 765.0) << feature;
    auto& counts = counted[{properties["camp"], properties["date"]}];
    if (properties["class"] == "tent") {
      ++tents, ++counts.first;
      const double length = properties["length_m"], width = properties["width_m"];
      EXPECT_TRUE(length >= 3.0 && length <= 6.0 && width >= 3.0 && length <= 1.5 * width + 0.01) << feature;
      if (properties["camp"] == "Atme") atme_tiles.insert(properties["tile"].get<std::string>().substr(0, 15));
    } else {
      ASSERT_EQ(properties["class"], "vehicle");
      ++vehicles, ++counts.second;
    }
  }
  EXPECT_EQ(tents, summary_.tents);
  EXPECT_EQ(vehicles, summary_.vehicles);
  // Atme is split across two tiles: both must hold some of its tents.
  EXPECT_EQ(atme_tiles, (std::set<std::string>{"tiles/atme-east", "tiles/atme-west"}));

  const auto rows = read_csv(sample() / "truth_population.csv");
  ASSERT_EQ(rows.size(), 1 + kCamps.size() * kDates.size());
  EXPECT_EQ(rows[0], (std::vector<std::string>{"camp", "date", "tents", "vehicles", "population"}));
  std::map<std::string, std::vector<long long>> tents_by_camp;
  for (std::size_t r = 1; r < rows.size(); ++r) {
    const auto& row = rows[r];
    ASSERT_EQ(row.size(), 5u);
    const auto& counts = counted[{row[0], row[1]}];
    EXPECT_EQ(std::stoll(row[2]), counts.first) << row[0] << " " << row[1];
    EXPECT_EQ(std::stoll(row[3]), counts.second) << row[0] << " " << row[1];
    EXPECT_EQ(std::stoll(row[4]), counts.first * (row[0] == "Kah" ? 6 : 5)) << row[0] << " " << row[1];
    tents_by_camp[row[0]].push_back(counts.first);
  }
  for (const std::string& camp : kCamps) {
    const auto& series = tents_by_camp[camp];
    ASSERT_EQ(series.size(), kDates.size()) << camp;
    EXPECT_GT(series[0], 50) << camp;
    EXPECT_LT(series[0], series[1]) << camp;
    EXPECT_LT(series[1], series[2]) << camp;
  }
}

TEST_F(Generate, TruthPointsLieOnValidPixelsOfTheirTile) {
  const LonLatToUtm projection;
  std::map<std::string, TileRaster> tiles;
  const json truth = read_json(sample() / "truth.geojson");
  ASSERT_FALSE(truth["features"].empty());
  for (const json& feature : truth["features"]) {
    const std::string tile_path = feature["properties"]["tile"];
    ASSERT_NE(tile_path.find(feature["properties"]["date"].get<std::string>()), std::string::npos);
    auto found = tiles.find(tile_path);
    if (found == tiles.end()) found = tiles.emplace(tile_path, read_tile(sample() / tile_path)).first;
    const TileRaster& tile = found->second;
    const cv::Point2d pixel = projection.pixel(tile, feature["geometry"]["coordinates"][0].get<double>(),
                                               feature["geometry"]["coordinates"][1].get<double>());
    const int x = static_cast<int>(std::floor(pixel.x)), y = static_cast<int>(std::floor(pixel.y));
    ASSERT_TRUE(x >= 0 && y >= 0 && x < tile.width && y < tile.height) << feature;
    EXPECT_FALSE(tile.nodata(x, y)) << feature;
  }
}

// Deir Hassan is partly outside the imaged swath on 2019-12-01 only.
TEST_F(Generate, DeirHassanIsSeventyPercentCoveredOnSecondDate) {
  const LonLatToUtm projection;
  const json camps = read_json(sample() / "camps.geojson");
  const json& ring = camps["features"][2]["geometry"]["coordinates"][0];
  ASSERT_EQ(camps["features"][2]["properties"]["name"], "Deir Hassan");
  for (const std::string& date : kDates) {
    const TileRaster tile = read_tile(sample() / ("tiles/deir-hassan_" + date + ".tif"));
    std::vector<cv::Point> outline;
    for (const json& vertex : ring) {
      const cv::Point2d pixel = projection.pixel(tile, vertex[0].get<double>(), vertex[1].get<double>());
      outline.emplace_back(static_cast<int>(std::lround(pixel.x)), static_cast<int>(std::lround(pixel.y)));
    }
    cv::Mat inside = cv::Mat::zeros(tile.height, tile.width, CV_8U);
    cv::fillPoly(inside, std::vector<std::vector<cv::Point>>{outline}, cv::Scalar(1));
    long long camp_pixels = 0, imaged = 0;
    for (int y = 0; y < tile.height; ++y)
      for (int x = 0; x < tile.width; ++x)
        if (inside.at<unsigned char>(y, x)) ++camp_pixels, imaged += tile.nodata(x, y) ? 0 : 1;
    ASSERT_GT(camp_pixels, 200000);  // a hexagon inside 350 x 300 m is about 280,000 pixels
    const double coverage = static_cast<double>(imaged) / static_cast<double>(camp_pixels);
    if (date == "2019-12-01")
      EXPECT_NEAR(coverage, 0.7, 0.02);
    else
      EXPECT_EQ(coverage, 1.0) << date;
  }
}

TEST_F(Generate, ReportedFiguresAreTheScaledTruth) {
  const auto population = read_csv(sample() / "truth_population.csv");
  long long first = 0, last = 0;
  for (std::size_t r = 1; r < population.size(); ++r) {
    if (population[r][1] == "2019-11-01") first += std::stoll(population[r][4]);
    if (population[r][1] == "2019-12-24") last += std::stoll(population[r][4]);
  }
  const double scale = static_cast<double>(last - first) / 215000.0;
  const auto rows = read_csv(sample() / "reported.csv");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0], (std::vector<std::string>{"date", "region", "kind", "figure", "source"}));
  for (std::size_t r = 1; r < rows.size(); ++r) {
    ASSERT_EQ(rows[r].size(), 5u) << "row " << r;
    EXPECT_EQ(rows[r][0], "2019-12-24");
    EXPECT_EQ(rows[r][1], "all");
    EXPECT_NE(rows[r][4].find("scaled by"), std::string::npos);
  }
  EXPECT_EQ(rows[1][2], "arrivals_since:2019-11-01");
  EXPECT_EQ(std::stoll(rows[1][3]), std::llround(215000.0 * scale));
  EXPECT_EQ(std::stoll(rows[1][3]), last - first);
  EXPECT_NE(rows[1][4].find("215,000"), std::string::npos);
  EXPECT_EQ(rows[2][2], "arrivals_since:2019-12-21");
  EXPECT_EQ(std::stoll(rows[2][3]), std::llround(10000.0 * scale));
}

TEST_F(Generate, UnknownScenarioOrProfileIsInputError) {
  const fs::path never_written = fs::path(::testing::TempDir()) / "campscope_generate_never_written";
  GenerateOptions options;
  options.out_dir = never_written.string();
  options.scenario = "aleppo";
  EXPECT_THROW(generate_scenario(options), InputError);
  options.scenario = "idlib-border";
  options.profile = "extreme";
  try {
    generate_scenario(options);
    ADD_FAILURE() << "profile 'extreme' was accepted";
  } catch (const InputError& error) {
    EXPECT_NE(std::string(error.what()).find("(expected default or hard)"), std::string::npos) << error.what();
  }
  options.profile = "default";
  options.out_dir.clear();
  EXPECT_THROW(generate_scenario(options), InputError);
  EXPECT_FALSE(fs::exists(never_written));
}

TEST_F(Generate, HardSameSeedWritesIdenticalBytes) {
  const std::vector<std::string> files = relative_files(hard_sample());
  ASSERT_EQ(files, relative_files(root_ / "hard_seed1_again"));
  for (const std::string& file : files)
    EXPECT_TRUE(read_text(hard_sample() / file) == read_text(root_ / "hard_seed1_again" / file)) << file;
}

// Every tile spans 512 m of ground at 0.3, 0.5, 0.7 or 1.0 m (pixel count rounded down, so the pixel is never finer
// than nominal); 8-bit RGB and 16-bit R, G, B, NIR both occur; nodata is 0 in every band and nowhere else.
TEST_F(Generate, HardTilesMixGsdsAndFormatsAndKeepNodataZero) {
  const json manifest = read_json(hard_sample() / "manifest.json");
  ASSERT_EQ(static_cast<int>(manifest["tiles"].size()), hard_summary_.tiles);
  EXPECT_EQ(hard_summary_.tiles, 18);
  std::set<double> gsds;
  int rgb_tiles = 0, rgbn_tiles = 0;
  long long deir_hassan_nodata = 0;
  for (const json& tile : manifest["tiles"]) {
    const std::string path = tile["path"];
    double gt[6];
    const std::unique_ptr<GDALDataset> dataset = open_hard_tile(path, gt);
    ASSERT_TRUE(dataset) << path << " does not open with a geotransform";
    const int pixels = dataset->GetRasterXSize();
    EXPECT_EQ(dataset->GetRasterYSize(), pixels) << path;
    EXPECT_EQ(gt[5], -gt[1]) << path;
    EXPECT_NEAR(gt[1] * pixels, 512.0, 1e-9) << path;
    bool known_gsd = false;
    for (double nominal : {0.3, 0.5, 0.7, 1.0})
      if (pixels == static_cast<int>(std::floor(512.0 / nominal))) {
        known_gsd = true;
        gsds.insert(nominal);
        EXPECT_GE(gt[1], nominal) << path;
      }
    EXPECT_TRUE(known_gsd) << path << ": " << pixels << " pixels";

    const GDALDataType type = dataset->GetRasterBand(1)->GetRasterDataType();
    if (type == GDT_UInt16 && dataset->GetRasterCount() == 4) {
      ++rgbn_tiles;
      EXPECT_NE(dataset->GetRasterBand(4)->GetColorInterpretation(), GCI_AlphaBand) << path;
    } else {
      EXPECT_EQ(type, GDT_Byte) << path;
      EXPECT_EQ(dataset->GetRasterCount(), 3) << path;
      ++rgb_tiles;
    }
    for (int band = 1; band <= dataset->GetRasterCount(); ++band) {
      GDALRasterBand* raster = dataset->GetRasterBand(band);
      EXPECT_EQ(raster->GetRasterDataType(), type) << path << " band " << band;
      int has_nodata = 0;
      EXPECT_EQ(raster->GetNoDataValue(&has_nodata), 0.0) << path << " band " << band;
      EXPECT_TRUE(has_nodata) << path << " band " << band;
    }

    const TileBands bands = read_all_bands(*dataset);
    long long mixed = 0, nodata = 0;
    for (std::size_t at = 0; at < bands.samples.size(); at += static_cast<std::size_t>(bands.bands)) {
      const auto first = bands.samples.begin() + static_cast<std::ptrdiff_t>(at);
      const auto zeros = std::count(first, first + bands.bands, 0);
      if (zeros == bands.bands)
        ++nodata;
      else if (zeros > 0)
        ++mixed;
    }
    EXPECT_EQ(mixed, 0) << path << ": pixels with 0 in some bands but not all";
    if (path == "tiles/deir-hassan_2019-12-01.tif")
      deir_hassan_nodata = nodata;
    else
      EXPECT_EQ(nodata, 0) << path;
  }
  EXPECT_EQ(gsds, (std::set<double>{0.3, 0.5, 0.7, 1.0}));
  EXPECT_GT(rgb_tiles, 0);
  EXPECT_GT(rgbn_tiles, 0);
  EXPECT_GT(deir_hassan_nodata, 0) << "the swath edge of Deir Hassan on 2019-12-01 must survive delivery";
}

TEST_F(Generate, HardTruthCarriesThePixelSizeOfItsTile) {
  std::map<std::string, double> pixel_size;
  const json manifest = read_json(hard_sample() / "manifest.json");
  for (const json& tile : manifest["tiles"]) {
    const std::string path = tile["path"];
    double gt[6];
    const std::unique_ptr<GDALDataset> dataset = open_hard_tile(path, gt);
    ASSERT_TRUE(dataset) << path << " does not open with a geotransform";
    pixel_size[path] = gt[1];
  }
  const json truth = read_json(hard_sample() / "truth.geojson");
  long long tents = 0, vehicles = 0;
  std::set<std::string> gsds_seen;
  for (const json& feature : truth["features"]) {
    const json& properties = feature["properties"];
    const auto tile = pixel_size.find(properties["tile"].get<std::string>());
    ASSERT_NE(tile, pixel_size.end()) << feature;
    EXPECT_NEAR(properties["gsd_m"].get<double>(), tile->second, 1e-6) << feature;
    gsds_seen.insert(properties["gsd_m"].dump());
    if (properties["class"] == "tent") {
      ++tents;
    } else {
      EXPECT_EQ(properties["class"], "vehicle") << feature;
      ++vehicles;
    }
  }
  EXPECT_EQ(tents, hard_summary_.tents);
  EXPECT_EQ(vehicles, hard_summary_.vehicles);
  EXPECT_EQ(gsds_seen.size(), 4u);
}

}  // namespace
}  // namespace campscope

#include <gdal_priv.h>
#include <gtest/gtest.h>
#include <ogr_spatialref.h>
#include <stdlib.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>

#include "campscope/types.h"
#include "geotiff.h"
#include "outputs.h"

#include "temp_dir.h"

namespace campscope {
namespace {

namespace fs = std::filesystem;

using testing::TempDir;

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

std::string utm37n_wkt() {
  OGRSpatialReference utm;
  utm.importFromEPSG(32637);
  char* wkt = nullptr;
  utm.exportToWkt(&wkt);
  const std::string text = wkt;
  CPLFree(wkt);
  return text;
}

// ---- write_file_atomically ----

TEST(OutputsAtomicWrite, CreatesAndReplacesLeavingNoTemporaryFile) {
  TempDir dir;
  const std::string path = dir.file("summary.csv");
  write_file_atomically(path, "first\n");
  EXPECT_EQ(read_all(path), "first\n");
  std::mt19937 rng(8);
  std::string binary(1 << 20, '\0');
  for (char& c : binary) c = static_cast<char>(rng());
  write_file_atomically(path, binary);
  EXPECT_EQ(read_all(path), binary);
  write_file_atomically(path, "");
  EXPECT_EQ(read_all(path), "");
  EXPECT_EQ(dir.listing(), std::vector<std::string>{"summary.csv"});
}

TEST(OutputsAtomicWrite, FailuresNameThePathAndKeepTheOldFile) {
  TempDir dir;
  const std::string missing_directory = dir.file("no/such/dir/out.csv");
  try {
    write_file_atomically(missing_directory, "x");
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()).rfind(missing_directory + ": ", 0), 0u) << e.what();
  }
  // Renaming over a non-empty directory fails: the directory stays, and the temporary file is cleaned up.
  const std::string occupied = dir.file("occupied");
  fs::create_directories(fs::path(occupied) / "inside");
  try {
    write_file_atomically(occupied, "x");
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()).rfind(occupied + ": ", 0), 0u) << e.what();
  }
  EXPECT_TRUE(fs::is_directory(occupied));
  EXPECT_EQ(dir.listing(), std::vector<std::string>{"occupied"});
}

// ---- detections GeoJSON ----

TEST(OutputsDetections, FormatsSevenDecimalsAndOnlyTheContractProperties) {
  Detection d;
  d.cls = ObjectClass::Vehicle;
  d.lon = 36.123456789;
  d.lat = -0.00000001;
  d.score = 0.87f;
  d.date = "2019-11-01";
  d.tile = "tiles/a \"b\".tif";
  const std::string text = detections_geojson({d});
  EXPECT_NE(text.find("\"coordinates\":[36.1234568,0.0000000]"), std::string::npos) << text;
  EXPECT_NE(text.find("\"score\":0.87"), std::string::npos) << text;
  const nlohmann::json parsed = nlohmann::json::parse(text);
  EXPECT_EQ(parsed["type"], "FeatureCollection");
  ASSERT_EQ(parsed["features"].size(), 1u);
  const nlohmann::json& feature = parsed["features"][0];
  EXPECT_EQ(feature["type"], "Feature");
  EXPECT_EQ(feature["geometry"]["type"], "Point");
  std::vector<std::string> keys;
  for (const auto& item : feature["properties"].items()) keys.push_back(item.key());
  EXPECT_EQ(keys, (std::vector<std::string>{"class", "completed", "date", "score", "tile"}));
  EXPECT_EQ(feature["properties"]["completed"], false);
  EXPECT_EQ(feature["properties"]["class"], "vehicle");
  EXPECT_EQ(feature["properties"]["tile"], "tiles/a \"b\".tif");

  const nlohmann::json empty = nlohmann::json::parse(detections_geojson({}));
  EXPECT_EQ(empty["type"], "FeatureCollection");
  EXPECT_TRUE(empty["features"].is_array() && empty["features"].empty());

  d.score = std::numeric_limits<float>::quiet_NaN();
  EXPECT_THROW(detections_geojson({d}), std::invalid_argument);
}

TEST(OutputsDetections, RoundTripsThroughLoadPointsGeojson) {
  std::mt19937 rng(7946);
  std::uniform_real_distribution<double> lon(-180.0, 180.0), lat(-90.0, 90.0);
  std::uniform_real_distribution<float> score(0.0f, 1.0f);
  std::uniform_int_distribution<int> day(1, 28), kind(0, 1);
  const std::vector<std::string> tiles = {"tiles/a.tif", "/abs/path with space.tif", "t\\back\"quote\n\xC3\xA9", ""};
  std::vector<Detection> detections;
  for (int i = 0; i < 257; ++i) {
    Detection d;
    d.cls = kind(rng) ? ObjectClass::Vehicle : ObjectClass::Tent;
    d.lon = lon(rng);
    d.lat = lat(rng);
    d.score = score(rng);
    char date[16];
    std::snprintf(date, sizeof date, "2020-02-%02d", day(rng));
    d.date = date;
    d.tile = tiles[i % tiles.size()];
    d.completed = i % 3 == 1;
    detections.push_back(d);
  }
  detections[0].lon = 180.0;  // extremes stay in range after rounding
  detections[0].lat = -90.0;
  detections[1].score = 1e-7f;
  detections[2].score = 1.0f;
  TempDir dir;
  const std::string path = dir.file("detections.geojson");
  write_file_atomically(path, detections_geojson(detections));
  const std::vector<Detection> loaded = load_points_geojson(path);
  ASSERT_EQ(loaded.size(), detections.size());
  for (std::size_t i = 0; i < loaded.size(); ++i) {
    EXPECT_EQ(loaded[i].cls, detections[i].cls) << i;
    EXPECT_NEAR(loaded[i].lon, detections[i].lon, 0.51e-7) << i;
    EXPECT_NEAR(loaded[i].lat, detections[i].lat, 0.51e-7) << i;
    EXPECT_EQ(loaded[i].score, detections[i].score) << i;  // shortest round-trip float text
    EXPECT_EQ(loaded[i].date, detections[i].date) << i;
    EXPECT_EQ(loaded[i].tile, detections[i].tile) << i;
    EXPECT_EQ(loaded[i].completed, detections[i].completed) << i;
  }
}

TEST(OutputsDetections, TruthFilesMayOmitScoreAndTile) {
  TempDir dir;
  const std::string path = dir.write("truth.geojson", R"({"type": "FeatureCollection", "features": [
    {"type": "Feature", "geometry": {"type": "Point", "coordinates": [39.5, 2.25, 10]},
     "properties": {"class": "tent", "date": "2019-11-01", "id": 4}}]})");
  const std::vector<Detection> loaded = load_points_geojson(path);
  ASSERT_EQ(loaded.size(), 1u);
  EXPECT_EQ(loaded[0].cls, ObjectClass::Tent);
  EXPECT_EQ(loaded[0].lon, 39.5);
  EXPECT_EQ(loaded[0].lat, 2.25);
  EXPECT_EQ(loaded[0].score, 1.0f);
  EXPECT_EQ(loaded[0].tile, "");
}

TEST(OutputsDetections, RejectsMalformedPointFiles) {
  TempDir dir;
  auto point = [](const std::string& geometry, const std::string& properties) {
    return R"({"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": )" + geometry +
           R"(, "properties": )" + properties + "}]}";
  };
  const std::string at = R"({"type": "Point", "coordinates": [1, 2]})";
  const std::string props = R"({"class": "tent", "date": "2019-11-01", "score": 0.5, "tile": "a.tif"})";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"{\"type\": \"FeatureCollection\", \"features\": [}", "invalid JSON"},
      {"{\"type\": \"Feature\"}", "not a GeoJSON FeatureCollection"},
      {"{\"type\": \"FeatureCollection\"}", "no 'features' array"},
      {"{\"type\": \"FeatureCollection\", \"features\": [1]}", "feature 1 is not a GeoJSON Feature"},
      {point(R"({"type": "Polygon", "coordinates": []})", props), "feature 1: geometry must be a Point"},
      {point("null", props), "feature 1: geometry must be a Point"},
      {point(R"({"type": "Point", "coordinates": [1]})", props), "Point coordinates must be"},
      {point(R"({"type": "Point", "coordinates": [1, "2"]})", props), "latitude must be a finite number"},
      {point(R"({"type": "Point", "coordinates": [181, 2]})", props), "is outside lon [-180, 180]"},
      {point(at, "null"), "feature 1 has no properties"},
      {point(at, R"({"date": "2019-11-01"})"), "feature 1 has no string 'class' property"},
      {point(at, R"({"class": "truck", "date": "2019-11-01"})"), "unknown class 'truck'"},
      {point(at, R"({"class": "tent"})"), "feature 1 has no string 'date' property"},
      {point(at, R"({"class": "tent", "date": "2019-02-30"})"), "'2019-02-30' is not a valid date"},
      {point(at, R"({"class": "tent", "date": "2019-11-01", "score": "high"})"), "'score' must be a finite number"},
      {point(at, R"({"class": "tent", "date": "2019-11-01", "tile": 3})"), "'tile' must be a string"},
      {point(at, R"({"class": "tent", "date": "2019-11-01", "completed": 1})"), "'completed' must be true or false"},
  };
  for (const auto& [content, detail] : cases) {
    const std::string path = dir.write("points.geojson", content);
    try {
      load_points_geojson(path);
      ADD_FAILURE() << "no InputError for: " << content;
    } catch (const InputError& e) {
      const std::string message = e.what();
      EXPECT_EQ(message.rfind(path + ": ", 0), 0u) << message;
      EXPECT_NE(message.find(detail), std::string::npos) << message;
    }
  }
}

// ---- density GeoTIFF ----

TEST(OutputsDensity, GeoTiffRoundTripsValuesAndGeoreferencing) {
  TempDir dir;
  GridSpec grid;
  grid.origin_x = 500123.5;
  grid.origin_y = 100987.25;
  grid.cell_m = 10.0;
  grid.width = 37;
  grid.height = 23;
  grid.crs_wkt = utm37n_wkt();
  std::mt19937 rng(3723);
  std::uniform_real_distribution<float> value(0.0f, 50000.0f);
  std::vector<float> values(static_cast<std::size_t>(grid.width) * grid.height);
  for (float& v : values) v = value(rng);
  values[0] = 0.0f;
  values[1] = std::numeric_limits<float>::denorm_min();
  values[2] = 3.4e38f;
  const std::string path = dir.file("density.tif");
  write_file_atomically(path, "an older, different file");
  write_density_geotiff(path, grid, values);
  EXPECT_EQ(dir.listing(), std::vector<std::string>{"density.tif"});

  ensure_gdal_registered();
  GDALDataset* dataset = GDALDataset::FromHandle(GDALOpen(path.c_str(), GA_ReadOnly));
  ASSERT_NE(dataset, nullptr);
  EXPECT_EQ(dataset->GetRasterXSize(), 37);
  EXPECT_EQ(dataset->GetRasterYSize(), 23);
  ASSERT_EQ(dataset->GetRasterCount(), 1);
  double gt[6];
  ASSERT_EQ(dataset->GetGeoTransform(gt), CE_None);
  EXPECT_EQ(gt[0], 500123.5);
  EXPECT_EQ(gt[1], 10.0);
  EXPECT_EQ(gt[2], 0.0);
  EXPECT_EQ(gt[3], 100987.25);
  EXPECT_EQ(gt[4], 0.0);
  EXPECT_EQ(gt[5], -10.0);
  const OGRSpatialReference* crs = dataset->GetSpatialRef();
  ASSERT_NE(crs, nullptr);
  EXPECT_STREQ(crs->GetAuthorityCode(nullptr), "32637");
  GDALRasterBand* band = dataset->GetRasterBand(1);
  EXPECT_EQ(band->GetRasterDataType(), GDT_Float32);
  EXPECT_STREQ(band->GetDescription(), "persons per km2");
  EXPECT_STREQ(dataset->GetMetadataItem("COMPRESSION", "IMAGE_STRUCTURE"), "DEFLATE");
  int block_x = 0, block_y = 0;
  band->GetBlockSize(&block_x, &block_y);
  EXPECT_EQ(block_x, 256);
  EXPECT_EQ(block_y, 256);
  std::vector<float> read_back(values.size());
  ASSERT_EQ(band->RasterIO(GF_Read, 0, 0, 37, 23, read_back.data(), 37, 23, GDT_Float32, 0, 0, nullptr), CE_None);
  GDALClose(GDALDataset::ToHandle(dataset));
  EXPECT_EQ(read_back, values);

  // Replacing it with a different grid.
  grid.width = 5;
  grid.height = 3;
  write_density_geotiff(path, grid, std::vector<float>(15, 2.5f));
  dataset = GDALDataset::FromHandle(GDALOpen(path.c_str(), GA_ReadOnly));
  ASSERT_NE(dataset, nullptr);
  EXPECT_EQ(dataset->GetRasterXSize(), 5);
  GDALClose(GDALDataset::ToHandle(dataset));
  EXPECT_EQ(dir.listing(), std::vector<std::string>{"density.tif"});
}

TEST(OutputsDensity, RejectsMismatchedValuesAndBadTargets) {
  TempDir dir;
  GridSpec grid;
  grid.width = 4;
  grid.height = 3;
  grid.crs_wkt = utm37n_wkt();
  EXPECT_THROW(write_density_geotiff(dir.file("d.tif"), grid, std::vector<float>(11, 1.0f)), std::invalid_argument);
  const std::string unwritable = dir.file("missing/d.tif");
  try {
    write_density_geotiff(unwritable, grid, std::vector<float>(12, 1.0f));
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()).rfind(unwritable + ": ", 0), 0u) << e.what();
  }
  grid.crs_wkt = "garbage";
  EXPECT_THROW(write_density_geotiff(dir.file("d.tif"), grid, std::vector<float>(12, 1.0f)), std::runtime_error);
  EXPECT_TRUE(dir.listing().empty());
}

TEST(PointProperty, NumbersNullsAndMissingValues) {
  TempDir dir;
  const std::string path = dir.write("truth.geojson", R"({"type": "FeatureCollection", "features": [
    {"type": "Feature", "geometry": {"type": "Point", "coordinates": [36.6, 36.2]}, "properties": {"contrast": 41.5}},
    {"type": "Feature", "geometry": {"type": "Point", "coordinates": [36.6, 36.2]}, "properties": {"contrast": null}},
    {"type": "Feature", "geometry": {"type": "Point", "coordinates": [36.6, 36.2]}, "properties": {}},
    {"type": "Feature", "geometry": {"type": "Point", "coordinates": [36.6, 36.2]}, "properties": {"contrast": 7}}]})");
  const std::vector<std::optional<double>> values = load_point_property(path, "contrast");
  ASSERT_EQ(values.size(), 4u);
  EXPECT_EQ(values[0], 41.5);
  EXPECT_FALSE(values[1]);
  EXPECT_FALSE(values[2]);
  EXPECT_EQ(values[3], 7.0);

  const std::string bad = dir.write("bad.geojson", R"({"type": "FeatureCollection", "features": [
    {"type": "Feature", "geometry": {"type": "Point", "coordinates": [36.6, 36.2]}, "properties": {"gsd_m": "0.5"}}]})");
  try {
    load_point_property(bad, "gsd_m");
    ADD_FAILURE() << "no InputError";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()), bad + ": feature 1 has a non-numeric 'gsd_m'");
  }
}

}  // namespace
}  // namespace campscope

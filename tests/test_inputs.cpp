#include <gtest/gtest.h>
#include <ogr_spatialref.h>
#include <stdlib.h>

#include <cmath>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <string>

#include "campscope/types.h"
#include "inputs.h"

#include "input_error.h"
#include "temp_dir.h"

namespace campscope {
namespace {

namespace fs = std::filesystem;

using testing::expect_input_error;
using testing::TempDir;

// ---- MANIFEST.json ----

TEST(InputsManifest, ResolvesPathsAgainstTheManifestDirectory) {
  TempDir dir;
  const std::string reported = (dir.path() / "elsewhere" / "reported.csv").string();
  const std::string path = dir.write("run/MANIFEST.json", R"({"camps": "camps.geojson", "reported": ")" + reported +
                                                              R"(", "tiles": [{"path": "tiles/a.tif", "date": "2019-11-01"},
                                      {"path": "../b.tif", "date": "2020-02-29"}]})");
  const Manifest manifest = load_manifest(path);
  EXPECT_EQ(manifest.path, path);
  EXPECT_EQ(manifest.camps_path, (dir.path() / "run" / "camps.geojson").string());
  EXPECT_EQ(manifest.reported_path, reported);
  ASSERT_EQ(manifest.tiles.size(), 2u);
  EXPECT_EQ(manifest.tiles[0].path, "tiles/a.tif");
  EXPECT_EQ(manifest.tiles[0].resolved_path, (dir.path() / "run" / "tiles" / "a.tif").string());
  EXPECT_EQ(manifest.tiles[0].date, "2019-11-01");
  EXPECT_EQ(manifest.tiles[1].resolved_path, (dir.path() / "b.tif").string());
  EXPECT_EQ(manifest.tiles[1].date, "2020-02-29");
}

TEST(InputsManifest, OptionalFilesAbsentGiveEmptyPaths) {
  TempDir dir;
  const std::string path = dir.write("MANIFEST.json", R"({"tiles": [{"path": "x.tif", "date": "2021-07-09"}], "camps": null})");
  const Manifest manifest = load_manifest(path);
  EXPECT_EQ(manifest.camps_path, "");
  EXPECT_EQ(manifest.reported_path, "");
  ASSERT_EQ(manifest.tiles.size(), 1u);
}

TEST(InputsManifest, RejectsMalformedManifests) {
  TempDir dir;
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "invalid JSON"},
      {"{\"tiles\": [", "invalid JSON"},
      {"[1, 2]", "must be a JSON object"},
      {"{}", "'tiles' must be a non-empty array"},
      {"{\"tiles\": []}", "'tiles' must be a non-empty array"},
      {"{\"tiles\": {\"path\": \"a.tif\"}}", "'tiles' must be a non-empty array"},
      {"{\"tiles\": [\"a.tif\"]}", "tile 1 must be an object"},
      {"{\"tiles\": [{\"date\": \"2019-11-01\"}]}", "tile 1: 'path' must be a non-empty string"},
      {"{\"tiles\": [{\"path\": \"\", \"date\": \"2019-11-01\"}]}", "tile 1: 'path' must be a non-empty string"},
      {"{\"tiles\": [{\"path\": \"a.tif\"}]}", "tile 1: 'date' must be a string"},
      {"{\"tiles\": [{\"path\": \"a.tif\", \"date\": 20191101}]}", "tile 1: 'date' must be a string"},
      {"{\"tiles\": [{\"path\": \"a.tif\", \"date\": \"2019-02-29\"}]}",
       "tile 1: date: '2019-02-29' is not a valid date (YYYY-MM-DD)"},
      {"{\"tiles\": [{\"path\": \"a.tif\", \"date\": \"2019-11-01\"}, {\"path\": \"./a.tif\", \"date\": \"2019-12-01\"}]}",
       "tile 2: './a.tif' is listed more than once"},
      {"{\"tiles\": [{\"path\": \"a.tif\", \"date\": \"2019-11-01\", \"dat\": 1}]}", "tile 1: unknown key 'dat'"},
      {"{\"camp\": \"c.geojson\", \"tiles\": [{\"path\": \"a.tif\", \"date\": \"2019-11-01\"}]}", "unknown key 'camp'"},
      {"{\"camps\": 3, \"tiles\": [{\"path\": \"a.tif\", \"date\": \"2019-11-01\"}]}", "'camps' must be a non-empty string"},
      {"{\"reported\": \"\", \"tiles\": [{\"path\": \"a.tif\", \"date\": \"2019-11-01\"}]}",
       "'reported' must be a non-empty string"},
  };
  for (const auto& [content, detail] : cases) {
    const std::string path = dir.write("MANIFEST.json", content);
    expect_input_error([&] { load_manifest(path); }, path, detail);
  }
  const std::string missing = (dir.path() / "missing.json").string();
  expect_input_error([&] { load_manifest(missing); }, missing, "cannot open");
  expect_input_error([&] { load_manifest(dir.path().string()); }, dir.path().string(), "is a directory");
}

// ---- dates ----

TEST(InputsDate, AcceptsRealCalendarDatesOnly) {
  for (const char* good : {"2019-11-01", "2020-02-29", "2000-02-29", "1999-12-31", "0001-01-01", "9999-12-31"}) {
    EXPECT_NO_THROW(require_date(good, "ctx")) << good;
  }
  for (const char* bad : {"2019-02-30", "2019-02-29", "1900-02-29", "2019-13-01", "2019-00-10", "2019-04-31",
                          "2019-01-00", "0000-01-01", "2019-1-01", "20190101", "2019-01-01x", "", "2019/01/01",
                          " 2019-01-01", "2019-01-0a", "2019-+1-01", "2019-01-01\n"}) {
    EXPECT_THROW(require_date(bad, "ctx"), InputError) << bad;
  }
  try {
    require_date("2019-02-30", "reported.csv: line 4: date");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_STREQ(e.what(), "reported.csv: line 4: date: '2019-02-30' is not a valid date (YYYY-MM-DD)");
  }
}

TEST(InputsDate, RandomDatesAgreeWithTimegm) {
  std::mt19937 rng(20191101);
  std::uniform_int_distribution<int> year(1, 9999), month(0, 13), day(0, 32);
  for (int i = 0; i < 3000; ++i) {
    std::tm t{};
    t.tm_year = year(rng) - 1900;
    t.tm_mon = month(rng) - 1;
    t.tm_mday = day(rng);
    const int y = t.tm_year + 1900, m = t.tm_mon + 1, d = t.tm_mday;
    char text[32];
    std::snprintf(text, sizeof text, "%04d-%02d-%02d", y, m, d);
    std::tm normalised = t;
    ::timegm(&normalised);  // normalises out-of-range fields, so only real dates come back unchanged
    const bool real = normalised.tm_year == t.tm_year && normalised.tm_mon == t.tm_mon && normalised.tm_mday == d &&
                      m >= 1 && m <= 12;
    if (real) {
      EXPECT_NO_THROW(require_date(text, "ctx")) << text;
    } else {
      EXPECT_THROW(require_date(text, "ctx"), InputError) << text;
    }
  }
}

// ---- camps.geojson ----

std::string feature(const std::string& properties, const std::string& geometry) {
  return R"({"type": "Feature", "properties": )" + properties + R"(, "geometry": )" + geometry + "}";
}

std::string collection(const std::vector<std::string>& features) {
  std::string text = R"({"type": "FeatureCollection", "features": [)";
  for (std::size_t i = 0; i < features.size(); ++i) text += (i ? ",\n" : "\n") + features[i];
  return text + "]}";
}

const char* const kSquare = R"({"type": "Polygon", "coordinates": [[[39.0, 1.0], [39.01, 1.0], [39.01, 1.01], [39.0, 1.01], [39.0, 1.0]]]})";

TEST(InputsCamps, LoadsPolygonsHolesAndMultiPolygons) {
  TempDir dir;
  const std::string path = dir.write(
      "camps.geojson",
      collection({feature(R"({"name": "Camp A", "persons_per_tent": 4.5})",
                          R"({"type": "Polygon", "coordinates": [
                               [[38.0, 2.0], [38.1, 2.0], [38.1, 2.1], [38.0, 2.1], [38.0, 2.0]],
                               [[38.02, 2.02, 5.0], [38.05, 2.02, 5.0], [38.05, 2.05, 5.0], [38.02, 2.02, 5.0]]]})"),
                  feature(R"({"name": "Camp B, \"north\"", "persons_per_tent": 50, "other": [1]})",
                          R"({"type": "MultiPolygon", "coordinates": [
                               [[[-179.5, -89.0], [180.0, -89.0], [180.0, 90.0], [-179.5, -89.0]]],
                               [[[10.0, 10.0], [10.5, 10.0], [10.5, 10.5], [10.25, 10.7], [10.0, 10.0]]]]})"),
                  feature(R"({"name": "C", "persons_per_tent": null})", kSquare)}));
  const std::vector<Camp> camps = load_camps(path);
  ASSERT_EQ(camps.size(), 3u);
  EXPECT_EQ(camps[0].name, "Camp A");
  EXPECT_DOUBLE_EQ(camps[0].persons_per_tent, 4.5);
  ASSERT_EQ(camps[0].polygons.size(), 1u);
  ASSERT_EQ(camps[0].polygons[0].size(), 2u);
  EXPECT_EQ(camps[0].polygons[0][0].size(), 5u);
  EXPECT_EQ(camps[0].polygons[0][1].size(), 4u);
  EXPECT_DOUBLE_EQ(camps[0].polygons[0][1][1][0], 38.05);
  EXPECT_DOUBLE_EQ(camps[0].polygons[0][1][1][1], 2.02);
  EXPECT_EQ(camps[1].name, "Camp B, \"north\"");
  EXPECT_DOUBLE_EQ(camps[1].persons_per_tent, 50.0);
  ASSERT_EQ(camps[1].polygons.size(), 2u);
  EXPECT_EQ(camps[1].polygons[1][0].size(), 5u);
  EXPECT_LE(camps[2].persons_per_tent, 0.0);

  const CampPolygons flat = camps_in_lonlat(camps);
  ASSERT_EQ(flat.camp_count(), 3);
  EXPECT_EQ(flat.camp_rings, (std::vector<std::int32_t>{0, 2, 4, 5}));
  // Closing positions are dropped: rings of 5, 4, 4, 5, 5 positions become 4, 3, 3, 4, 4 vertices.
  EXPECT_EQ(flat.ring_offsets, (std::vector<std::int32_t>{0, 4, 7, 10, 14, 18}));
  ASSERT_EQ(flat.xs.size(), 18u);
  EXPECT_DOUBLE_EQ(flat.xs[4], 38.02);
  EXPECT_DOUBLE_EQ(flat.ys[4], 2.02);
  EXPECT_DOUBLE_EQ(flat.xs[8], 180.0);
  EXPECT_DOUBLE_EQ(flat.ys[9], 90.0);
}

TEST(InputsCamps, ReprojectsLonLatIntoUtm) {
  OGRSpatialReference utm;
  ASSERT_EQ(utm.importFromEPSG(32637), OGRERR_NONE);  // UTM 37N, central meridian 39E
  char* wkt = nullptr;
  utm.exportToWkt(&wkt);
  const std::string utm_wkt = wkt;
  CPLFree(wkt);

  Camp camp;
  camp.name = "k";
  camp.polygons = {{{{39.0, 0.0}, {39.0, 1.0}, {38.0, 2.0}, {39.0, 0.0}}}};
  const CampPolygons flat = camps_in_crs({camp}, utm_wkt);
  ASSERT_EQ(flat.xs.size(), 3u);
  EXPECT_NEAR(flat.xs[0], 500000.0, 1e-6);
  EXPECT_NEAR(flat.ys[0], 0.0, 1e-6);
  EXPECT_NEAR(flat.xs[1], 500000.0, 1e-6);
  EXPECT_NEAR(flat.ys[1], 0.9996 * 110574.39, 0.05);  // UTM scale factor times the WGS84 meridian arc 0N-1N
  EXPECT_LT(flat.xs[2], 400000.0);           // 1 degree west of the central meridian, not swapped with latitude
  EXPECT_GT(flat.ys[2], 220000.0);
  EXPECT_EQ(flat.ring_offsets, (std::vector<std::int32_t>{0, 3}));
  EXPECT_EQ(flat.camp_rings, (std::vector<std::int32_t>{0, 1}));

  EXPECT_THROW(camps_in_crs({camp}, "not a wkt"), InputError);
  EXPECT_THROW(camps_in_crs({camp}, ""), InputError);
}

TEST(InputsCamps, RejectsMalformedCamps) {
  TempDir dir;
  const std::string ok = feature(R"({"name": "A"})", kSquare);
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"{\"type\": \"FeatureCollection\", \"features\": [", "invalid JSON"},
      {"\xff\xfe{}", "invalid JSON"},
      {feature(R"({"name": "A"})", kSquare), "not a GeoJSON FeatureCollection"},
      {"[]", "not a GeoJSON FeatureCollection"},
      {R"({"type": "FeatureCollection"})", "no 'features' array"},
      {collection({}), "has no features"},
      {collection({"3"}), "feature 1 is not a GeoJSON Feature"},
      {collection({ok, feature(R"({"label": "B"})", kSquare)}), "feature 2 has no 'name' property"},
      {collection({feature("null", kSquare)}), "feature 1 has no 'name' property"},
      {collection({feature(R"({"name": ""})", kSquare)}), "feature 1: 'name' must be a non-empty string"},
      {collection({feature(R"({"name": 7})", kSquare)}), "feature 1: 'name' must be a non-empty string"},
      {collection({ok, feature(R"({"name": "B"})", kSquare), feature(R"({"name": "A"})", kSquare)}),
       "feature 3: duplicate camp name 'A'"},
      {collection({feature(R"({"name": "all"})", kSquare)}), "the name 'all' is reserved"},
      {collection({feature(R"({"name": "A", "persons_per_tent": 0})", kSquare)}), "'persons_per_tent' must be"},
      {collection({feature(R"({"name": "A", "persons_per_tent": -2})", kSquare)}), "'persons_per_tent' must be"},
      {collection({feature(R"({"name": "A", "persons_per_tent": 50.01})", kSquare)}), "'persons_per_tent' must be"},
      {collection({feature(R"({"name": "A", "persons_per_tent": "5"})", kSquare)}), "'persons_per_tent' must be"},
      {collection({feature(R"({"name": "A", "persons_per_tent": 1e999})", kSquare)}), "invalid JSON: number overflow"},
      {collection({feature(R"({"name": "A"})", "null")}), "feature 1 ('A') has no geometry"},
      {collection({feature(R"({"name": "A"})", R"({"type": "Point", "coordinates": [1, 2]})")}),
       "geometry type 'Point' is not Polygon or MultiPolygon"},
      {collection({feature(R"({"name": "A"})", R"({"type": "Polygon"})")}), "geometry has no 'coordinates'"},
      {collection({feature(R"({"name": "A"})", R"({"type": "Polygon", "coordinates": []})")}),
       "a polygon must be a non-empty array of rings"},
      {collection({feature(R"({"name": "A"})",
                           R"({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1]]]})")}),
       "ring 1 is not closed"},
      {collection({feature(R"({"name": "A"})",
                           R"({"type": "Polygon", "coordinates": [[[0, 0, 1], [1, 0, 1], [1, 1, 1], [0, 0, 2]]]})")}),
       "ring 1 is not closed"},
      {collection({feature(R"({"name": "A"})", R"({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [0, 0]]]})")}),
       "ring 1 needs at least 4 positions"},
      {collection({feature(R"({"name": "A"})",
                           R"({"type": "Polygon", "coordinates": [[[200, 0], [201, 0], [201, 1], [200, 0]]]})")}),
       "outside lon [-180, 180]"},
      {collection({feature(R"({"name": "A"})",
                           R"({"type": "Polygon", "coordinates": [[[0, -91], [1, 0], [1, 1], [0, -91]]]})")}),
       "outside lon [-180, 180] / lat [-90, 90]"},
      {collection({feature(R"({"name": "A"})",
                           R"({"type": "Polygon", "coordinates": [[[0, 0], [1, "0"], [1, 1], [0, 0]]]})")}),
       "is not a finite number"},
      {collection({feature(R"({"name": "A"})",
                           R"({"type": "Polygon", "coordinates": [[[0, 0], [1, 1e400], [1, 1], [0, 0]]]})")}),
       "invalid JSON: number overflow"},
      {collection({feature(R"({"name": "A"})", R"({"type": "Polygon", "coordinates": [[[0], [1], [2], [0]]]})")}),
       "a position must be [lon, lat]"},
      {collection({feature(R"({"name": "A"})", R"({"type": "MultiPolygon", "coordinates": []})")}),
       "a MultiPolygon must be a non-empty array of polygons"},
      {collection({feature(R"({"name": "A"})", R"({"type": "MultiPolygon", "coordinates": [[[[0, 0], [1, 0], [1, 1], [0, 0]]],
                                                   [[[0, 0], [1, 0], [1, 1], [0, 1]]]]})")}),
       "polygon 2: ring 1 is not closed"},
  };
  for (const auto& [content, detail] : cases) {
    const std::string path = dir.write("camps.geojson", content);
    expect_input_error([&] { load_camps(path); }, path, detail);
  }
}

// ---- reported.csv ----

const std::string kHeader = "date,region,kind,figure,source";

TEST(InputsReported, ParsesQuotingLineEndingsAndKinds) {
  TempDir dir;
  const std::string path =
      dir.write("reported.csv", "\xEF\xBB\xBF" + kHeader + "\r\n" +
                                    "2019-11-01,all,population,12345,UNHCR\r\n"
                                    "2019-11-15,\"Camp B, \"\"north\"\"\",arrivals_since:2019-11-01,250.5,\"line one\nline two\"\n"
                                    "\n"
                                    "2020-02-29,Camp A,population,1e3,\n"
                                    "2020-03-01,Camp A,population,-0,\"\"");
  const std::vector<ReportedFigure> figures = load_reported(path);
  ASSERT_EQ(figures.size(), 4u);
  EXPECT_EQ(figures[0].line, 2);
  EXPECT_EQ(figures[0].date, "2019-11-01");
  EXPECT_EQ(figures[0].region, "all");
  EXPECT_EQ(figures[0].kind, "population");
  EXPECT_EQ(figures[0].since_date, "");
  EXPECT_EQ(figures[0].figure, 12345.0);
  EXPECT_EQ(figures[0].source, "UNHCR");
  EXPECT_EQ(figures[1].line, 3);
  EXPECT_EQ(figures[1].region, "Camp B, \"north\"");
  EXPECT_EQ(figures[1].kind, "arrivals_since");
  EXPECT_EQ(figures[1].since_date, "2019-11-01");
  EXPECT_EQ(figures[1].figure, 250.5);
  EXPECT_EQ(figures[1].source, "line one\nline two");
  EXPECT_EQ(figures[2].line, 6);  // the quoted newline and the blank line both count
  EXPECT_EQ(figures[2].figure, 1000.0);
  EXPECT_EQ(figures[2].source, "");
  EXPECT_EQ(figures[3].line, 7);
  EXPECT_EQ(figures[3].figure, 0.0);
  EXPECT_FALSE(std::signbit(figures[3].figure));

  const std::string header_only = dir.write("header.csv", kHeader + "\n");
  EXPECT_TRUE(load_reported(header_only).empty());
}

TEST(InputsReported, RejectsMalformedRowsNamingFileAndLine) {
  TempDir dir;
  const std::string row = "2019-11-01,all,population,100,UNHCR\n";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "empty file"},
      {"\r\n\n", "empty file"},
      {"date,region,kind,figure\n" + row, "line 1: header must be exactly 'date,region,kind,figure,source'"},
      {"date,region,figure,kind,source\n" + row, "line 1: header must be exactly"},
      {"Date,region,kind,figure,source\n" + row, "line 1: header must be exactly"},
      {kHeader + ",extra\n" + row, "line 1: header must be exactly"},
      {kHeader + "\n" + row + "2019-02-30,all,population,100,x\n", "line 3: date: '2019-02-30' is not a valid date"},
      {kHeader + "\n" + row + "19-02-01,all,population,100,x\n", "line 3: date: '19-02-01' is not a valid date"},
      {kHeader + "\n" + "2019-11-01,,population,100,x\n", "line 2: region is empty"},
      {kHeader + "\n" + row + row + "2019-11-01,all,pop,100,x\n", "line 4: kind 'pop' is not 'population' or"},
      {kHeader + "\n" + "2019-11-01,all,arrivals_since:2019-13-01,100,x\n", "line 2: kind 'arrivals_since:2019-13-01'"},
      {kHeader + "\n" + "2019-11-01,all,arrivals_since:2019-11-01,100,x\n", "must be before the row's date 2019-11-01"},
      {kHeader + "\n" + "2019-11-01,all,arrivals_since:2019-12-01,100,x\n", "must be before the row's date"},
      {kHeader + "\n" + "2019-11-01,all,Population,100,x\n", "line 2: kind 'Population'"},
      {kHeader + "\n" + "2019-11-01,all,population,-5,x\n", "line 2: figure '-5' is negative"},
      {kHeader + "\n" + "2019-11-01,all,population,-1e-9,x\n", "line 2: figure '-1e-9' is negative"},
      {kHeader + "\n" + "2019-11-01,all,population,abc,x\n", "line 2: figure 'abc' is not a number"},
      {kHeader + "\n" + "2019-11-01,all,population,,x\n", "line 2: figure '' is not a number"},
      {kHeader + "\n" + "2019-11-01,all,population,\"1,000\",x\n", "line 2: figure '1,000' is not a number"},
      {kHeader + "\n" + "2019-11-01,all,population, 100,x\n", "line 2: figure ' 100' is not a number"},
      {kHeader + "\n" + "2019-11-01,all,population,nan,x\n", "line 2: figure 'nan' is not a number"},
      {kHeader + "\n" + "2019-11-01,all,population,inf,x\n", "line 2: figure 'inf' is not a number"},
      {kHeader + "\n" + "2019-11-01,all,population,1e999,x\n", "line 2: figure '1e999' is not a number"},
      {kHeader + "\n" + "2019-11-01,all,population,0x10,x\n", "line 2: figure '0x10' is not a number"},
      {kHeader + "\n" + row + "2019-11-01,all,population,100\n", "line 3: expected 5 fields"},
      {kHeader + "\n" + "2019-11-01,all,population,100,x,y\n", "line 2: expected 5 fields"},
      {kHeader + "\n" + "2019-11-01\n", "line 2: expected 5 fields"},
      {kHeader + "\n" + "2019-11-01,all,population,100,\"open\n", "line 2: quoted field is never closed"},
      {kHeader + "\n" + "2019-11-01,all,population,100,ab\"c\n", "line 2: quote inside an unquoted field"},
      {kHeader + "\n" + "2019-11-01,all,population,100,\"ab\"c\n", "line 2: unexpected character after a closing quote"},
  };
  for (const auto& [content, detail] : cases) {
    const std::string path = dir.write("reported.csv", content);
    expect_input_error([&] { load_reported(path); }, path, detail);
  }
  const std::string missing = (dir.path() / "nothing.csv").string();
  expect_input_error([&] { load_reported(missing); }, missing, "cannot open");
}

TEST(InputsReported, CsvFieldRoundTripsRandomStrings) {
  std::mt19937 rng(4180);
  const std::vector<std::string> alphabet = {"a", "Z", "0", ",", "\"", "\n", "\r", "\r\n", " ", "\xC3\xA9", ";", "'"};
  std::uniform_int_distribution<std::size_t> pick(0, alphabet.size() - 1);
  std::uniform_int_distribution<int> length(0, 12);
  auto random_text = [&](bool non_empty) {
    std::string text;
    const int n = length(rng) + (non_empty ? 1 : 0);
    for (int i = 0; i < n; ++i) text += alphabet[pick(rng)];
    return text;
  };
  std::vector<std::pair<std::string, std::string>> expected;
  std::string content = kHeader + "\n";
  for (int i = 0; i < 200; ++i) {
    const std::string region = random_text(true);
    const std::string source = random_text(false);
    expected.emplace_back(region, source);
    content += "2019-11-01," + csv_field(region) + ",population," + std::to_string(i) + "," + csv_field(source) +
               (i % 2 ? "\r\n" : "\n");
  }
  TempDir dir;
  const std::vector<ReportedFigure> figures = load_reported(dir.write("reported.csv", content));
  ASSERT_EQ(figures.size(), expected.size());
  for (std::size_t i = 0; i < figures.size(); ++i) {
    EXPECT_EQ(figures[i].region, expected[i].first) << i;
    EXPECT_EQ(figures[i].source, expected[i].second) << i;
    EXPECT_EQ(figures[i].figure, static_cast<double>(i));
  }
  EXPECT_EQ(csv_field("plain text"), "plain text");
  EXPECT_EQ(csv_field("a,b"), "\"a,b\"");
  EXPECT_EQ(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(csv_field(""), "");
}

}  // namespace
}  // namespace campscope

// Readers for the run's text inputs: MANIFEST.json, camps.geojson and reported.csv.
#pragma once
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "campscope/camps.h"

namespace campscope {

struct TileEntry {
  std::string path;           // as written in the manifest
  std::string resolved_path;  // relative paths resolved against the manifest's directory
  std::string date;           // YYYY-MM-DD
};

// Paths are resolved; camps_path and reported_path are "" when the manifest omits them.
struct Manifest {
  std::string path;
  std::string camps_path;
  std::string reported_path;
  std::vector<TileEntry> tiles;
};

Manifest load_manifest(const std::string& path);

// Whole file as text / parsed JSON; InputError naming the file when it cannot be read or parsed.
std::string read_text_file(const std::string& path);
nlohmann::json read_json_file(const std::string& path);

// Throws InputError "<context>: 'x' is not a valid date (YYYY-MM-DD)" unless `value` is a real calendar date.
void require_date(const std::string& value, const std::string& context);

// Camp polygons keep their rings as written (closed, first position repeated last).
std::vector<Camp> load_camps(const std::string& path);

// Camps reprojected from lon/lat into the CRS given as WKT (OGR, OAMS_TRADITIONAL_GIS_ORDER on both sides).
CampPolygons camps_in_crs(const std::vector<Camp>& camps, const std::string& crs_wkt);
CampPolygons camps_in_lonlat(const std::vector<Camp>& camps);

struct ReportedFigure {
  int line = 0;  // line of the record in the file (header is line 1)
  std::string date, region, kind, since_date;  // kind "population" or "arrivals_since"; since_date "" for population
  double figure = 0;
  std::string source;
};

std::vector<ReportedFigure> load_reported(const std::string& path);

// `value` as one CSV field, quoted (RFC 4180) when it holds a comma, quote, CR or LF.
std::string csv_field(const std::string& value);

}  // namespace campscope

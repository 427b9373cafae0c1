// Writers for the run's outputs, and the reader for point files (detections, truth).
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "campscope/density.h"
#include "campscope/types.h"

namespace campscope {

// Writes via a temporary file in the same directory + fsync + rename: a reader never sees a half-written file and an
// existing file is replaced only by a complete one. Throws std::runtime_error naming the path on failure.
void write_file_atomically(const std::string& path, const std::string& content);

// RFC 7946 FeatureCollection of Points, lon/lat with 7 decimals (about 1 cm), one feature per line, properties
// class, date, score and tile only.
std::string detections_geojson(const std::vector<Detection>& detections);

// float32 GeoTIFF (DEFLATE, tiled), CRS and geotransform of `grid`, band description "persons per km2";
// written to a temporary name in the same directory and renamed into place.
void write_density_geotiff(const std::string& path, const GridSpec& grid, const std::vector<float>& values);

// Reads detections/truth files: Point features with properties class and date (required), score (default 1) and
// tile (default ""); InputError naming the file on bad content.
std::vector<Detection> load_points_geojson(const std::string& path);

// One numeric property of each feature of the same file, in the same order; empty where a feature lacks it (or has
// null). A value that is not a number is an InputError naming the file and the feature.
std::vector<std::optional<double>> load_point_property(const std::string& path, const std::string& property);

}  // namespace campscope

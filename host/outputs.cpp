#include "outputs.h"

#include <fcntl.h>
#include <gdal_priv.h>
#include <ogr_spatialref.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "geotiff.h"
#include "inputs.h"

namespace campscope {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Unique within the process (counter) and across processes (pid), in the target's directory so rename is atomic.
std::string temporary_sibling(const std::string& path, const std::string& suffix) {
  static std::atomic<unsigned> counter{0};
  return path + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + suffix;
}

std::string system_error(const std::string& path, const std::string& what) {
  return path + ": " + what + " (" + std::strerror(errno) + ")";
}

// Best effort: makes the rename itself durable. Some filesystems refuse fsync on directories; the file is complete
// either way.
void sync_directory_of(const std::string& path) {
  const fs::path directory = fs::path(path).parent_path();
  const int fd = ::open(directory.empty() ? "." : directory.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

void sync_file(const std::string& path, const std::string& reported_path) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) throw std::runtime_error(system_error(reported_path, "cannot reopen the temporary file to sync it"));
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (!synced) throw std::runtime_error(system_error(reported_path, "cannot sync to disk"));
}

void rename_into_place(const std::string& temporary, const std::string& path) {
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    const std::string message = system_error(path, "cannot rename the temporary file into place");
    std::remove(temporary.c_str());
    throw std::runtime_error(message);
  }
  sync_directory_of(path);
}

std::string fixed7(double value) {
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::fixed, 7);
  std::string text(buffer, result.ptr);
  if (text == "-0.0000000") text.erase(0, 1);
  return text;
}

std::string shortest(float value) {
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, result.ptr);
}

// Invalid UTF-8 (e.g. a tile path in a legacy encoding) becomes U+FFFD instead of aborting the whole output.
std::string json_string(const std::string& value) {
  return json(value).dump(-1, ' ', false, json::error_handler_t::replace);
}

double finite_number(const json& value, const std::string& what, const std::string& context) {
  if (!value.is_number() || !std::isfinite(value.get<double>())) {
    throw InputError(context + ": " + what + " must be a finite number, found " + value.dump());
  }
  return value.get<double>();
}

Detection parse_point(const json& feature, const std::string& context) {
  if (!feature.is_object() || feature.value("type", json()) != "Feature") {
    throw InputError(context + " is not a GeoJSON Feature");
  }
  const auto geometry = feature.find("geometry");
  if (geometry == feature.end() || !geometry->is_object() || geometry->value("type", json()) != "Point") {
    throw InputError(context + ": geometry must be a Point");
  }
  const auto coordinates = geometry->find("coordinates");
  if (coordinates == geometry->end() || !coordinates->is_array() || coordinates->size() < 2 ||
      coordinates->size() > 3) {
    throw InputError(context + ": Point coordinates must be [lon, lat] or [lon, lat, altitude]");
  }
  Detection detection;
  detection.lon = finite_number((*coordinates)[0], "longitude", context);
  detection.lat = finite_number((*coordinates)[1], "latitude", context);
  if (detection.lon < -180.0 || detection.lon > 180.0 || detection.lat < -90.0 || detection.lat > 90.0) {
    throw InputError(context + ": position " + coordinates->dump() +
                     " is outside lon [-180, 180] / lat [-90, 90] (coordinates must be lon/lat degrees)");
  }
  const auto properties = feature.find("properties");
  if (properties == feature.end() || !properties->is_object()) throw InputError(context + " has no properties");
  const auto cls = properties->find("class");
  if (cls == properties->end() || !cls->is_string()) throw InputError(context + " has no string 'class' property");
  detection.cls = parse_class(cls->get<std::string>(), context);
  const auto date = properties->find("date");
  if (date == properties->end() || !date->is_string()) throw InputError(context + " has no string 'date' property");
  require_date(date->get<std::string>(), context + ": date");
  detection.date = date->get<std::string>();
  const auto score = properties->find("score");
  detection.score = score == properties->end() || score->is_null()
                        ? 1.0f
                        : static_cast<float>(finite_number(*score, "'score'", context));
  const auto completed = properties->find("completed");
  if (completed != properties->end() && !completed->is_null()) {
    if (!completed->is_boolean()) throw InputError(context + ": 'completed' must be true or false");
    detection.completed = completed->get<bool>();
  }
  const auto tile = properties->find("tile");
  if (tile != properties->end() && !tile->is_null()) {
    if (!tile->is_string()) throw InputError(context + ": 'tile' must be a string");
    detection.tile = tile->get<std::string>();
  }
  return detection;
}

}  // namespace

void write_file_atomically(const std::string& path, const std::string& content) {
  std::string temporary;
  int fd = -1;
  do {
    temporary = temporary_sibling(path, "");
    fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  } while (fd < 0 && errno == EEXIST);
  if (fd < 0) throw std::runtime_error(system_error(path, "cannot create a temporary file next to it"));

  auto fail = [&](const std::string& what) {
    const std::string message = system_error(path, what);
    ::close(fd);
    std::remove(temporary.c_str());
    throw std::runtime_error(message);
  };
  std::size_t written = 0;
  while (written < content.size()) {
    const ssize_t n = ::write(fd, content.data() + written, content.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("cannot write");
    }
    written += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) fail("cannot sync to disk");
  if (::close(fd) != 0) {
    const std::string message = system_error(path, "cannot close");
    std::remove(temporary.c_str());
    throw std::runtime_error(message);
  }
  rename_into_place(temporary, path);
}

std::string detections_geojson(const std::vector<Detection>& detections) {
  std::string out = "{\"type\":\"FeatureCollection\",\"features\":[";
  for (std::size_t i = 0; i < detections.size(); ++i) {
    const Detection& d = detections[i];
    if (!std::isfinite(d.lon) || !std::isfinite(d.lat) || !std::isfinite(d.score)) {
      throw std::invalid_argument("detections_geojson: detection " + std::to_string(i) +
                                  " has a non-finite coordinate or score");
    }
    out += i == 0 ? "\n" : ",\n";
    out += "{\"type\":\"Feature\",\"geometry\":{\"type\":\"Point\",\"coordinates\":[" + fixed7(d.lon) + "," +
           fixed7(d.lat) + "]},\"properties\":{\"class\":\"" + class_name(d.cls) +
           "\",\"completed\":" + (d.completed ? "true" : "false") + ",\"date\":" + json_string(d.date) +
           ",\"score\":" + shortest(d.score) + ",\"tile\":" + json_string(d.tile) + "}}";
  }
  out += detections.empty() ? "]}\n" : "\n]}\n";
  return out;
}

void write_density_geotiff(const std::string& path, const GridSpec& grid, const std::vector<float>& values) {
  if (grid.width <= 0 || grid.height <= 0 ||
      values.size() != static_cast<std::size_t>(grid.width) * static_cast<std::size_t>(grid.height)) {
    throw std::invalid_argument(path + ": density values (" + std::to_string(values.size()) +
                                ") do not match the grid (" + std::to_string(grid.width) + " x " +
                                std::to_string(grid.height) + ")");
  }
  ensure_gdal_registered();
  QuietGdalErrors quiet;
  OGRSpatialReference crs;
  if (grid.crs_wkt.empty() || crs.importFromWkt(grid.crs_wkt.c_str()) != OGRERR_NONE) {
    throw std::runtime_error(path + ": the density grid's CRS cannot be parsed as WKT");
  }
  GDALDriver* driver = GetGDALDriverManager()->GetDriverByName("GTiff");
  if (driver == nullptr) throw std::runtime_error(path + ": GDAL has no GTiff driver");

  const std::string temporary = temporary_sibling(path, ".tif");
  // PREDICTOR=3 (floating point) makes smooth density fields compress several times better.
  const char* const options[] = {"TILED=YES",       "BLOCKXSIZE=256", "BLOCKYSIZE=256", "COMPRESS=DEFLATE",
                                 "PREDICTOR=3",     "BIGTIFF=IF_SAFER", nullptr};
  GDALDataset* dataset = driver->Create(temporary.c_str(), grid.width, grid.height, 1, GDT_Float32,
                                        const_cast<char**>(options));
  if (dataset == nullptr) {
    throw std::runtime_error(path + ": cannot create GeoTIFF: " + quiet.last_error());
  }
  auto discard = [&](const std::string& message) {
    if (dataset != nullptr) GDALClose(GDALDataset::ToHandle(dataset));
    driver->Delete(temporary.c_str());
    throw std::runtime_error(message);
  };
  double transform[6] = {grid.origin_x, grid.cell_m, 0.0, grid.origin_y, 0.0, -grid.cell_m};
  GDALRasterBand* band = dataset->GetRasterBand(1);
  band->SetDescription("persons per km2");
  if (dataset->SetGeoTransform(transform) != CE_None || dataset->SetSpatialRef(&crs) != CE_None) {
    discard(path + ": cannot set georeferencing: " + quiet.last_error());
  }
  if (band->RasterIO(GF_Write, 0, 0, grid.width, grid.height, const_cast<float*>(values.data()), grid.width,
                     grid.height, GDT_Float32, 0, 0, nullptr) != CE_None) {
    discard(path + ": cannot write pixels: " + quiet.last_error());
  }
  CPLErrorReset();
  GDALClose(GDALDataset::ToHandle(dataset));
  dataset = nullptr;
  if (CPLGetLastErrorType() == CE_Failure || CPLGetLastErrorType() == CE_Fatal) {
    discard(path + ": cannot finish writing: " + quiet.last_error());
  }
  std::remove((temporary + ".aux.xml").c_str());  // everything GDAL needs is in the TIFF tags
  try {
    sync_file(temporary, path);
  } catch (const std::runtime_error& e) {
    discard(e.what());
  }
  rename_into_place(temporary, path);
}

std::vector<Detection> load_points_geojson(const std::string& path) {
  const json collection = read_json_file(path);
  if (!collection.is_object() || collection.value("type", json()) != "FeatureCollection") {
    throw InputError(path + ": not a GeoJSON FeatureCollection");
  }
  const auto features = collection.find("features");
  if (features == collection.end() || !features->is_array()) {
    throw InputError(path + ": FeatureCollection has no 'features' array");
  }
  std::vector<Detection> detections;
  detections.reserve(features->size());
  for (std::size_t i = 0; i < features->size(); ++i) {
    detections.push_back(parse_point((*features)[i], path + ": feature " + std::to_string(i + 1)));
  }
  return detections;
}

std::vector<std::optional<double>> load_point_property(const std::string& path, const std::string& property) {
  const json collection = read_json_file(path);
  const auto features = collection.find("features");
  if (features == collection.end() || !features->is_array())
    throw InputError(path + ": FeatureCollection has no 'features' array");
  std::vector<std::optional<double>> values;
  values.reserve(features->size());
  for (std::size_t i = 0; i < features->size(); ++i) {
    const json& properties = (*features)[i].value("properties", json::object());
    const auto value = properties.is_object() ? properties.find(property) : properties.end();
    if (!properties.is_object() || value == properties.end() || value->is_null()) {
      values.emplace_back();
    } else if (value->is_number()) {
      values.emplace_back(value->get<double>());
    } else {
      throw InputError(path + ": feature " + std::to_string(i + 1) + " has a non-numeric '" + property + "'");
    }
  }
  return values;
}

}  // namespace campscope

#include "inputs.h"

#include <ogr_spatialref.h>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "campscope/types.h"
#include "geotiff.h"

namespace campscope {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string one_line(std::string text) {
  for (char& c : text) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return text;
}

std::string json_type_name(const json& value) { return value.type_name(); }

std::string resolve_relative_to(const fs::path& base_directory, const std::string& path) {
  const fs::path p(path);
  if (p.is_absolute()) return p.lexically_normal().string();
  return (base_directory / p).lexically_normal().string();
}

// Reads an optional manifest entry holding a file path; null counts as absent.
std::string optional_path(const json& manifest, const char* key, const std::string& manifest_path,
                          const fs::path& base_directory) {
  const auto it = manifest.find(key);
  if (it == manifest.end() || it->is_null()) return "";
  if (!it->is_string() || it->get<std::string>().empty()) {
    throw InputError(manifest_path + ": '" + key + "' must be a non-empty string (a file path)");
  }
  return resolve_relative_to(base_directory, it->get<std::string>());
}

bool is_leap_year(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

bool is_valid_date(const std::string& value) {
  if (value.size() != 10 || value[4] != '-' || value[7] != '-') return false;
  for (int i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (value[i] < '0' || value[i] > '9') return false;
  }
  const int year = std::stoi(value.substr(0, 4));
  const int month = std::stoi(value.substr(5, 2));
  const int day = std::stoi(value.substr(8, 2));
  if (year < 1 || month < 1 || month > 12 || day < 1) return false;
  static const int days_in_month[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const int month_days = days_in_month[month - 1] + (month == 2 && is_leap_year(year) ? 1 : 0);
  return day <= month_days;
}

// ---- camps.geojson ----

std::array<double, 2> parse_position(const json& position, const std::string& context) {
  if (!position.is_array() || position.size() < 2 || position.size() > 3) {
    throw InputError(context + ": a position must be [lon, lat] or [lon, lat, altitude]");
  }
  for (const json& coordinate : position) {
    if (!coordinate.is_number() || !std::isfinite(coordinate.get<double>())) {
      throw InputError(context + ": coordinate " + one_line(coordinate.dump()) + " is not a finite number");
    }
  }
  const double lon = position[0].get<double>();
  const double lat = position[1].get<double>();
  if (lon < -180.0 || lon > 180.0 || lat < -90.0 || lat > 90.0) {
    throw InputError(context + ": position " + one_line(position.dump()) +
                     " is outside lon [-180, 180] / lat [-90, 90] (coordinates must be lon/lat degrees)");
  }
  return {lon, lat};
}

std::vector<std::vector<std::array<double, 2>>> parse_polygon(const json& rings, const std::string& context) {
  if (!rings.is_array() || rings.empty()) throw InputError(context + ": a polygon must be a non-empty array of rings");
  std::vector<std::vector<std::array<double, 2>>> polygon;
  for (std::size_t r = 0; r < rings.size(); ++r) {
    const std::string ring_context = context + ": ring " + std::to_string(r + 1);
    const json& ring = rings[r];
    if (!ring.is_array() || ring.size() < 4) {
      throw InputError(ring_context + " needs at least 4 positions (a closed ring)");
    }
    std::vector<std::array<double, 2>> vertices;
    for (const json& position : ring) vertices.push_back(parse_position(position, ring_context));
    if (vertices.front() != vertices.back() || ring.front().size() != ring.back().size() ||
        (ring.front().size() == 3 && ring.front()[2] != ring.back()[2])) {
      throw InputError(ring_context + " is not closed (its last position must repeat its first)");
    }
    polygon.push_back(std::move(vertices));
  }
  return polygon;
}

Camp parse_camp(const json& feature, const std::string& context) {
  if (!feature.is_object() || feature.value("type", json()) != "Feature") {
    throw InputError(context + " is not a GeoJSON Feature");
  }
  Camp camp;
  const auto properties = feature.find("properties");
  if (properties == feature.end() || !properties->is_object() || !properties->contains("name")) {
    throw InputError(context + " has no 'name' property");
  }
  const json& name = (*properties)["name"];
  if (!name.is_string() || name.get<std::string>().empty()) {
    throw InputError(context + ": 'name' must be a non-empty string");
  }
  camp.name = name.get<std::string>();
  const std::string camp_context = context + " ('" + one_line(camp.name) + "')";
  if (camp.name == "all") {
    throw InputError(camp_context + ": the name 'all' is reserved (it means every camp in reported figures)");
  }
  const auto persons_per_tent = properties->find("persons_per_tent");
  if (persons_per_tent != properties->end() && !persons_per_tent->is_null()) {
    const bool in_range = persons_per_tent->is_number() && std::isfinite(persons_per_tent->get<double>()) &&
                          persons_per_tent->get<double>() > 0.0 && persons_per_tent->get<double>() <= 50.0;
    if (!in_range) {
      throw InputError(camp_context + ": 'persons_per_tent' must be a number in (0, 50], found " +
                       one_line(persons_per_tent->dump()));
    }
    camp.persons_per_tent = persons_per_tent->get<double>();
  }

  const auto geometry = feature.find("geometry");
  if (geometry == feature.end() || !geometry->is_object()) throw InputError(camp_context + " has no geometry");
  const json type_value = geometry->value("type", json());
  const std::string type = type_value.is_string() ? type_value.get<std::string>() : type_value.dump();
  const auto coordinates = geometry->find("coordinates");
  if (type != "Polygon" && type != "MultiPolygon") {
    throw InputError(camp_context + ": geometry type '" + one_line(type) + "' is not Polygon or MultiPolygon");
  }
  if (coordinates == geometry->end()) throw InputError(camp_context + ": geometry has no 'coordinates'");
  if (type == "Polygon") {
    camp.polygons.push_back(parse_polygon(*coordinates, camp_context));
  } else {
    if (!coordinates->is_array() || coordinates->empty()) {
      throw InputError(camp_context + ": a MultiPolygon must be a non-empty array of polygons");
    }
    for (std::size_t p = 0; p < coordinates->size(); ++p) {
      camp.polygons.push_back(parse_polygon((*coordinates)[p], camp_context + ": polygon " + std::to_string(p + 1)));
    }
  }
  return camp;
}

template <typename Project>
CampPolygons flatten_camps(const std::vector<Camp>& camps, Project project) {
  CampPolygons flat;
  flat.ring_offsets.push_back(0);
  flat.camp_rings.push_back(0);
  for (const Camp& camp : camps) {
    for (const auto& polygon : camp.polygons) {
      for (const auto& ring : polygon) {
        // CampPolygons rings are implicitly closed: drop the repeated last position.
        for (std::size_t v = 0; v + 1 < ring.size(); ++v) {
          double x = 0.0;
          double y = 0.0;
          project(camp, ring[v], x, y);
          flat.xs.push_back(x);
          flat.ys.push_back(y);
        }
        flat.ring_offsets.push_back(static_cast<std::int32_t>(flat.xs.size()));
      }
    }
    flat.camp_rings.push_back(static_cast<std::int32_t>(flat.ring_offsets.size() - 1));
  }
  return flat;
}

// ---- reported.csv ----

const char* const kReportedHeader = "date,region,kind,figure,source";

// RFC 4180 record reader over a whole file; counts lines so errors can point at them.
class CsvReader {
 public:
  CsvReader(const std::string& path, const std::string& text) : path_(path), text_(text) {
    if (text_.rfind("\xEF\xBB\xBF", 0) == 0) pos_ = 3;  // spreadsheet programs often prepend a UTF-8 BOM
  }

  // Reads the next record; false at end of input. `line` is the line the record starts on.
  bool next(std::vector<std::string>& fields, int& line, bool& blank) {
    if (pos_ >= text_.size()) return false;
    fields.assign(1, std::string());
    line = line_;
    bool any_quoted = false;
    bool in_quotes = false;
    bool after_closing_quote = false;
    while (pos_ < text_.size()) {
      const char c = text_[pos_++];
      if (in_quotes) {
        if (c == '"') {
          if (pos_ < text_.size() && text_[pos_] == '"') {
            fields.back() += '"';
            ++pos_;
          } else {
            in_quotes = false;
            after_closing_quote = true;
          }
        } else {
          if (c == '\n' || (c == '\r' && (pos_ >= text_.size() || text_[pos_] != '\n'))) ++line_;
          fields.back() += c;
        }
        continue;
      }
      if (c == ',') {
        fields.emplace_back();
        after_closing_quote = false;
      } else if (c == '\n' || c == '\r') {
        if (c == '\r' && pos_ < text_.size() && text_[pos_] == '\n') ++pos_;
        ++line_;
        blank = !any_quoted && fields.size() == 1 && fields[0].empty();
        return true;
      } else if (after_closing_quote) {
        throw InputError(context(line_) + "unexpected character after a closing quote");
      } else if (c == '"') {
        if (!fields.back().empty()) {
          throw InputError(context(line_) + "quote inside an unquoted field (quote the whole field and double the quote)");
        }
        in_quotes = true;
        any_quoted = true;
      } else {
        fields.back() += c;
      }
    }
    if (in_quotes) throw InputError(context(line) + "quoted field is never closed");
    blank = !any_quoted && fields.size() == 1 && fields[0].empty();
    return true;
  }

  std::string context(int line) const { return path_ + ": line " + std::to_string(line) + ": "; }

 private:
  const std::string& path_;
  const std::string& text_;
  std::size_t pos_ = 0;
  int line_ = 1;
};

std::string quoted_for_message(const std::string& value) { return "'" + one_line(value) + "'"; }

double parse_figure(const std::string& value, const std::string& context) {
  double figure = 0.0;
  const char* begin = value.data();
  const char* end = value.data() + value.size();
  const auto [parsed_end, error] = std::from_chars(begin, end, figure);
  if (value.empty() || error != std::errc() || parsed_end != end || !std::isfinite(figure)) {
    throw InputError(context + "figure " + quoted_for_message(value) + " is not a number");
  }
  if (figure < 0.0) throw InputError(context + "figure " + quoted_for_message(value) + " is negative");
  return figure + 0.0;  // turns -0 into 0
}

}  // namespace

std::string read_text_file(const std::string& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) throw InputError(path + ": is a directory, not a file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path + ": cannot open file (" + std::strerror(errno) + ")");
  std::ostringstream content;
  content << in.rdbuf();
  if (in.bad()) throw InputError(path + ": cannot read file");
  return content.str();
}

json read_json_file(const std::string& path) {
  const std::string text = read_text_file(path);
  try {
    return json::parse(text);
  } catch (const json::exception& e) {  // parse errors, and numbers too large for a double
    std::string message = e.what();
    // Drop nlohmann's "[json.exception.parse_error.101] " tag: the position and reason are what a user needs.
    const auto tag_end = message.find("] ");
    if (message.rfind("[json.exception.", 0) == 0 && tag_end != std::string::npos) message.erase(0, tag_end + 2);
    throw InputError(path + ": invalid JSON: " + one_line(message));
  }
}

void require_date(const std::string& value, const std::string& context) {
  if (!is_valid_date(value)) {
    throw InputError(context + ": " + quoted_for_message(value) + " is not a valid date (YYYY-MM-DD)");
  }
}

Manifest load_manifest(const std::string& path) {
  const json manifest = read_json_file(path);
  if (!manifest.is_object()) {
    throw InputError(path + ": must be a JSON object with 'tiles' (found " + json_type_name(manifest) + ")");
  }
  for (const auto& item : manifest.items()) {
    if (item.key() != "camps" && item.key() != "reported" && item.key() != "tiles") {
      throw InputError(path + ": unknown key '" + one_line(item.key()) + "' (expected camps, reported, tiles)");
    }
  }
  const fs::path base_directory = fs::path(path).parent_path();
  Manifest result;
  result.path = path;
  result.camps_path = optional_path(manifest, "camps", path, base_directory);
  result.reported_path = optional_path(manifest, "reported", path, base_directory);

  const auto tiles = manifest.find("tiles");
  if (tiles == manifest.end() || !tiles->is_array() || tiles->empty()) {
    throw InputError(path + ": 'tiles' must be a non-empty array of {\"path\", \"date\"} objects");
  }
  std::set<std::string> seen;
  for (std::size_t i = 0; i < tiles->size(); ++i) {
    const json& tile = (*tiles)[i];
    const std::string context = path + ": tile " + std::to_string(i + 1);
    if (!tile.is_object()) throw InputError(context + " must be an object with 'path' and 'date'");
    for (const auto& item : tile.items()) {
      if (item.key() != "path" && item.key() != "date") {
        throw InputError(context + ": unknown key '" + one_line(item.key()) + "' (expected path, date)");
      }
    }
    const auto tile_path = tile.find("path");
    if (tile_path == tile.end() || !tile_path->is_string() || tile_path->get<std::string>().empty()) {
      throw InputError(context + ": 'path' must be a non-empty string");
    }
    const auto date = tile.find("date");
    if (date == tile.end() || !date->is_string()) throw InputError(context + ": 'date' must be a string (YYYY-MM-DD)");
    require_date(date->get<std::string>(), context + ": date");

    TileEntry entry;
    entry.path = tile_path->get<std::string>();
    entry.resolved_path = resolve_relative_to(base_directory, entry.path);
    entry.date = date->get<std::string>();
    if (!seen.insert(entry.resolved_path).second) {
      throw InputError(context + ": '" + one_line(entry.path) + "' is listed more than once");
    }
    result.tiles.push_back(std::move(entry));
  }
  return result;
}

std::vector<Camp> load_camps(const std::string& path) {
  const json collection = read_json_file(path);
  if (!collection.is_object() || collection.value("type", json()) != "FeatureCollection") {
    const std::string found = collection.is_object() ? one_line(collection.value("type", json()).dump())
                                                     : std::string("a JSON ") + json_type_name(collection);
    throw InputError(path + ": not a GeoJSON FeatureCollection (found " + found + ")");
  }
  const auto features = collection.find("features");
  if (features == collection.end() || !features->is_array()) {
    throw InputError(path + ": FeatureCollection has no 'features' array");
  }
  if (features->empty()) throw InputError(path + ": FeatureCollection has no features (no camps)");
  std::vector<Camp> camps;
  std::set<std::string> names;
  for (std::size_t i = 0; i < features->size(); ++i) {
    const std::string context = path + ": feature " + std::to_string(i + 1);
    Camp camp = parse_camp((*features)[i], context);
    if (!names.insert(camp.name).second) {
      throw InputError(context + ": duplicate camp name '" + one_line(camp.name) + "'");
    }
    camps.push_back(std::move(camp));
  }
  return camps;
}

CampPolygons camps_in_lonlat(const std::vector<Camp>& camps) {
  return flatten_camps(camps, [](const Camp&, const std::array<double, 2>& lonlat, double& x, double& y) {
    x = lonlat[0];
    y = lonlat[1];
  });
}

CampPolygons camps_in_crs(const std::vector<Camp>& camps, const std::string& crs_wkt) {
  QuietGdalErrors quiet;
  OGRSpatialReference lonlat;
  lonlat.importFromEPSG(4326);
  lonlat.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  OGRSpatialReference target;
  if (crs_wkt.empty() || target.importFromWkt(crs_wkt.c_str()) != OGRERR_NONE) {
    throw InputError("camps: the target CRS cannot be parsed as WKT: " + quiet.last_error());
  }
  target.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  const std::unique_ptr<OGRCoordinateTransformation> transform(OGRCreateCoordinateTransformation(&lonlat, &target));
  if (!transform) {
    throw InputError("camps: no transformation from lon/lat to the target CRS: " + quiet.last_error());
  }
  return flatten_camps(camps, [&](const Camp& camp, const std::array<double, 2>& lonlat_position, double& x,
                                  double& y) {
    x = lonlat_position[0];
    y = lonlat_position[1];
    if (!transform->Transform(1, &x, &y) || !std::isfinite(x) || !std::isfinite(y)) {
      std::ostringstream message;
      message.precision(10);
      message << "camp '" << one_line(camp.name) << "': vertex (" << lonlat_position[0] << ", "
              << lonlat_position[1] << ") cannot be reprojected into the tile CRS";
      throw InputError(message.str());
    }
  });
}

std::vector<ReportedFigure> load_reported(const std::string& path) {
  const std::string text = read_text_file(path);
  CsvReader reader(path, text);
  std::vector<std::string> fields;
  int line = 0;
  bool blank = false;
  if (text.find_first_not_of("\xEF\xBB\xBF \t\r\n") == std::string::npos) {
    throw InputError(path + ": empty file (expected the header '" + kReportedHeader + "')");
  }
  reader.next(fields, line, blank);
  std::string header;
  for (std::size_t i = 0; i < fields.size(); ++i) header += (i ? "," : "") + fields[i];
  if (fields.size() != 5 || header != kReportedHeader) {
    throw InputError(reader.context(line) + "header must be exactly '" + kReportedHeader + "' (found '" +
                     one_line(header) + "')");
  }
  std::vector<ReportedFigure> figures;
  while (reader.next(fields, line, blank)) {
    if (blank) continue;
    const std::string context = reader.context(line);
    if (fields.size() != 5) {
      throw InputError(context + "expected 5 fields (" + kReportedHeader + "), found " +
                       std::to_string(fields.size()));
    }
    ReportedFigure figure;
    figure.line = line;
    figure.date = fields[0];
    require_date(figure.date, context + "date");
    figure.region = fields[1];
    if (figure.region.empty()) throw InputError(context + "region is empty (a camp name or 'all')");
    const std::string& kind = fields[2];
    const std::string arrivals_prefix = "arrivals_since:";
    if (kind == "population") {
      figure.kind = kind;
    } else if (kind.rfind(arrivals_prefix, 0) == 0) {
      figure.kind = "arrivals_since";
      figure.since_date = kind.substr(arrivals_prefix.size());
      require_date(figure.since_date, context + "kind " + quoted_for_message(kind) + ": since-date");
      if (!(figure.since_date < figure.date)) {
        throw InputError(context + "kind " + quoted_for_message(kind) + ": since-date must be before the row's date " +
                         figure.date);
      }
    } else {
      throw InputError(context + "kind " + quoted_for_message(kind) +
                       " is not 'population' or 'arrivals_since:YYYY-MM-DD'");
    }
    figure.figure = parse_figure(fields[3], context);
    figure.source = fields[4];
    figures.push_back(std::move(figure));
  }
  return figures;
}

std::string csv_field(const std::string& value) {
  if (value.find_first_of(",\"\r\n") == std::string::npos) return value;
  std::string quoted = "\"";
  for (char c : value) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + "\"";
}

}  // namespace campscope

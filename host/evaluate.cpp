#include "evaluate.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <stdexcept>

#include "campscope/reduce.h"
#include "inputs.h"

namespace campscope {

namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kDegToRad = kPi / 180.0;
constexpr double kWgs84SemiMajorM = 6378137.0;
constexpr double kWgs84Flattening = 1.0 / 298.257223563;
constexpr double kWgs84EccentricitySq = kWgs84Flattening * (2.0 - kWgs84Flattening);
// The meridional radius of curvature is smallest at the equator, so it bounds the latitude span of any match.
constexpr double kMinMeridionalRadiusM = kWgs84SemiMajorM * (1.0 - kWgs84EccentricitySq);
// Widen grid search windows (relative, then absolute in degrees, about 0.1 mm) so rounding in the window
// arithmetic can never drop a pair the exact distance test accepts.
constexpr double kSearchMarginRelative = 1.0 + 1e-6;
constexpr double kSearchMarginDeg = 1e-9;
// Cells are never finer than 2^-24 of a half-turn (about 1.2 m): cell coordinates then stay small enough for
// double rounding to be far below the search margin, whatever the radius.
constexpr double kFinestCellDeg = 180.0 / (1 << 24);
constexpr std::int64_t kMaxColumnsPerRow = std::int64_t{1} << 25;

double meridional_radius_m(double sin_lat) {
  const double w = 1.0 - kWgs84EccentricitySq * sin_lat * sin_lat;
  return kWgs84SemiMajorM * (1.0 - kWgs84EccentricitySq) / (w * std::sqrt(w));
}

double prime_vertical_radius_m(double sin_lat) {
  return kWgs84SemiMajorM / std::sqrt(1.0 - kWgs84EccentricitySq * sin_lat * sin_lat);
}

// Radius of the parallel at `lat_deg`; it shrinks monotonically towards the poles, which the grid relies on.
double parallel_radius_m(double lat_deg) {
  const double lat = lat_deg * kDegToRad;
  return prime_vertical_radius_m(std::sin(lat)) * std::cos(lat);
}

double normalized_lon(double lon) { return lon - 360.0 * std::floor((lon + 180.0) / 360.0); }

void validate_points(const std::vector<Detection>& points, const char* what) {
  for (std::size_t i = 0; i < points.size(); ++i) {
    const Detection& p = points[i];
    const std::string where =
        std::string(what) + ": entry " + std::to_string(i) + (p.tile.empty() ? "" : " (tile " + p.tile + ")");
    if (!std::isfinite(p.lon) || !std::isfinite(p.lat)) throw InputError(where + " has non-finite coordinates");
    if (p.lat < -90.0 || p.lat > 90.0)
      throw InputError(where + " has latitude " + std::to_string(p.lat) + " outside [-90, 90]");
  }
}

using CellKey = std::pair<std::int64_t, std::int64_t>;  // (row, column)

struct CellRange {
  CellKey key;
  std::size_t begin, end;  // into DetectionGrid::sorted_
};

// Detections of one (class, date) bucketed into latitude rows about one match-radius tall; each row is split into
// longitude columns about one match-radius wide at that row, so a query touches a handful of cells at any latitude.
class DetectionGrid {
 public:
  DetectionGrid(const std::vector<Detection>& detections, const std::vector<std::size_t>& members, double radius_m)
      : detections_(detections),
        radius_m_(radius_m),
        row_height_deg_(std::max(radius_m / kMinMeridionalRadiusM / kDegToRad, kFinestCellDeg)) {
    std::vector<std::pair<CellKey, std::size_t>> keyed;
    keyed.reserve(members.size());
    for (std::size_t index : members) keyed.push_back({cell_of(detections[index]), index});
    std::sort(keyed.begin(), keyed.end());
    sorted_.reserve(keyed.size());
    for (const auto& entry : keyed) sorted_.push_back(entry.second);
    for (std::size_t begin = 0, end = 0; begin < keyed.size(); begin = end) {
      while (end < keyed.size() && keyed[end].first == keyed[begin].first) ++end;
      cells_.push_back({keyed[begin].first, begin, end});
    }
  }

  // Calls visit(detection_index, distance_m) for every detection within radius of (lon, lat).
  template <typename Visit>
  void for_each_within(double lon, double lat, const Visit& visit) const {
    // No pair is more than 180 degrees of latitude apart, whatever the radius.
    const double lat_span =
        std::min(radius_m_ / kMinMeridionalRadiusM / kDegToRad * kSearchMarginRelative + kSearchMarginDeg, 180.0);
    const std::int64_t first_row = row_of(lat - lat_span);
    const std::int64_t last_row = row_of(lat + lat_span);
    // A pair's mean latitude lies inside this band, and the parallel is shortest at its poleward edge.
    const double poleward_lat = std::min(90.0, std::max(std::abs(lat - lat_span), std::abs(lat + lat_span)));
    const double shortest_parallel_m = parallel_radius_m(poleward_lat);
    const double lon_span = shortest_parallel_m > 0.0
                                ? radius_m_ / shortest_parallel_m / kDegToRad * kSearchMarginRelative + kSearchMarginDeg
                                : 360.0;
    const double query_lon = normalized_lon(lon);
    for (std::int64_t row = first_row; row <= last_row; ++row) {
      const std::int64_t cols = columns_in_row(row);
      const double first = std::floor(column_coordinate(query_lon - lon_span, cols));
      const double last = std::floor(column_coordinate(query_lon + lon_span, cols));
      if (lon_span >= 180.0 || last - first + 1.0 >= static_cast<double>(cols)) {
        visit_columns(row, 0, cols - 1, lon, lat, visit);
        continue;
      }
      const std::int64_t wrapped_first = wrap_column(static_cast<std::int64_t>(first), cols);
      const std::int64_t wrapped_last = wrap_column(static_cast<std::int64_t>(last), cols);
      if (wrapped_first <= wrapped_last) {
        visit_columns(row, wrapped_first, wrapped_last, lon, lat, visit);
      } else {
        visit_columns(row, wrapped_first, cols - 1, lon, lat, visit);
        visit_columns(row, 0, wrapped_last, lon, lat, visit);
      }
    }
  }

 private:
  std::int64_t row_of(double lat) const {
    return static_cast<std::int64_t>(std::floor((lat + 90.0) / row_height_deg_));
  }

  std::int64_t columns_in_row(std::int64_t row) const {
    const double equatorward_lat =
        std::min(std::abs(row * row_height_deg_ - 90.0), std::abs((row + 1) * row_height_deg_ - 90.0));
    const double column_width_deg = radius_m_ / parallel_radius_m(std::min(equatorward_lat, 90.0)) / kDegToRad;
    if (!(column_width_deg < 360.0)) return 1;
    return static_cast<std::int64_t>(std::min(360.0 / column_width_deg, static_cast<double>(kMaxColumnsPerRow)));
  }

  // Unwrapped: longitudes past +-180 give coordinates outside [0, cols), which the caller wraps.
  static double column_coordinate(double lon, std::int64_t cols) {
    return (lon + 180.0) * static_cast<double>(cols) / 360.0;
  }

  static std::int64_t wrap_column(std::int64_t col, std::int64_t cols) { return ((col % cols) + cols) % cols; }

  CellKey cell_of(const Detection& d) const {
    const std::int64_t row = row_of(d.lat);
    const std::int64_t cols = columns_in_row(row);
    const auto col = static_cast<std::int64_t>(std::floor(column_coordinate(normalized_lon(d.lon), cols)));
    return {row, std::clamp<std::int64_t>(col, 0, cols - 1)};
  }

  // Occupied cells are found by binary search, so a window spanning millions of empty columns costs nothing.
  template <typename Visit>
  void visit_columns(std::int64_t row, std::int64_t first_col, std::int64_t last_col, double lon, double lat,
                     const Visit& visit) const {
    auto cell = std::lower_bound(cells_.begin(), cells_.end(), CellKey{row, first_col},
                                 [](const CellRange& range, const CellKey& key) { return range.key < key; });
    for (; cell != cells_.end() && cell->key <= CellKey{row, last_col}; ++cell) {
      for (std::size_t i = cell->begin; i < cell->end; ++i) {
        const Detection& d = detections_[sorted_[i]];
        const double distance = local_ground_distance_m(lon, lat, d.lon, d.lat);
        if (distance <= radius_m_) visit(sorted_[i], distance);
      }
    }
  }

  const std::vector<Detection>& detections_;
  double radius_m_;
  double row_height_deg_;
  std::vector<std::size_t> sorted_;  // detection indices ordered by cell
  std::vector<CellRange> cells_;     // occupied cells in (row, column) order
};

struct Candidate {
  double distance_m;
  std::size_t truth, detection;
  bool operator<(const Candidate& other) const {
    if (distance_m != other.distance_m) return distance_m < other.distance_m;
    if (truth != other.truth) return truth < other.truth;
    return detection < other.detection;
  }
};

struct Group {
  std::vector<std::size_t> truth, detections;
};

// truth_used / detection_used are indexed like the input vectors; groups are disjoint, so one pair serves all groups.
MatchCounts match_group(const std::vector<Detection>& truth, const std::vector<Detection>& detections,
                        const Group& group, double radius_m, std::vector<char>& truth_used,
                        std::vector<char>& detection_used) {
  MatchCounts counts;
  std::vector<Candidate> candidates;
  if (!group.truth.empty() && !group.detections.empty()) {
    const DetectionGrid grid(detections, group.detections, radius_m);
    for (std::size_t t : group.truth)
      grid.for_each_within(truth[t].lon, truth[t].lat, [&](std::size_t d, double distance) {
        candidates.push_back({distance, t, d});
      });
  }
  std::sort(candidates.begin(), candidates.end());
  for (const Candidate& c : candidates) {
    if (truth_used[c.truth] || detection_used[c.detection]) continue;
    truth_used[c.truth] = detection_used[c.detection] = true;
    ++counts.true_positives;
  }
  counts.false_negatives = static_cast<long long>(group.truth.size()) - counts.true_positives;
  counts.false_positives = static_cast<long long>(group.detections.size()) - counts.true_positives;
  return counts;
}

nlohmann::json counts_json(const MatchCounts& counts) {
  const double count_error = counts.count_error();
  return {{"truth", counts.truth_count()},
          {"detected", counts.detected_count()},
          {"tp", counts.true_positives},
          {"fp", counts.false_positives},
          {"fn", counts.false_negatives},
          {"precision", counts.precision()},
          {"recall", counts.recall()},
          {"f1", counts.f1()},
          {"count_error", std::isfinite(count_error) ? nlohmann::json(count_error) : nlohmann::json(nullptr)}};
}

std::string table_row(const std::string& cls, const std::string& date, const MatchCounts& c) {
  char line[256];
  std::snprintf(line, sizeof line, "%-8s %-10s %8lld %8lld %8lld %8lld %8lld %9.4f %9.4f %9.4f %11.2f\n", cls.c_str(),
                date.c_str(), c.truth_count(), c.detected_count(), c.true_positives, c.false_positives,
                c.false_negatives, c.precision(), c.recall(), c.f1(), 100.0 * c.count_error());
  return line;
}

}  // namespace

double MatchCounts::precision() const {
  const long long detected = detected_count();
  if (detected == 0) return truth_count() == 0 ? 1.0 : 0.0;
  return static_cast<double>(true_positives) / static_cast<double>(detected);
}

double MatchCounts::recall() const {
  const long long truth = truth_count();
  if (truth == 0) return detected_count() == 0 ? 1.0 : 0.0;
  return static_cast<double>(true_positives) / static_cast<double>(truth);
}

double MatchCounts::f1() const {
  const double p = precision();
  const double r = recall();
  return p + r > 0.0 ? 2.0 * p * r / (p + r) : 0.0;
}

long long MatchCounts::truth_count() const { return true_positives + false_negatives; }

long long MatchCounts::detected_count() const { return true_positives + false_positives; }

double MatchCounts::count_error() const {
  const long long truth = truth_count();
  const long long detected = detected_count();
  if (truth == 0) return detected == 0 ? 0.0 : std::numeric_limits<double>::infinity();
  return static_cast<double>(detected - truth) / static_cast<double>(truth);
}

double local_ground_distance_m(double lon_a, double lat_a, double lon_b, double lat_b) {
  const double mean_lat = 0.5 * (lat_a + lat_b) * kDegToRad;
  const double sin_lat = std::sin(mean_lat);
  const double east_m =
      prime_vertical_radius_m(sin_lat) * std::cos(mean_lat) * (std::remainder(lon_b - lon_a, 360.0) * kDegToRad);
  const double north_m = meridional_radius_m(sin_lat) * ((lat_b - lat_a) * kDegToRad);
  return std::hypot(east_m, north_m);
}

EvalResult evaluate_detections(const std::vector<Detection>& truth, const std::vector<Detection>& detections,
                               double radius_m) {
  if (!std::isfinite(radius_m) || radius_m <= 0.0)
    throw InputError("evaluation: match radius must be positive and finite, got " + std::to_string(radius_m));
  validate_points(truth, "truth");
  validate_points(detections, "detections");

  std::map<std::pair<ObjectClass, std::string>, Group> groups;
  for (std::size_t i = 0; i < truth.size(); ++i) groups[{truth[i].cls, truth[i].date}].truth.push_back(i);
  for (std::size_t i = 0; i < detections.size(); ++i)
    groups[{detections[i].cls, detections[i].date}].detections.push_back(i);

  EvalResult result;
  result.radius_m = radius_m;
  std::vector<char> truth_used(truth.size(), 0), detection_used(detections.size(), 0);
  for (const auto& [key, group] : groups) {
    const std::string cls = class_name(key.first);
    const MatchCounts counts = match_group(truth, detections, group, radius_m, truth_used, detection_used);
    result.by_class_and_date[{cls, key.second}] = counts;
    MatchCounts& total = result.by_class[cls];
    total.true_positives += counts.true_positives;
    total.false_positives += counts.false_positives;
    total.false_negatives += counts.false_negatives;
  }
  result.truth_matched = std::move(truth_used);
  result.detection_matched = std::move(detection_used);
  return result;
}

double CampCounts::count_error() const {
  if (truth == 0) return detected == 0 ? 0.0 : std::numeric_limits<double>::infinity();
  return static_cast<double>(detected - truth) / static_cast<double>(truth);
}

double RecallBucket::recall() const { return static_cast<double>(matched) / static_cast<double>(truth); }

void add_camp_counts(EvalResult& result, const std::vector<Detection>& truth, const std::vector<Detection>& detections,
                     const std::vector<Camp>& camps) {
  const CampPolygons polygons = camps_in_lonlat(camps);
  const auto camp_of = [&](const std::vector<Detection>& points) {
    std::vector<ReducePoint> located;
    located.reserve(points.size());
    for (const Detection& p : points) located.push_back({p.lon, p.lat, p.cls});
    return assign_camps(polygons, located, Backend::Cpu);
  };
  std::set<std::pair<std::string, std::string>> class_dates;
  for (const auto& [key, counts] : result.by_class_and_date) class_dates.insert(key);
  for (const auto& [cls, date] : class_dates)
    for (const Camp& camp : camps) result.by_class_camp_date[{cls, camp.name, date}];
  const auto tally = [&](const std::vector<Detection>& points, long long CampCounts::*field) {
    const std::vector<std::int32_t> camp = camp_of(points);
    for (std::size_t i = 0; i < points.size(); ++i)
      if (camp[i] >= 0)
        ++(result.by_class_camp_date[{class_name(points[i].cls), camps[static_cast<std::size_t>(camp[i])].name,
                                       points[i].date}].*field);
  };
  tally(truth, &CampCounts::truth);
  tally(detections, &CampCounts::detected);
}

void add_property_breakdown(EvalResult& result, const std::vector<Detection>& truth,
                            const std::vector<std::optional<double>>& values, const std::string& name,
                            const std::string& property, double width) {
  if (values.size() != truth.size() || result.truth_matched.size() != truth.size())
    throw std::logic_error("add_property_breakdown: values and matches must be indexed like the truth");
  PropertyBreakdown breakdown{name, property, {}, 0};
  std::map<std::string, std::map<long long, RecallBucket>> buckets;
  for (std::size_t i = 0; i < truth.size(); ++i) {
    if (!values[i]) {
      ++breakdown.without_property;
      continue;
    }
    // A small nudge keeps values such as 0.3 (stored just below 3 x 0.1) in the bucket their decimals name.
    const long long k = static_cast<long long>(std::floor(*values[i] / width + 1e-9));
    RecallBucket& bucket = buckets[class_name(truth[i].cls)][k];
    bucket.low = static_cast<double>(k) * width;
    bucket.high = static_cast<double>(k + 1) * width;
    ++bucket.truth;
    if (result.truth_matched[i]) ++bucket.matched;
  }
  if (buckets.empty()) throw InputError("no truth point carries the property '" + property + "' that --by " + name + " reads");
  for (const auto& [cls, by_index] : buckets)
    for (const auto& [k, bucket] : by_index) breakdown.by_class[cls].push_back(bucket);
  result.breakdowns.push_back(std::move(breakdown));
}

std::string eval_report_text(const EvalResult& result) {
  std::ostringstream out;
  char header[256];
  std::snprintf(header, sizeof header, "match radius %.3f m\n%-8s %-10s %8s %8s %8s %8s %8s %9s %9s %9s %11s\n",
                result.radius_m, "class", "date", "truth", "detected", "TP", "FP", "FN", "precision", "recall", "F1",
                "count err %");
  out << header;
  for (const auto& [cls, total] : result.by_class) {
    for (const auto& [key, counts] : result.by_class_and_date)
      if (key.first == cls) out << table_row(cls, key.second, counts);
    out << table_row(cls, "all", total);
  }
  if (!result.by_class_camp_date.empty()) {
    char line[256];
    std::snprintf(line, sizeof line, "\nper camp\n%-8s %-16s %-10s %8s %8s %11s\n", "class", "camp", "date", "truth",
                  "detected", "count err %");
    out << line;
    for (const auto& [key, counts] : result.by_class_camp_date) {
      std::snprintf(line, sizeof line, "%-8s %-16s %-10s %8lld %8lld %11.2f\n", std::get<0>(key).c_str(),
                    std::get<1>(key).c_str(), std::get<2>(key).c_str(), counts.truth, counts.detected,
                    100.0 * counts.count_error());
      out << line;
    }
  }
  for (const PropertyBreakdown& breakdown : result.breakdowns) {
    char line[256];
    std::snprintf(line, sizeof line, "\nrecall by %s (truth property %s)\n%-8s %10s %10s %8s %8s %9s\n",
                  breakdown.name.c_str(), breakdown.property.c_str(), "class", "from", "to", "truth", "matched",
                  "recall");
    out << line;
    for (const auto& [cls, buckets] : breakdown.by_class)
      for (const RecallBucket& b : buckets) {
        std::snprintf(line, sizeof line, "%-8s %10.3g %10.3g %8lld %8lld %9.4f\n", cls.c_str(), b.low, b.high,
                      b.truth, b.matched, b.recall());
        out << line;
      }
    if (breakdown.without_property > 0)
      out << breakdown.without_property << " truth points without " << breakdown.property << " left out\n";
  }
  return out.str();
}

std::string eval_report_json(const EvalResult& result) {
  nlohmann::json classes = nlohmann::json::object();
  for (const auto& [cls, total] : result.by_class) {
    nlohmann::json entry = counts_json(total);
    entry["by_date"] = nlohmann::json::object();
    for (const auto& [key, counts] : result.by_class_and_date)
      if (key.first == cls) entry["by_date"][key.second] = counts_json(counts);
    for (const auto& [key, counts] : result.by_class_camp_date) {
      if (std::get<0>(key) != cls) continue;
      const double error = counts.count_error();
      entry["by_camp"][std::get<1>(key)][std::get<2>(key)] = {
          {"truth", counts.truth},
          {"detected", counts.detected},
          {"count_error", std::isfinite(error) ? nlohmann::json(error) : nlohmann::json(nullptr)}};
    }
    for (const PropertyBreakdown& breakdown : result.breakdowns) {
      nlohmann::json rows = nlohmann::json::array();
      const auto found = breakdown.by_class.find(cls);
      if (found != breakdown.by_class.end())
        for (const RecallBucket& b : found->second)
          rows.push_back({{"low", b.low}, {"high", b.high}, {"truth", b.truth}, {"matched", b.matched},
                          {"recall", b.recall()}});
      entry["by_" + breakdown.name] = std::move(rows);
    }
    classes[cls] = std::move(entry);
  }
  return nlohmann::json{{"radius_m", result.radius_m}, {"classes", std::move(classes)}}.dump(2);
}

}  // namespace campscope

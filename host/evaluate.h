// Scores detections against hand-placed truth: one-to-one matching within a ground radius, per class and date.
#pragma once
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "campscope/camps.h"
#include "campscope/types.h"

namespace campscope {

// Empty-set conventions keep every ratio finite where a sensible answer exists:
//   precision() = TP / (TP + FP); with no detections: 1 when there is no truth either (nothing was missed or
//                 invented), else 0.
//   recall()    = TP / (TP + FN); with no truth: 1 when there are no detections either, else 0 (every detection
//                 is spurious, so an all-FP group scores F1 = 0 rather than looking perfect).
//   f1()        = 2PR / (P + R); 0 when P + R = 0.
//   count_error() = (detected - truth) / truth; 0 when both are 0; +infinity when truth is 0 and detections are not.
struct MatchCounts {
  long long true_positives = 0, false_positives = 0, false_negatives = 0;
  double precision() const;
  double recall() const;
  double f1() const;
  long long truth_count() const;
  long long detected_count() const;
  double count_error() const;
};

// Truth and detections counted inside one camp: what a per-camp estimate would see. count_error() follows
// MatchCounts::count_error().
struct CampCounts {
  long long truth = 0, detected = 0;
  double count_error() const;
};

// Recall of the truth whose property value lies in [low, high).
struct RecallBucket {
  double low = 0.0, high = 0.0;
  long long truth = 0, matched = 0;
  double recall() const;  // matched / truth (buckets are never empty)
};

// Where the detector fails along one truth property (e.g. "length_m"): per class, buckets in increasing order.
struct PropertyBreakdown {
  std::string name;    // what the user asked for: size, gsd or contrast
  std::string property;  // the truth property it reads
  std::map<std::string, std::vector<RecallBucket>> by_class;
  long long without_property = 0;  // truth points that do not carry it
};

struct EvalResult {
  double radius_m = 0.0;                                                         // matching radius used
  std::map<std::string, MatchCounts> by_class;                                   // "tent", "vehicle"
  std::map<std::pair<std::string, std::string>, MatchCounts> by_class_and_date;  // (class, date)
  std::vector<char> truth_matched;      // per truth point, in input order
  std::vector<char> detection_matched;  // per detection, in input order
  // Filled by add_camp_counts and add_property_breakdown.
  std::map<std::tuple<std::string, std::string, std::string>, CampCounts> by_class_camp_date;  // (class, camp, date)
  std::vector<PropertyBreakdown> breakdowns;
};

// Ground distance in metres between two WGS84 points: local equirectangular metric around the pair's mean
// latitude, using the ellipsoid's meridional and prime-vertical radii of curvature there. The longitude
// difference is taken the short way round, so points either side of the antimeridian are close.
double local_ground_distance_m(double lon_a, double lat_a, double lon_b, double lat_b);

// One-to-one matching within each (class, date): every truth/detection pair at most radius_m apart (inclusive) is
// a candidate; candidates are accepted greedily by increasing distance, ties broken by truth index then detection
// index (indices into the given vectors); each truth and each detection is used at most once. A class or date
// present on one side only still appears (all FN or all FP). Throws InputError for a radius that is not positive
// and finite, or a point whose coordinates are not finite or whose latitude lies outside [-90, 90].
EvalResult evaluate_detections(const std::vector<Detection>& truth, const std::vector<Detection>& detections,
                               double radius_m);

// Counts of truth and detections per (class, camp, date), each point in the first camp containing it (even-odd
// rule, as the pipeline assigns them); every camp appears for every (class, date) present in either set.
void add_camp_counts(EvalResult& result, const std::vector<Detection>& truth, const std::vector<Detection>& detections,
                     const std::vector<Camp>& camps);

// Recall per class in buckets [k * width, (k + 1) * width) of a numeric truth property; values[i] belongs to
// truth[i] (empty where the point lacks the property). Throws InputError when no truth point carries it.
void add_property_breakdown(EvalResult& result, const std::vector<Detection>& truth,
                            const std::vector<std::optional<double>>& values, const std::string& name,
                            const std::string& property, double width);

// Fixed-width table, one row per (class, date) followed by the class total (date "all"): class, date, truth,
// detected, TP, FP, FN, precision, recall, F1, count error %; then, when filled, per-camp counts and the
// breakdowns.
std::string eval_report_text(const EvalResult& result);

// {"radius_m":..,"classes":{"tent":{"truth":..,"detected":..,"tp":..,"fp":..,"fn":..,"precision":..,"recall":..,
//  "f1":..,"count_error":..,"by_date":{"2019-11-01":{the same keys, without by_date}}}}}.
// An infinite count_error is written as null. With camp counts each class also has
// "by_camp":{"Atme":{"2019-11-01":{"truth":..,"detected":..,"count_error":..}}}; with breakdowns,
// "by_size" (or by_gsd, by_contrast): [{"low":..,"high":..,"truth":..,"matched":..,"recall":..}].
std::string eval_report_json(const EvalResult& result);

}  // namespace campscope

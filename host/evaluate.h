// Scores detections against hand-placed truth: one-to-one matching within a ground radius, per class and date.
#pragma once
#include <map>
#include <string>
#include <utility>
#include <vector>

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

struct EvalResult {
  double radius_m = 0.0;                                                         // matching radius used
  std::map<std::string, MatchCounts> by_class;                                   // "tent", "vehicle"
  std::map<std::pair<std::string, std::string>, MatchCounts> by_class_and_date;  // (class, date)
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

// Fixed-width table, one row per (class, date) followed by the class total (date "all"): class, date, truth,
// detected, TP, FP, FN, precision, recall, F1, count error %.
std::string eval_report_text(const EvalResult& result);

// {"radius_m":..,"classes":{"tent":{"truth":..,"detected":..,"tp":..,"fp":..,"fn":..,"precision":..,"recall":..,
//  "f1":..,"count_error":..,"by_date":{"2019-11-01":{the same keys, without by_date}}}}}.
// An infinite count_error is written as null.
std::string eval_report_json(const EvalResult& result);

}  // namespace campscope

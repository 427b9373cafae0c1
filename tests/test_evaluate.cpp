#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>

#include "evaluate.h"

namespace campscope {
namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kA = 6378137.0;
constexpr double kF = 1.0 / 298.257223563;
constexpr double kE2 = kF * (2.0 - kF);

// Places a point east_m / north_m from (lon, lat) on the WGS84 ellipsoid, independently of the code under test:
// radii of curvature at the pair's mean latitude, iterated because that latitude depends on the result.
Detection offset_point(const Detection& from, double east_m, double north_m) {
  Detection to = from;
  for (int iteration = 0; iteration < 4; ++iteration) {
    const double mean = 0.5 * (from.lat + to.lat) * kPi / 180.0;
    const double w = 1.0 - kE2 * std::sin(mean) * std::sin(mean);
    const double meridional = kA * (1.0 - kE2) / (w * std::sqrt(w));
    const double parallel = kA / std::sqrt(w) * std::cos(mean);
    to.lat = from.lat + north_m / meridional * 180.0 / kPi;
    to.lon = from.lon + east_m / parallel * 180.0 / kPi;
  }
  return to;
}

Detection point(double lon, double lat, ObjectClass cls = ObjectClass::Tent, const std::string& date = "2019-11-01") {
  Detection d;
  d.cls = cls;
  d.lon = lon;
  d.lat = lat;
  d.score = 0.75f;
  d.date = date;
  d.tile = "tile_a.tif";
  return d;
}

// Along the equator, where one metre east is exactly 180 / (pi * a) degrees.
Detection on_equator(double x_m, ObjectClass cls = ObjectClass::Tent) {
  return point(x_m / kA * 180.0 / kPi, 0.0, cls);
}

const MatchCounts& counts_of(const EvalResult& result, const std::string& cls, const std::string& date) {
  const auto found = result.by_class_and_date.find({cls, date});
  if (found == result.by_class_and_date.end()) throw std::runtime_error("missing group " + cls + " " + date);
  return found->second;
}

void expect_counts(const MatchCounts& c, long long tp, long long fp, long long fn) {
  EXPECT_EQ(c.true_positives, tp);
  EXPECT_EQ(c.false_positives, fp);
  EXPECT_EQ(c.false_negatives, fn);
}

// The specified rule, written the obvious O(n*m) way.
std::map<std::pair<std::string, std::string>, MatchCounts> brute_force(const std::vector<Detection>& truth,
                                                                       const std::vector<Detection>& detections,
                                                                       double radius_m) {
  struct Pair {
    double distance;
    std::size_t t, d;
  };
  std::vector<Pair> pairs;
  for (std::size_t t = 0; t < truth.size(); ++t)
    for (std::size_t d = 0; d < detections.size(); ++d) {
      if (truth[t].cls != detections[d].cls || truth[t].date != detections[d].date) continue;
      const double distance = local_ground_distance_m(truth[t].lon, truth[t].lat, detections[d].lon, detections[d].lat);
      if (distance <= radius_m) pairs.push_back({distance, t, d});
    }
  std::sort(pairs.begin(), pairs.end(), [](const Pair& a, const Pair& b) {
    if (a.distance != b.distance) return a.distance < b.distance;
    return a.t != b.t ? a.t < b.t : a.d < b.d;
  });
  std::vector<bool> truth_used(truth.size()), detection_used(detections.size());
  std::map<std::pair<std::string, std::string>, MatchCounts> out;
  for (const Pair& p : pairs) {
    if (truth_used[p.t] || detection_used[p.d]) continue;
    truth_used[p.t] = detection_used[p.d] = true;
    ++out[{class_name(truth[p.t].cls), truth[p.t].date}].true_positives;
  }
  for (std::size_t t = 0; t < truth.size(); ++t)
    if (!truth_used[t]) ++out[{class_name(truth[t].cls), truth[t].date}].false_negatives;
  for (std::size_t d = 0; d < detections.size(); ++d)
    if (!detection_used[d]) ++out[{class_name(detections[d].cls), detections[d].date}].false_positives;
  for (const auto& t : truth) out[{class_name(t.cls), t.date}];
  for (const auto& d : detections) out[{class_name(d.cls), d.date}];
  return out;
}

// Points on a jittered 20 m lattice, so no two truths lie within a few metres of each other.
std::vector<Detection> spaced_points(std::mt19937& rng, int count, double lon, double lat) {
  std::uniform_real_distribution<double> jitter(-4.0, 4.0);
  const std::vector<std::string> dates = {"2019-11-01", "2020-02-14", "2021-07-30"};
  std::vector<Detection> points;
  for (int i = 0; i < count; ++i) {
    Detection d = offset_point(point(lon, lat), 20.0 * (i % 37) + jitter(rng), 20.0 * (i / 37) + jitter(rng));
    d.cls = (i % 3 == 0) ? ObjectClass::Vehicle : ObjectClass::Tent;
    d.date = dates[(i / 3) % dates.size()];
    points.push_back(d);
  }
  return points;
}

TEST(Evaluate, PerfectMatchScoresOne) {
  std::mt19937 rng(11);
  const std::vector<Detection> truth = spaced_points(rng, 211, 40.31, 0.07);
  std::vector<Detection> detections = truth;
  std::shuffle(detections.begin(), detections.end(), rng);
  const EvalResult result = evaluate_detections(truth, detections, 1.0);
  ASSERT_EQ(result.by_class.size(), 2u);
  EXPECT_EQ(result.by_class_and_date.size(), 6u);
  long long matched = 0;
  for (const auto& [key, c] : result.by_class_and_date) {
    EXPECT_EQ(c.false_positives, 0) << key.first << " " << key.second;
    EXPECT_EQ(c.false_negatives, 0) << key.first << " " << key.second;
    EXPECT_DOUBLE_EQ(c.f1(), 1.0);
    EXPECT_DOUBLE_EQ(c.count_error(), 0.0);
    matched += c.true_positives;
  }
  EXPECT_EQ(matched, 211);
  EXPECT_EQ(result.by_class.at("vehicle").true_positives, 71);
  EXPECT_EQ(result.by_class.at("tent").true_positives, 140);
  EXPECT_DOUBLE_EQ(result.radius_m, 1.0);
}

TEST(Evaluate, ShiftOfPointNineMetresMatchesWithinOneMetreButNotHalf) {
  std::mt19937 rng(23);
  std::uniform_real_distribution<double> bearing(0.0, 2.0 * kPi);
  for (const double lat : {0.07, -33.9, 61.5}) {
    const std::vector<Detection> truth = spaced_points(rng, 149, 36.8, lat);
    std::vector<Detection> detections;
    for (const Detection& t : truth) {
      const double b = bearing(rng);
      detections.push_back(offset_point(t, 0.9 * std::sin(b), 0.9 * std::cos(b)));
      EXPECT_NEAR(local_ground_distance_m(t.lon, t.lat, detections.back().lon, detections.back().lat), 0.9, 1e-6);
    }
    const EvalResult within = evaluate_detections(truth, detections, 1.0);
    const EvalResult beyond = evaluate_detections(truth, detections, 0.5);
    for (const auto& [cls, c] : within.by_class) {
      EXPECT_EQ(c.false_positives + c.false_negatives, 0) << cls << " at latitude " << lat;
      EXPECT_DOUBLE_EQ(c.precision(), 1.0);
      EXPECT_DOUBLE_EQ(c.recall(), 1.0);
    }
    for (const auto& [cls, c] : beyond.by_class) {
      EXPECT_EQ(c.true_positives, 0) << cls << " at latitude " << lat;
      EXPECT_EQ(c.false_positives, c.detected_count());
      EXPECT_DOUBLE_EQ(c.f1(), 0.0);
    }
  }
}

TEST(Evaluate, RadiusIsInclusive) {
  const Detection truth = point(40.31, 0.07);
  const Detection detection = offset_point(truth, 0.61, -0.47);
  const double distance = local_ground_distance_m(truth.lon, truth.lat, detection.lon, detection.lat);
  expect_counts(evaluate_detections({truth}, {detection}, distance).by_class.at("tent"), 1, 0, 0);
  expect_counts(evaluate_detections({truth}, {detection}, std::nextafter(distance, 0.0)).by_class.at("tent"), 0, 1, 1);
}

TEST(Evaluate, DetectionBetweenTwoTruthsMatchesOnlyOne) {
  const std::vector<Detection> truth = {on_equator(0.0), on_equator(2.0)};
  const EvalResult equidistant = evaluate_detections(truth, {on_equator(1.0)}, 1.5);
  expect_counts(counts_of(equidistant, "tent", "2019-11-01"), 1, 0, 1);
  const EvalResult off_centre = evaluate_detections(truth, {on_equator(1.3)}, 1.5);
  expect_counts(off_centre.by_class.at("tent"), 1, 0, 1);
  // Two detections on one truth: the second is a false positive, not a double count.
  const EvalResult crowded = evaluate_detections({on_equator(0.0)}, {on_equator(0.2), on_equator(-0.1)}, 1.0);
  expect_counts(crowded.by_class.at("tent"), 1, 1, 0);
}

TEST(Evaluate, GreedyAcceptsPairsNearestFirstNotInInputOrder) {
  // Truth 0 taking its nearest detection first (input order) would steal detection 0 and leave one match;
  // the globally nearest pair (truth 1, detection 0) goes first and both truths match.
  const std::vector<Detection> truth = {on_equator(0.0), on_equator(1.5)};
  const std::vector<Detection> detections = {on_equator(0.9), on_equator(-0.95)};
  expect_counts(evaluate_detections(truth, detections, 1.0).by_class.at("tent"), 2, 0, 0);

  // Greedy, not optimal: the nearest pair (truth 1, detection 0) blocks the assignment that would match both.
  const std::vector<Detection> chain_truth = {on_equator(0.0), on_equator(1.5)};
  const std::vector<Detection> chain_detections = {on_equator(0.95), on_equator(2.4)};
  expect_counts(evaluate_detections(chain_truth, chain_detections, 1.0).by_class.at("tent"), 1, 1, 1);
  // Input order must not matter.
  const std::vector<Detection> reversed_truth(chain_truth.rbegin(), chain_truth.rend());
  const std::vector<Detection> reversed_detections(chain_detections.rbegin(), chain_detections.rend());
  expect_counts(evaluate_detections(reversed_truth, reversed_detections, 1.0).by_class.at("tent"), 1, 1, 1);
}

TEST(Evaluate, ClassesAndDatesAreMatchedSeparately) {
  const Detection tent_truth = point(40.3, 0.05, ObjectClass::Tent, "2019-11-01");
  Detection vehicle_detection = tent_truth;
  vehicle_detection.cls = ObjectClass::Vehicle;
  Detection later_tent = tent_truth;
  later_tent.date = "2019-12-01";
  const EvalResult result = evaluate_detections({tent_truth}, {vehicle_detection, later_tent}, 5.0);
  ASSERT_EQ(result.by_class_and_date.size(), 3u);
  const MatchCounts& missed = counts_of(result, "tent", "2019-11-01");
  expect_counts(missed, 0, 0, 1);
  EXPECT_DOUBLE_EQ(missed.precision(), 0.0);
  EXPECT_DOUBLE_EQ(missed.recall(), 0.0);
  EXPECT_DOUBLE_EQ(missed.count_error(), -1.0);
  const MatchCounts& spurious_date = counts_of(result, "tent", "2019-12-01");
  expect_counts(spurious_date, 0, 1, 0);
  EXPECT_TRUE(std::isinf(spurious_date.count_error()));
  expect_counts(counts_of(result, "vehicle", "2019-11-01"), 0, 1, 0);
  expect_counts(result.by_class.at("tent"), 0, 1, 1);
  expect_counts(result.by_class.at("vehicle"), 0, 1, 0);
  EXPECT_DOUBLE_EQ(result.by_class.at("tent").count_error(), 0.0);
}

struct Site {
  const char* name;
  double lon, lat, half_extent_m;
};

// Random scenes with conflicting candidates (dense points, exact duplicates, shared coordinates) at ordinary,
// antimeridian and polar sites, against the brute-force rule, for radii below and above the grid's finest cell.
TEST(Evaluate, RandomScenesAgreeWithBruteForce) {
  const std::vector<Site> sites = {{"camp", 40.31, 0.07, 150.0},
                                   {"antimeridian", 179.9995, -16.5, 120.0},
                                   {"antimeridian negative side", -179.9999, 65.2, 90.0},
                                   {"arctic", 23.1, 84.7, 110.0},
                                   {"north pole", 0.0, 89.9995, 80.0},
                                   {"south pole", 0.0, -89.9996, 60.0}};
  const std::vector<std::string> dates = {"2019-11-01", "2020-02-14", "2021-07-30"};
  std::mt19937 rng(2024);
  for (const Site& site : sites) {
    for (const double radius : {0.35, 3.0, 7.5}) {
      std::uniform_real_distribution<double> across(-site.half_extent_m, site.half_extent_m);
      std::uniform_real_distribution<double> small(-radius, radius);
      std::uniform_int_distribution<int> pick(0, 99);
      const Detection centre = point(site.lon, site.lat);
      auto random_point = [&]() {
        Detection d = offset_point(centre, across(rng), across(rng));
        // Polar sites go past the pole: fold latitude back and turn the longitude round.
        if (d.lat > 90.0) d = point(d.lon + 180.0, 180.0 - d.lat);
        if (d.lat < -90.0) d = point(d.lon + 180.0, -180.0 - d.lat);
        if (d.lon > 180.0) d.lon -= 360.0;
        d.cls = pick(rng) < 70 ? ObjectClass::Tent : ObjectClass::Vehicle;
        d.date = dates[pick(rng) % dates.size()];
        return d;
      };
      std::vector<Detection> truth;
      for (int i = 0; i < 997; ++i) truth.push_back(random_point());
      std::vector<Detection> detections;
      for (int i = 0; i < 1013; ++i) {
        const int kind = pick(rng);
        if (kind < 45) {
          Detection d = offset_point(truth[i % truth.size()], small(rng), small(rng));
          if (std::abs(d.lat) > 90.0) d = truth[i % truth.size()];
          detections.push_back(d);
        } else if (kind < 55) {
          detections.push_back(truth[(i * 7) % truth.size()]);  // exact duplicate of a truth
        } else if (kind < 62 && !detections.empty()) {
          detections.push_back(detections[pick(rng) % detections.size()]);  // repeated detection
        } else {
          detections.push_back(random_point());
        }
      }
      const auto expected = brute_force(truth, detections, radius);
      const EvalResult result = evaluate_detections(truth, detections, radius);
      ASSERT_EQ(result.by_class_and_date.size(), expected.size()) << site.name << " radius " << radius;
      long long matched = 0;
      for (const auto& [key, want] : expected) {
        const MatchCounts& got = counts_of(result, key.first, key.second);
        SCOPED_TRACE(std::string(site.name) + " radius " + std::to_string(radius) + " " + key.first + " " + key.second);
        expect_counts(got, want.true_positives, want.false_positives, want.false_negatives);
        matched += got.true_positives;
      }
      EXPECT_GT(matched, 300) << site.name << " radius " << radius;  // the scene really exercises matching
    }
  }
}

// Tiny and planet-sized radii push the grid to its limits (finest cells, single-column rows, whole-globe windows).
TEST(Evaluate, ExtremeRadiiAgreeWithBruteForce) {
  std::mt19937 rng(99);
  std::uniform_real_distribution<double> lon(-180.0, 180.0);
  std::uniform_real_distribution<double> lat(-90.0, 90.0);
  std::vector<Detection> truth, detections;
  for (int i = 0; i < 101; ++i)
    truth.push_back(point(lon(rng), lat(rng), i % 4 ? ObjectClass::Tent : ObjectClass::Vehicle));
  truth.push_back(point(-180.0, 90.0));
  truth.push_back(point(180.0, -90.0));
  for (int i = 0; i < 103; ++i)
    detections.push_back(i % 5 == 0 ? truth[(i * 3) % truth.size()]
                                    : point(lon(rng), lat(rng), i % 3 ? ObjectClass::Tent : ObjectClass::Vehicle));
  for (const double radius : {1e-9, 2e6, 1.5e7, 1e300}) {
    const auto expected = brute_force(truth, detections, radius);
    const EvalResult result = evaluate_detections(truth, detections, radius);
    ASSERT_EQ(result.by_class_and_date.size(), expected.size());
    for (const auto& [key, want] : expected) {
      SCOPED_TRACE("radius " + std::to_string(radius) + " " + key.first);
      expect_counts(counts_of(result, key.first, key.second), want.true_positives, want.false_positives,
                    want.false_negatives);
    }
  }
  expect_counts(evaluate_detections(truth, detections, 1e-9).by_class.at("tent"), 15, 54, 62);
}

TEST(Evaluate, DistanceIsRightNearAntimeridianAndAtHighLatitude) {
  // 1e-5 degree on WGS84: 1.113195 m of longitude and 1.105743 m of latitude at the equator,
  // 1.116939 m of latitude at the pole.
  EXPECT_NEAR(local_ground_distance_m(179.999995, 0.0, -179.999995, 0.0), 1.113195, 1e-6);
  EXPECT_NEAR(local_ground_distance_m(-179.999995, 0.0, 179.999995, 0.0), 1.113195, 1e-6);
  EXPECT_NEAR(local_ground_distance_m(180.0, 0.0, -180.0, 0.0), 0.0, 1e-9);
  EXPECT_NEAR(local_ground_distance_m(10.0, 0.0, 10.0, 1e-5), 1.105743, 1e-6);
  EXPECT_NEAR(local_ground_distance_m(10.0, 89.99999, 10.0, 89.99998), 1.116939, 1e-6);
  // One degree of longitude at 60 degrees is 55.800 km on WGS84; scaled to 1e-4 degree.
  EXPECT_NEAR(local_ground_distance_m(5.0, 60.0, 5.0001, 60.0), 5.580000, 1e-5);
  // Longitudes written outside [-180, 180] still measure the short way round.
  EXPECT_NEAR(local_ground_distance_m(539.999995, 0.0, 180.000005, 0.0), 1.113195, 1e-6);

  const Detection west = point(179.999995, 0.0);
  const Detection east = point(-179.999995, 0.0);
  expect_counts(evaluate_detections({west}, {east}, 1.2).by_class.at("tent"), 1, 0, 0);
  expect_counts(evaluate_detections({west}, {east}, 1.0).by_class.at("tent"), 0, 1, 1);

  // At 85 degrees a metre east is over eleven times as many degrees as at the equator.
  const Detection north = point(12.0, 85.0);
  const Detection north_shifted = offset_point(north, 0.8, 0.0);
  EXPECT_NEAR(local_ground_distance_m(north.lon, north.lat, north_shifted.lon, north_shifted.lat), 0.8, 1e-6);
  expect_counts(evaluate_detections({north}, {north_shifted}, 0.85).by_class.at("tent"), 1, 0, 0);
  expect_counts(evaluate_detections({north}, {north_shifted}, 0.75).by_class.at("tent"), 0, 1, 1);
  // Same longitude gap at the equator is about 11 m: no match.
  const Detection equator_shifted = point(north_shifted.lon, 0.0);
  expect_counts(evaluate_detections({point(12.0, 0.0)}, {equator_shifted}, 0.85).by_class.at("tent"), 0, 1, 1);
}

TEST(Evaluate, EmptyInputs) {
  const EvalResult nothing = evaluate_detections({}, {}, 1.0);
  EXPECT_TRUE(nothing.by_class.empty());
  EXPECT_TRUE(nothing.by_class_and_date.empty());
  EXPECT_EQ(nlohmann::json::parse(eval_report_json(nothing))["classes"].size(), 0u);
  EXPECT_NE(eval_report_text(nothing).find("class"), std::string::npos);

  const std::vector<Detection> some = {point(1.0, 2.0), point(1.001, 2.0, ObjectClass::Vehicle)};
  const EvalResult no_detections = evaluate_detections(some, {}, 1.0);
  expect_counts(no_detections.by_class.at("tent"), 0, 0, 1);
  expect_counts(no_detections.by_class.at("vehicle"), 0, 0, 1);
  EXPECT_DOUBLE_EQ(no_detections.by_class.at("tent").precision(), 0.0);
  EXPECT_DOUBLE_EQ(no_detections.by_class.at("tent").count_error(), -1.0);

  const EvalResult no_truth = evaluate_detections({}, some, 1.0);
  const MatchCounts& spurious = no_truth.by_class.at("vehicle");
  expect_counts(spurious, 0, 1, 0);
  EXPECT_DOUBLE_EQ(spurious.recall(), 0.0);
  EXPECT_DOUBLE_EQ(spurious.f1(), 0.0);
  EXPECT_TRUE(std::isinf(spurious.count_error()));
  EXPECT_TRUE(nlohmann::json::parse(eval_report_json(no_truth))["classes"]["vehicle"]["count_error"].is_null());
}

TEST(Evaluate, EmptySetConventions) {
  const MatchCounts none;
  EXPECT_DOUBLE_EQ(none.precision(), 1.0);
  EXPECT_DOUBLE_EQ(none.recall(), 1.0);
  EXPECT_DOUBLE_EQ(none.f1(), 1.0);
  EXPECT_DOUBLE_EQ(none.count_error(), 0.0);
  MatchCounts mixed;
  mixed.true_positives = 3;
  mixed.false_positives = 1;
  mixed.false_negatives = 5;
  EXPECT_EQ(mixed.truth_count(), 8);
  EXPECT_EQ(mixed.detected_count(), 4);
  EXPECT_DOUBLE_EQ(mixed.precision(), 0.75);
  EXPECT_DOUBLE_EQ(mixed.recall(), 0.375);
  EXPECT_DOUBLE_EQ(mixed.f1(), 2.0 * 0.75 * 0.375 / 1.125);
  EXPECT_DOUBLE_EQ(mixed.count_error(), -0.5);
}

TEST(Evaluate, RejectsBadRadiusAndCoordinates) {
  const std::vector<Detection> good = {point(1.0, 2.0)};
  for (const double radius :
       {0.0, -1.0, std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity()})
    EXPECT_THROW(evaluate_detections(good, good, radius), InputError) << radius;
  auto message_for = [&](const std::vector<Detection>& truth, const std::vector<Detection>& detections) {
    try {
      evaluate_detections(truth, detections, 1.0);
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  const std::string bad_lat = message_for({point(1.0, 2.0), point(1.0, 90.5)}, good);
  EXPECT_NE(bad_lat.find("truth: entry 1"), std::string::npos) << bad_lat;
  EXPECT_NE(bad_lat.find("tile_a.tif"), std::string::npos) << bad_lat;
  EXPECT_EQ(bad_lat.find('\n'), std::string::npos);
  const std::string bad_lon = message_for(good, {point(std::numeric_limits<double>::quiet_NaN(), 2.0)});
  EXPECT_NE(bad_lon.find("detections: entry 0"), std::string::npos) << bad_lon;
  EXPECT_NE(message_for(good, {point(1.0, -std::numeric_limits<double>::infinity())}).find("non-finite"),
            std::string::npos);
}

TEST(Evaluate, JsonAndTextReportsHoldTheNumbers) {
  std::mt19937 rng(5);
  const std::vector<Detection> truth = spaced_points(rng, 53, 40.31, 0.07);
  std::vector<Detection> detections(truth.begin(), truth.begin() + 41);
  detections.push_back(offset_point(truth[0], 30.0, 30.0));
  const EvalResult result = evaluate_detections(truth, detections, 1.5);
  const nlohmann::json parsed = nlohmann::json::parse(eval_report_json(result));
  EXPECT_DOUBLE_EQ(parsed.at("radius_m").get<double>(), 1.5);
  ASSERT_EQ(parsed.at("classes").size(), 2u);
  for (const auto& [cls, c] : result.by_class) {
    const nlohmann::json& entry = parsed.at("classes").at(cls);
    EXPECT_EQ(entry.at("tp").get<long long>(), c.true_positives);
    EXPECT_EQ(entry.at("fp").get<long long>(), c.false_positives);
    EXPECT_EQ(entry.at("fn").get<long long>(), c.false_negatives);
    EXPECT_EQ(entry.at("truth").get<long long>(), c.truth_count());
    EXPECT_EQ(entry.at("detected").get<long long>(), c.detected_count());
    EXPECT_EQ(entry.at("precision").get<double>(), c.precision());
    EXPECT_EQ(entry.at("recall").get<double>(), c.recall());
    EXPECT_EQ(entry.at("f1").get<double>(), c.f1());
    EXPECT_EQ(entry.at("count_error").get<double>(), c.count_error());
  }
  for (const auto& [key, c] : result.by_class_and_date) {
    const nlohmann::json& entry = parsed.at("classes").at(key.first).at("by_date").at(key.second);
    EXPECT_EQ(entry.at("tp").get<long long>(), c.true_positives);
    EXPECT_EQ(entry.at("fn").get<long long>(), c.false_negatives);
    EXPECT_EQ(entry.at("recall").get<double>(), c.recall());
    EXPECT_FALSE(entry.contains("by_date"));
  }
  expect_counts(result.by_class.at("tent"), 27, 0, 8);
  expect_counts(result.by_class.at("vehicle"), 14, 1, 4);

  const std::string text = eval_report_text(result);
  EXPECT_NE(text.find("1.500"), std::string::npos);
  EXPECT_NE(text.find("vehicle  2020-02-14"), std::string::npos) << text;
  EXPECT_NE(text.find("tent     all"), std::string::npos) << text;
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 2 + 6 + 2);
}

TEST(Evaluate, HundredThousandEachSideStaysFast) {
  std::mt19937 rng(77);
  std::uniform_real_distribution<double> across(-2500.0, 2500.0);
  std::uniform_real_distribution<double> nudge(-0.6, 0.6);
  const Detection centre = point(40.31, 0.07);
  std::vector<Detection> truth, detections;
  for (int i = 0; i < 100001; ++i) {
    truth.push_back(offset_point(centre, across(rng), across(rng)));
    truth.back().date = i % 2 ? "2019-11-01" : "2020-02-14";
    detections.push_back(offset_point(truth.back(), nudge(rng), nudge(rng)));
  }
  const auto start = std::chrono::steady_clock::now();
  const EvalResult result = evaluate_detections(truth, detections, 1.0);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const MatchCounts& tents = result.by_class.at("tent");
  EXPECT_EQ(tents.truth_count(), 100001);
  // Neighbours closer than a metre can swap partners but almost every truth finds one.
  EXPECT_GT(tents.true_positives, 99000);
  // Generous bound for a loaded 2-core machine; an O(n*m) scan would take minutes.
  EXPECT_LT(seconds, 5.0);
  RecordProperty("evaluate_seconds", std::to_string(seconds));
}

// A lon/lat square camp [lon, lon + side] x [lat, lat + side].
Camp square_camp(const std::string& name, double lon, double lat, double side) {
  Camp camp;
  camp.name = name;
  camp.polygons = {{{{lon, lat}, {lon + side, lat}, {lon + side, lat + side}, {lon, lat + side}, {lon, lat}}}};
  return camp;
}

TEST(EvaluateByCamp, CountsEachPointInTheCampHoldingIt) {
  const std::vector<Camp> camps = {square_camp("Atme", 36.60, 36.20, 0.01), square_camp("Kah", 36.62, 36.20, 0.01)};
  const std::string date = "2019-12-24";
  const std::vector<Detection> truth = {point(36.601, 36.201, ObjectClass::Tent, date),
                                        point(36.602, 36.202, ObjectClass::Tent, date),
                                        point(36.603, 36.203, ObjectClass::Tent, date),
                                        point(36.625, 36.205, ObjectClass::Tent, date),
                                        point(36.650, 36.205, ObjectClass::Tent, date)};  // in no camp
  const std::vector<Detection> detections = {
      point(36.601, 36.201, ObjectClass::Tent, date), point(36.6021, 36.2021, ObjectClass::Tent, date),
      point(36.625, 36.205, ObjectClass::Tent, date), point(36.626, 36.206, ObjectClass::Tent, date),
      point(36.604, 36.204, ObjectClass::Vehicle, date)};
  EvalResult result = evaluate_detections(truth, detections, 2.0);
  add_camp_counts(result, truth, detections, camps);
  ASSERT_EQ(result.by_class_camp_date.size(), 4u);  // both classes x both camps x one date
  const CampCounts atme_tents = result.by_class_camp_date.at({"tent", "Atme", date});
  EXPECT_EQ(atme_tents.truth, 3);
  EXPECT_EQ(atme_tents.detected, 2);
  EXPECT_DOUBLE_EQ(atme_tents.count_error(), -1.0 / 3.0);
  EXPECT_DOUBLE_EQ(result.by_class_camp_date.at({"tent", "Kah", date}).count_error(), 1.0);
  EXPECT_TRUE(std::isinf(result.by_class_camp_date.at({"vehicle", "Atme", date}).count_error()));
  const CampCounts kah_vehicles = result.by_class_camp_date.at({"vehicle", "Kah", date});
  EXPECT_EQ(kah_vehicles.truth + kah_vehicles.detected, 0);
  EXPECT_EQ(kah_vehicles.count_error(), 0.0);

  const nlohmann::json parsed = nlohmann::json::parse(eval_report_json(result));
  EXPECT_EQ(parsed["classes"]["tent"]["by_camp"]["Kah"][date]["detected"], 2);
  EXPECT_TRUE(parsed["classes"]["vehicle"]["by_camp"]["Atme"][date]["count_error"].is_null());
  const std::string text = eval_report_text(result);
  EXPECT_NE(text.find("per camp"), std::string::npos) << text;
  EXPECT_NE(text.find("tent     Atme             2019-12-24        3        2      -33.33"), std::string::npos) << text;
}

TEST(EvaluateByProperty, RecallPerBucketOfTheTruthProperty) {
  std::mt19937 rng(11);
  std::vector<Detection> truth = spaced_points(rng, 6, 36.6, 36.2);
  for (Detection& d : truth) d.cls = ObjectClass::Vehicle, d.date = "2019-12-01";
  // 0.3 is stored just below 3 x 0.1 and must still land in [0.3, 0.4).
  const std::vector<std::optional<double>> gsd = {0.3, 0.5, 0.52, std::nullopt, 0.7, 0.3};
  const std::vector<Detection> detections = {truth[0], truth[2], truth[3]};
  EvalResult result = evaluate_detections(truth, detections, 1.0);
  add_property_breakdown(result, truth, gsd, "gsd", "gsd_m", 0.1);
  ASSERT_EQ(result.breakdowns.size(), 1u);
  const PropertyBreakdown& b = result.breakdowns[0];
  EXPECT_EQ(b.without_property, 1);
  const std::vector<RecallBucket>& buckets = b.by_class.at("vehicle");
  ASSERT_EQ(buckets.size(), 3u);
  EXPECT_NEAR(buckets[0].low, 0.3, 1e-12);
  EXPECT_EQ(buckets[0].truth, 2);
  EXPECT_EQ(buckets[0].matched, 1);
  EXPECT_NEAR(buckets[1].low, 0.5, 1e-12);
  EXPECT_EQ(buckets[1].truth, 2);
  EXPECT_EQ(buckets[1].matched, 1);
  EXPECT_EQ(buckets[2].truth, 1);
  EXPECT_EQ(buckets[2].recall(), 0.0);
  const nlohmann::json parsed = nlohmann::json::parse(eval_report_json(result));
  EXPECT_EQ(parsed["classes"]["vehicle"]["by_gsd"].size(), 3u);
  EXPECT_DOUBLE_EQ(parsed["classes"]["vehicle"]["by_gsd"][0]["recall"].get<double>(), 0.5);
  EXPECT_NE(eval_report_text(result).find("1 truth points without gsd_m left out"), std::string::npos);

  const std::vector<std::optional<double>> none(truth.size());
  EXPECT_THROW(add_property_breakdown(result, truth, none, "contrast", "contrast", 25.0), InputError);
}

}  // namespace
}  // namespace campscope

// merge_overlaps: one object seen by two overlapping tiles of a date counts once. A look model that adds to the
// rules: the rules' vehicles stay, and looks are added only away from them.
#include <gtest/gtest.h>

#include <opencv2/core.hpp>
#include <vector>

#include "evaluate.h"
#include "generated_scene.h"
#include "pipeline.h"

namespace campscope {
namespace {

// 1e-5 degrees of latitude is about 1.1 m.
Detection at(ObjectClass cls, double lat_offset_deg, float score) {
  Detection d;
  d.cls = cls;
  d.lon = 36.7;
  d.lat = 36.2 + lat_offset_deg;
  d.score = score;
  return d;
}

TEST(MergeOverlaps, HigherScoreWinsWithinAClass) {
  const std::vector<Detection> detections = {at(ObjectClass::Tent, 0.0, 0.6f), at(ObjectClass::Tent, 1e-5, 0.8f),
                                             at(ObjectClass::Vehicle, 1e-3, 0.3f),
                                             at(ObjectClass::Vehicle, 1e-3 + 1e-5, 0.2f)};
  EXPECT_EQ(merge_overlaps(detections, 1.5), (std::vector<std::size_t>{1, 2}));
  // Farther apart than the radius: both stay.
  EXPECT_EQ(merge_overlaps({detections[0], at(ObjectClass::Tent, 2e-5, 0.9f)}, 1.5),
            (std::vector<std::size_t>{0, 1}));
  EXPECT_TRUE(merge_overlaps({}, 1.5).empty());
}

// Where one tile saw a tent and the other a vehicle, the tent stays whatever the scores: a vehicle judged by its
// look scores on another scale than a tent's contrast, and tents are found far more precisely.
TEST(MergeOverlaps, ATentBeatsAVehicleAtTheSamePlace) {
  const std::vector<Detection> detections = {at(ObjectClass::Vehicle, 0.0, 1.0f), at(ObjectClass::Tent, 1e-5, 0.1f),
                                             at(ObjectClass::Vehicle, 1e-3, 0.9f)};
  EXPECT_EQ(merge_overlaps(detections, 1.5), (std::vector<std::size_t>{1, 2}));
}

// A forest over random features: its votes on real candidates are arbitrary, and the threshold decides.
std::shared_ptr<VehicleAppearance> look_model_adding_to_rules(double threshold) {
  cv::Mat samples(60, VehicleAppearance::feature_count(), CV_32F);
  cv::randu(samples, 0.0, 1.0);
  std::vector<int> labels;
  for (int i = 0; i < samples.rows; ++i) labels.push_back(i % 2);
  auto model = std::make_shared<VehicleAppearance>();
  model->forest.train(samples, labels, VehicleAppearance::feature_count(), 5);
  model->forest.threshold = threshold;
  model->adds_to_rules = true;
  return model;
}

bool same_detection(const Detection& a, const Detection& b) {
  return a.cls == b.cls && a.lon == b.lon && a.lat == b.lat && a.score == b.score && a.completed == b.completed;
}

TEST(LookAddedToRules, KeepsTheRulesObjectsAndAddsVehiclesOnlyAwayFromThem) {
  testing::TempDir dir("look-adds");
  testing::generate_scene(dir, "scene", 4);
  const TileEntry tile{"tiles/road_2019-12-24.tif", dir.file("scene/tiles/road_2019-12-24.tif"), "2019-12-24"};
  RunOptions options;
  options.vehicle_appearance = nullptr;  // the rules alone
  const TileDetections by_rules = detect_tile(tile, options);
  const std::vector<Detection>& rules = by_rules.detections;
  const auto vehicles_in = [](const std::vector<Detection>& list) {
    return std::count_if(list.begin(), list.end(), [](const Detection& d) { return d.cls == ObjectClass::Vehicle; });
  };
  ASSERT_GE(vehicles_in(rules), 5);

  // A look that accepts nothing adds nothing: the rules' detections exactly.
  options.vehicle_appearance = look_model_adding_to_rules(1.01);
  const std::vector<Detection> none_added = detect_tile(tile, options).detections;
  ASSERT_EQ(none_added.size(), rules.size());
  for (std::size_t i = 0; i < rules.size(); ++i) EXPECT_TRUE(same_detection(none_added[i], rules[i])) << i;

  // A look that accepts every candidate: every object of the rules is still there, and each added vehicle is at
  // least the duplicate radius from the rules' vehicles and from the other added ones, and outside the rectangle
  // the rules measured of each of their vehicles (a truck's cab is part of the truck).
  options.vehicle_appearance = look_model_adding_to_rules(0.0);
  const std::vector<Detection> all_added = detect_tile(tile, options).detections;
  std::vector<char> from_rules(all_added.size(), 0);
  for (const Detection& r : rules) {
    const auto found = std::find_if(all_added.begin(), all_added.end(),
                                    [&](const Detection& d) { return same_detection(d, r); });
    ASSERT_NE(found, all_added.end()) << "lost a detection of the rules at " << r.lon << ", " << r.lat;
    from_rules[static_cast<std::size_t>(found - all_added.begin())] = 1;
  }
  const double radius_m = options.detector.duplicate_radius_m;
  int added = 0;
  for (std::size_t i = 0; i < all_added.size(); ++i) {
    if (from_rules[i]) continue;
    ++added;
    EXPECT_EQ(all_added[i].cls, ObjectClass::Vehicle);
    for (std::size_t k = 0; k < all_added.size(); ++k) {
      if (k == i || (from_rules[k] && all_added[k].cls != ObjectClass::Vehicle)) continue;
      EXPECT_GT(local_ground_distance_m(all_added[i].lon, all_added[i].lat, all_added[k].lon, all_added[k].lat),
                0.99 * radius_m);  // pixel metres against the local lon/lat metric
    }
    for (std::size_t r = 0; r < rules.size(); ++r) {
      if (rules[r].cls != ObjectClass::Vehicle) continue;
      const ObjectMeasurements& m = by_rules.measured[r];
      // Metres east and south of the rule vehicle's centre: the tile is north-up, its axis in image axes.
      const Detection &v = rules[r], &a = all_added[i];
      const double east = local_ground_distance_m(v.lon, v.lat, a.lon, v.lat) * (a.lon < v.lon ? -1 : 1);
      const double south = local_ground_distance_m(v.lon, v.lat, v.lon, a.lat) * (a.lat > v.lat ? -1 : 1);
      const double along = std::abs(east * m.axis[0] + south * m.axis[1]);
      const double across = std::abs(south * m.axis[0] - east * m.axis[1]);
      constexpr double kSlackM = 0.05;  // the two frames' metres differ by a few parts in a thousand
      EXPECT_FALSE(along < 0.5 * m.length_m - kSlackM && across < 0.5 * m.width_m - kSlackM)
          << "added vehicle " << i << " lies on the rules' vehicle " << r;
    }
  }
  EXPECT_GT(added, 10);
}

}  // namespace
}  // namespace campscope

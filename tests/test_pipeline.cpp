// merge_overlaps: one object seen by two overlapping tiles of a date counts once.
#include <gtest/gtest.h>

#include <vector>

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

}  // namespace
}  // namespace campscope

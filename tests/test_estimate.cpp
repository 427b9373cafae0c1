// Population estimates from tent counts: the point estimate and its interval, with and without weak tents.
#include <gtest/gtest.h>

#include "estimate.h"

namespace campscope {
namespace {

TEST(EstimatePopulation, PointEstimateCorrectsByPrecisionOverRecall) {
  const DetectorAccuracy accuracy;
  const OccupancyModel occupancy;
  const PopulationEstimate e = estimate_population(400, 0, 5.0, occupancy, accuracy);
  EXPECT_DOUBLE_EQ(e.population, 400 * accuracy.precision / accuracy.recall * 5.0);
  EXPECT_LT(e.low, e.population);
  EXPECT_GT(e.high, e.population);
  // Weak tents widen the interval, never move the estimate.
  EXPECT_DOUBLE_EQ(estimate_population(400, 400, 5.0, occupancy, accuracy).population, e.population);
}

TEST(EstimatePopulation, MostlyWeakTentsLowerTheRecallsLowEnd) {
  const DetectorAccuracy accuracy;
  const OccupancyModel occupancy;
  const long long n = 500;
  const auto limit = static_cast<long long>(accuracy.weak_share_limit * n);
  const PopulationEstimate strong = estimate_population(n, 0, 5.0, occupancy, accuracy);
  const PopulationEstimate at_limit = estimate_population(n, limit, 5.0, occupancy, accuracy);
  const PopulationEstimate weak = estimate_population(n, limit + 1, 5.0, occupancy, accuracy);
  EXPECT_DOUBLE_EQ(at_limit.high, strong.high);
  EXPECT_DOUBLE_EQ(weak.low, strong.low);
  // The high end divides by the lower recall instead: n * p_high / r_low grows by (recall - margin) / weak_recall_low.
  const double p_high = std::min(1.0, accuracy.precision + accuracy.margin);
  const double grown = n * p_high * (1.0 / accuracy.weak_recall_low - 1.0 / (accuracy.recall - accuracy.margin)) *
                       occupancy.high;
  EXPECT_NEAR(weak.high - strong.high, grown, 1e-9 * weak.high);
  EXPECT_GT(weak.high, 1.1 * strong.high);  // recall 0.963 -> 0.85 at the low end
}

TEST(EstimatePopulation, MeasuredAccuracyTurnsTheWeakRuleOff) {
  DetectorAccuracy measured{0.9, 0.8, 0.05};
  measured.weak_recall_low = 0.0;
  const OccupancyModel occupancy;
  EXPECT_DOUBLE_EQ(estimate_population(300, 300, 5.0, occupancy, measured).high,
                   estimate_population(300, 0, 5.0, occupancy, measured).high);
}

TEST(EstimatePopulation, NoTentsNoPersons) {
  const PopulationEstimate e = estimate_population(0, 0, 5.0, OccupancyModel{}, DetectorAccuracy{});
  EXPECT_EQ(e.population, 0.0);
  EXPECT_EQ(e.low, 0.0);
  EXPECT_EQ(e.high, 0.0);
}

}  // namespace
}  // namespace campscope

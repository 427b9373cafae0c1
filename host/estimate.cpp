#include "estimate.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>

namespace campscope {
namespace {

std::string fixed(double value, int decimals) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
  return buffer;
}

std::string kind_label(const ReportedFigure& figure) {
  return figure.since_date.empty() ? figure.kind : figure.kind + ":" + figure.since_date;
}

}  // namespace

PopulationEstimate estimate_population(long long detected_tents, long long weak_tents, double persons_per_tent,
                                       const OccupancyModel& occupancy, const DetectorAccuracy& accuracy) {
  const double n = static_cast<double>(detected_tents);
  const double p = accuracy.precision;
  const double r = accuracy.recall;
  const double p_low = std::max(0.0, p - accuracy.margin);
  const double p_high = std::min(1.0, p + accuracy.margin);
  const bool mostly_weak = accuracy.weak_recall_low > 0.0 && detected_tents > 0 &&
                           static_cast<double>(weak_tents) > accuracy.weak_share_limit * n;
  const double r_low = std::max(0.05, mostly_weak ? std::min(r - accuracy.margin, accuracy.weak_recall_low)
                                                  : r - accuracy.margin);
  const double r_high = std::min(1.0, r + accuracy.margin);
  // Binomial spread of how many detections are real and how many real tents were found.
  const double counting_sd = std::sqrt(n * (p * (1.0 - p) + (1.0 - r)));
  const double scale = persons_per_tent / occupancy.persons_per_tent;
  PopulationEstimate out;
  const double tents = n * p / r;
  out.population = tents * persons_per_tent;
  out.low = std::max(0.0, n * p_low / r_high - 2.0 * counting_sd) * occupancy.low * scale;
  out.high = (n * p_high / r_low + 2.0 * counting_sd) * occupancy.high * scale;
  return out;
}

std::string estimates_csv(const std::vector<CampDateEstimate>& rows) {
  std::ostringstream out;
  out << "camp,date,tents,vehicles,population,population_low,population_high,coverage\n";
  for (const auto& row : rows) {
    out << csv_field(row.camp) << ',' << row.date << ',';
    if (row.imaged()) {
      out << row.tents << ',' << row.vehicles << ',' << fixed(row.population.population, 0) << ','
          << fixed(row.population.low, 0) << ',' << fixed(row.population.high, 0);
    } else {
      out << ",,,,";
    }
    out << ',' << fixed(row.coverage, 4) << '\n';
  }
  return out.str();
}

std::vector<ComparisonRow> compare_with_reported(const std::vector<ReportedFigure>& reported,
                                                 const std::vector<CampDateEstimate>& estimates,
                                                 const std::vector<std::string>& camp_names) {
  std::map<std::pair<std::string, std::string>, const CampDateEstimate*> by_camp_date;
  for (const auto& e : estimates) by_camp_date[{e.camp, e.date}] = &e;

  // Sum over the region's camps on one date, or the reason it cannot be estimated.
  const auto region_total = [&](const std::string& region, const std::string& date,
                                std::string& why_not) -> std::optional<PopulationEstimate> {
    std::vector<std::string> camps;
    if (region == "all") camps = camp_names;
    else camps.push_back(region);
    if (camps.empty()) {
      why_not = "no camps given";
      return std::nullopt;
    }
    PopulationEstimate total;
    for (const auto& camp : camps) {
      const auto it = by_camp_date.find({camp, date});
      if (it == by_camp_date.end() || !it->second->imaged()) {
        why_not = "no imagery of " + camp + " on " + date;
        return std::nullopt;
      }
      if (it->second->coverage < kFullCoverage) {
        why_not = camp + " only " + fixed(100.0 * it->second->coverage, 0) + "% imaged on " + date;
        return std::nullopt;
      }
      total.population += it->second->population.population;
      total.low += it->second->population.low;
      total.high += it->second->population.high;
    }
    return total;
  };

  std::vector<ComparisonRow> rows;
  for (const auto& figure : reported) {
    ComparisonRow row;
    row.reported = figure;
    std::string why_not;
    const auto at_date = region_total(figure.region, figure.date, why_not);
    if (!at_date) {
      row.note = why_not;
    } else if (figure.since_date.empty()) {
      row.estimated = at_date;
    } else {
      const auto at_since = region_total(figure.region, figure.since_date, why_not);
      if (!at_since) {
        row.note = why_not;
      } else {
        // Arrivals are the change in population; the interval takes the extremes of both ends.
        PopulationEstimate change;
        change.population = at_date->population - at_since->population;
        change.low = at_date->low - at_since->high;
        change.high = at_date->high - at_since->low;
        row.estimated = change;
      }
    }
    rows.push_back(row);
  }
  return rows;
}

std::string comparison_csv(const std::vector<ComparisonRow>& rows) {
  std::ostringstream out;
  out << "date,region,kind,reported,estimated,estimated_low,estimated_high,difference_pct,note\n";
  for (const auto& row : rows) {
    const auto& f = row.reported;
    out << f.date << ',' << csv_field(f.region) << ',' << kind_label(f) << ',' << fixed(f.figure, 0) << ',';
    if (row.estimated) {
      const double diff = f.figure > 0 ? 100.0 * (row.estimated->population - f.figure) / f.figure : 0.0;
      out << fixed(row.estimated->population, 0) << ',' << fixed(row.estimated->low, 0) << ','
          << fixed(row.estimated->high, 0) << ',' << (f.figure > 0 ? fixed(diff, 1) : std::string());
    } else {
      out << ",,,";
    }
    out << ',' << csv_field(row.note) << '\n';
  }
  return out.str();
}

}  // namespace campscope

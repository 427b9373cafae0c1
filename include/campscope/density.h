#pragma once
#include <string>
#include <vector>

#include "campscope/backend.h"

namespace campscope {

// A north-up grid in a projected CRS with metre units. (origin_x, origin_y) is the top-left corner.
struct GridSpec {
  double origin_x = 0.0;
  double origin_y = 0.0;
  double cell_m = 10.0;
  int width = 0;
  int height = 0;
  std::string crs_wkt;
};

struct WeightedPoint {
  double x = 0.0;  // grid CRS
  double y = 0.0;
  double persons = 0.0;
};

// Grid covering [min_x, max_x] x [min_y, max_y] padded by the Gaussian's support, so no mass leaves it.
GridSpec make_density_grid(double min_x, double min_y, double max_x, double max_y, double cell_m,
                           double bandwidth_m, const std::string& crs_wkt);

// Persons per km^2 on `grid`: persons splatted to cells and smoothed by a Gaussian of standard deviation
// `bandwidth_m`. Mass-conserving: sum(values) * cell_area_km2 equals the total persons of points inside the grid.
std::vector<float> density_map(const GridSpec& grid, const std::vector<WeightedPoint>& points, double bandwidth_m,
                               Backend backend);

}  // namespace campscope

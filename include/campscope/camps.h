#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace campscope {

// A camp outline as read from GeoJSON: lon/lat, polygons -> rings (first outer, then holes) -> vertices.
struct Camp {
  std::string name;
  double persons_per_tent = 0.0;  // <= 0: use the run's default
  std::vector<std::vector<std::vector<std::array<double, 2>>>> polygons;
};

// All camps flattened into one coordinate system for point-in-polygon tests on either backend.
// A point is inside camp c when it is inside an odd number of the rings of c (even-odd rule: holes and
// multipolygons both work).
struct CampPolygons {
  std::vector<double> xs, ys;              // ring vertices, rings not explicitly closed
  std::vector<std::int32_t> ring_offsets;  // ring r spans vertices [ring_offsets[r], ring_offsets[r+1])
  std::vector<std::int32_t> camp_rings;    // camp c spans rings [camp_rings[c], camp_rings[c+1])
  int camp_count() const { return camp_rings.empty() ? 0 : static_cast<int>(camp_rings.size()) - 1; }
};

}  // namespace campscope

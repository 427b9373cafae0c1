// Points binned in square cells, for the host-side passes that look for detections near a point.
#pragma once
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <unordered_map>
#include <utility>
#include <vector>

namespace campscope::detect {

// Items at points of the plane, binned in square cells of a given side: those near a point are found by looking
// at the few cells about it.
template <typename Item>
class CellIndex {
 public:
  explicit CellIndex(double cell) : cell_(cell) {}
  void add(double x, double y, const Item& item) { cells_[cell_of(x, y)].push_back(item); }
  // Calls visit(item) for every item of the cells within `reach` of the cell of (x, y): every item within `reach`
  // of it, and some further. Row by row of cells, each cell's items in the order they were added.
  template <typename Visit>
  void for_each_near(double x, double y, double reach, const Visit& visit) const {
    const std::int64_t cells = static_cast<std::int64_t>(std::ceil(reach / cell_));
    const auto [cx, cy] = cell_of(x, y);
    for (std::int64_t dy = -cells; dy <= cells; ++dy)
      for (std::int64_t dx = -cells; dx <= cells; ++dx) {
        const auto it = cells_.find({cx + dx, cy + dy});
        if (it == cells_.end()) continue;
        for (const Item& item : it->second) visit(item);
      }
  }

 private:
  using Cell = std::pair<std::int64_t, std::int64_t>;
  // The row-passes ask of a few cells per test, and a search tree's comparisons were most of that.
  struct CellHash {
    std::size_t operator()(const Cell& c) const {
      return static_cast<std::size_t>(static_cast<std::uint64_t>(c.first) * 0x9E3779B97F4A7C15ull ^
                                      static_cast<std::uint64_t>(c.second));
    }
  };
  Cell cell_of(double x, double y) const {
    return {static_cast<std::int64_t>(std::floor(x / cell_)), static_cast<std::int64_t>(std::floor(y / cell_))};
  }
  double cell_;
  std::unordered_map<Cell, std::vector<Item>, CellHash> cells_;
};

}  // namespace campscope::detect

#include <stdexcept>
#include <string>

#include "campscope/image.h"

namespace campscope {

std::vector<BlockWindow> plan_blocks(int raster_width, int raster_height, int block_size, int halo) {
  if (raster_width < 0 || raster_height < 0 || block_size <= 0 || halo < 0) {
    throw std::invalid_argument("plan_blocks: invalid arguments (raster " + std::to_string(raster_width) + " x " +
                                std::to_string(raster_height) + ", block " + std::to_string(block_size) + ", halo " +
                                std::to_string(halo) + ")");
  }
  std::vector<BlockWindow> blocks;
  for (int core_y0 = 0; core_y0 < raster_height; core_y0 += block_size) {
    for (int core_x0 = 0; core_x0 < raster_width; core_x0 += block_size) {
      BlockWindow block;
      block.core_x0 = core_x0;
      block.core_y0 = core_y0;
      // Differences instead of sums: core_x0 + block_size may overflow int near INT_MAX.
      block.core_width = raster_width - core_x0 < block_size ? raster_width - core_x0 : block_size;
      block.core_height = raster_height - core_y0 < block_size ? raster_height - core_y0 : block_size;
      block.x0 = core_x0 > halo ? core_x0 - halo : 0;
      block.y0 = core_y0 > halo ? core_y0 - halo : 0;
      const int core_x1 = core_x0 + block.core_width;
      const int core_y1 = core_y0 + block.core_height;
      const int x1 = raster_width - core_x1 > halo ? core_x1 + halo : raster_width;
      const int y1 = raster_height - core_y1 > halo ? core_y1 + halo : raster_height;
      block.width = x1 - block.x0;
      block.height = y1 - block.y0;
      blocks.push_back(block);
      if (raster_width - core_x0 <= block_size) break;
    }
    if (raster_height - core_y0 <= block_size) break;
  }
  return blocks;
}

}  // namespace campscope

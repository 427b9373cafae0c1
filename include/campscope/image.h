#pragma once
#include <cstdint>
#include <vector>

namespace campscope {

// A window of a tile as the detector sees it: 8-bit RGB, interleaved, row-major, plus a validity mask
// (1 = imaged, 0 = nodata). (x0, y0) is the window's top-left pixel in the tile.
struct RgbBlock {
  int x0 = 0;
  int y0 = 0;
  int width = 0;
  int height = 0;
  std::vector<std::uint8_t> rgb;    // width * height * 3
  std::vector<std::uint8_t> valid;  // width * height
};

// One block of a streamed raster: the core it owns and the window read around it (core plus halo, clipped to the
// raster). Objects are kept only when their centre lies in the core, so none is lost or counted twice at block borders.
struct BlockWindow {
  int core_x0 = 0, core_y0 = 0, core_width = 0, core_height = 0;
  int x0 = 0, y0 = 0, width = 0, height = 0;
};

std::vector<BlockWindow> plan_blocks(int raster_width, int raster_height, int block_size, int halo);

}  // namespace campscope

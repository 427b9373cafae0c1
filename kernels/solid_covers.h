// Counting the tarpaulins of a packed block whose gaps the pixels do not resolve.
#pragma once
#include <vector>

#include "campscope/detect.h"
#include "campscope/image.h"
#include "detect_impl.h"

namespace campscope::detect {

// Blue tarpaulins packed a metre or two apart, seen at 0.7-1 m, blur into one solid blue cover: no gap separates them
// for the region stage or for complete_tent_rows, which find a few tents in it, often between its rows. An analyst
// counts such a cover by its size. A cover is the 4-connected blue pixels (tarpaulin_blue) about a found blue tent;
// a rectangle of them (filling most of its fitted rectangle, at least three tents' cells, at most a large block's) is
// a block of tents on a lattice. Its pitch along each side is the period of the cover's colour where the gaps still
// show a little, otherwise the typical pitch of a packed block (6 m); the lattice has as many rows and columns as that
// pitch fits along and across the cover, spread evenly over it. Where fewer than half of the lattice points inside
// the cover have a tent found (more, and the block was seen), the lattice is the block: a found tent within half a
// step of a point keeps it, a bare point gets a tent copying the measurements of the tent the cover was found from
// (`completed`), and a found tent on no point goes.
//
// Only where a gap of a metre is under about one and a half pixels (0.7 m and coarser): at finer pixels the gaps show
// and the lattice of complete_tent_rows holds. `objects` are in the tile pixel coordinates of `block`. Runs on the
// host after either backend, so both give the same tents.
void fill_solid_covers(const RgbBlock& block, const PixelParams& params, std::vector<DetectedObject>& objects);

}  // namespace campscope::detect

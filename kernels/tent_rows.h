// Completing the rows of packed tent blocks from the tents the region stage found in them.
#pragma once
#include <vector>

#include "campscope/detect.h"
#include "campscope/image.h"
#include "detect_impl.h"

namespace campscope::detect {

// Tents packed a metre or two apart stand on a lattice, and at 0.7-1 m a block's blurred gaps join most of its
// tents into regions the region stage cannot cut apart (at 1 m it found 64-74% of the hard profile's tents). The
// ones it does find fix the lattice. For found tents a and b a spacing apart, a + (a - b) is the next point of their
// row; for two neighbours b and c of a in different directions, b + c - a completes the parallelogram. Such a point
// is taken for a tent when nothing was found there, it looks like a (nearer a's colour than the gap between a and
// its neighbours is), gaps as distinct separate it from the tents beside it and from what lies a spacing further
// on, it is unlike the ground, and pixels of its colour fill a third of the box about it. Where the blur of the gaps
// fails that test (at 0.7-1 m), the point is taken when the region analysis seeded there finds a tent of the same
// size centred there. A found tent's sides give more points, a tent's length or width and a gap from it along and
// across them (a tent found alone in its block has no neighbour to fix the lattice): its own sides where pixels
// resolve a windscreen, its nearest found neighbour's direction where they are coarser. The tents so added seed
// further rounds until a round adds none. A vehicle as wide as a tent and of a found tent's colour beside it is no
// object in the way: two covers of the block joined along their row. Covers of the soil's own colour, below the
// contrast threshold, are taken from a found cover of another colour where thin shadowed gaps bound them. A cover of
// another material amid found tents (the lattice point between two of a row, the next row unbroken beside it) is
// taken when it is unlike the ground.
//
// `objects` are in the tile pixel coordinates of `block` (as detect_objects returns them); an added tent copies the
// score and measurements of the tent it was extrapolated from, with its own colour. Runs on the host after either
// backend, so both give the same tents.
void complete_tent_rows(const RgbBlock& block, const PixelParams& params, std::vector<DetectedObject>& objects);

}  // namespace campscope::detect

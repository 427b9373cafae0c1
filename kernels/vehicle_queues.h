// Completing queues of vehicles from the vehicles the region stage found in them.
#pragma once
#include <vector>

#include "campscope/detect.h"
#include "campscope/image.h"
#include "detect_impl.h"

namespace campscope::detect {

// Vehicles queued nose to tail join each other in the region stage's foreground, the gaps between them (1-2 m, a
// blurred pixel or two at 0.5 m) no wider than a white car's mid-grey windscreen, so most of a queue is found only
// here and there. Two vehicles found up to kMaxPitchM apart give the queue's line when both have their sides along
// it (BlockPixels::sides_of); then each found vehicle's own long side gives one, for a queue with one vehicle found.
// The line, sampled as a strip a metre wide, must show road near both measured ends of the vehicle it starts from
// (within kEndToleranceM: a truck found by its cargo has its cab between one end and the road).
// The road there is the commonest colours half a lane to either side and the block's ground. The next vehicle along
// the line is the next run of other colours a vehicle's length long between runs of road, the road runs inside it
// no longer than glass, and the widest road run a vehicle's length allows ends it. It is put in where no vehicle
// found or put already holds it (within kTakenM, or in the lane with their extents overlapping by kOverlapM), when
// road bounds it across within the widest vehicle's width (a tent or a roof is wider); the walk goes on, both ways,
// until a gap longer than a queue's, pixels not imaged, or a run no vehicle's length. Vehicle F1 pooled over seeds:
// default seeds 1-5 0.870 -> 0.892 (101 more found, 51 more false), held-out seeds 6-10 0.854 -> 0.886 (+125/+45),
// hard seeds 1-5 0.675 -> 0.686 (+55/+46), 6-10 0.661 -> 0.676 (+70/+53); the KIT mosaics 0.338 -> 0.366
// (+20/+17). Lines between found pairs alone gave 0.885, 0.876, 0.682, 0.672 and 0.351; without the sides rule the
// KIT mosaics took 18 more for 51 false, on lines between two rows of parked cars and along roof edges. A vehicle
// put in is at least the shortest vehicle's length (a truck's cab is shorter): 0.892 -> 0.897, 0.886 -> 0.888,
// 0.686 -> 0.688, 0.676 -> 0.676 and 0.366 -> 0.367 on the same sets.
//
// `objects` are in the tile pixel coordinates of `block`; a vehicle put in copies the found vehicle it was walked
// from, with its own centre and length. Runs on the host after either backend, so both give the same vehicles.
void complete_vehicle_queues(const RgbBlock& block, const PixelParams& params, std::vector<DetectedObject>& objects);

}  // namespace campscope::detect

// Telling the dashes of a road's centre line from vehicles.
#pragma once
#include <vector>

#include "campscope/detect.h"
#include "campscope/image.h"
#include "detect_impl.h"

namespace campscope::detect {

// At 0.7-1 m a centre-line dash (3 m x 0.15 m, a third of a pixel wide at 0.5 m) blurs into a pale blob a pixel or
// two wide and three or four long, which the region stage measures as a small pale vehicle; under haze and
// compression its contrast is a grey car's. What no vehicle shows is the dashed line it belongs to: along its own
// axis, past road, the same blob again and again at one pitch, the gaps longer than any queue leaves. A found vehicle
// is dropped when, along some direction through it (along its length), two more runs of its colour about as long
// and as wide as its own lie at one pitch from it (one each side, or two on one side), each gap longer than a
// queue's. Vehicle F1 pooled over seeds: hard 1-5 0.698 -> 0.714 (4 found fewer, 90 false fewer), hard 6-10
// 0.687 -> 0.703 (-3/-93), default 1-5 0.909 -> 0.910 (-1/-4), default 6-10 0.902 -> 0.903 (-3/-6), the KIT mosaics
// unchanged; hard seeds 1-5 tents 0.9648 -> 0.9651, their (camp, date) counts off by more than 7% 5 -> 4 (vehicles
// no longer stand where the tent rows are completed). Olive canopies in a grid and rooftop tanks in a row go too.
// Runs on the host after either backend, before the queues are walked (a dash would seed a walk along the line).
void drop_dashed_line_markings(const RgbBlock& block, const PixelParams& params, std::vector<DetectedObject>& objects);

}  // namespace campscope::detect

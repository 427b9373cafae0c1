#pragma once
#include <cstddef>
#include <vector>

#include "campscope/backend.h"
#include "campscope/image.h"
#include "campscope/types.h"

namespace campscope {

// Every size is physical (metres) and describes the object itself; pixel sizes follow from the tile's
// ground-sample distance and a region's measured extent is corrected for about one pixel of sensor blur, so the
// same parameters work for 0.3 m and 1 m imagery.
struct DetectorParams {
  // Candidate generation: centre-surround colour contrast at a vehicle scale and a tent scale.
  double vehicle_inner_m = 1.5;
  double vehicle_outer_m = 5.0;
  double tent_inner_m = 2.5;
  double tent_outer_m = 8.0;
  int min_contrast = 45;        // L1 distance over R,G,B (0..765) between inner and ring means
  double nms_radius_m = 1.0;
  double region_radius_m = 7.0;  // an object's region must fit in this radius, or it is something larger
  double shadow_brightness = 0.55;  // shadowed ground relative to lit ground

  // Tents: white, off-white, beige or blue tarpaulin; 3-6 m. (A white car body cut off by its windscreen is
  // about 3 x 1.8 m: the minimum width keeps it out.)
  double tent_min_width_m = 2.2;
  double tent_max_length_m = 7.0;
  double tent_min_area_m2 = 5.0;
  double tent_max_area_m2 = 45.0;
  double tent_max_elongation = 1.75;
  int tent_min_brightness_gain = 20;  // luma above the surrounding ground
  int tent_max_chroma = 75;           // max-min over R,G,B for white/beige
  int tarp_min_blue_excess = 45;      // B - R for blue tarpaulin

  // Vehicles: any colour; cars 4.5 x 1.8 m up to trucks 10 x 2.5 m.
  double vehicle_min_width_m = 1.5;
  double vehicle_max_width_m = 3.3;
  double vehicle_min_length_m = 4.0;
  double vehicle_max_length_m = 11.5;
  double vehicle_min_elongation = 1.75;
  // A vehicle's length over its width, the blur taken off as for the size limits: the longest vehicle (11.5 m, 2.5 m
  // wide) is 4.6 times as long as wide. Longer, thinner regions are strips: a roof's or wall's shadow, a lane
  // marking, a row of rooftop tanks. Vehicle F1 pooled: default seeds 1-5 0.904 -> 0.905, held-out 6-10 0.892 ->
  // 0.896, hard 0.692 -> 0.697, hard 6-10 0.679 -> 0.682; the KIT mosaics 0.367 -> 0.365 (two parked cars lost with
  // two false ones). 5 and 5.5 gave less; the same test on the region's extent with the blur (at most 4) 0.907 on
  // default seeds and the rest alike, but it would refuse a 12 m bus at 0.3 m.
  double vehicle_max_elongation = 4.6;
  // The candidates' own threshold. A higher bar (55) once kept the soil between olive canopies out, which the
  // detector now recognises as bare ground of the block's colour, and cost faint cars.
  int vehicle_min_contrast = 45;
  int ground_tolerance = 15;  // RGB (Euclidean) distance from every ground colour blend beyond which a pixel is an object

  double min_fill = 0.72;  // region area over its fitted rectangle: rejects ragged clutter
  // Two results closer than this are one object seen twice (tents stand >= 1 m apart, so centres >= 4 m).
  double duplicate_radius_m = 1.5;
};

// What the detector measured of an object's region: the inputs of a learned classifier (`campscope calibrate`).
struct ObjectMeasurements {
  float length_m = 0.0f;  // blur-corrected extent of the fitted rectangle
  float width_m = 0.0f;
  float fill = 0.0f;      // region area over its fitted rectangle
  float contrast = 0.0f;  // mean L1 colour distance of the region from its ground
  float colour[3] = {0.0f, 0.0f, 0.0f};  // mean R, G, B of the region
  float ground[3] = {0.0f, 0.0f, 0.0f};  // the ground colour it was judged against
  // Unit vector along the fitted rectangle's length, in the tile's pixel axes (x right, y down).
  float axis[2] = {1.0f, 0.0f};
};

// An object found in a block, in the block's tile pixel coordinates (pixel (i, j) covers [i, i+1) x [j, j+1)).
struct DetectedObject {
  double x = 0.0;
  double y = 0.0;
  ObjectClass cls = ObjectClass::Tent;
  float score = 0.0f;
  ObjectMeasurements measured;
  // Put in by a pass completing tent rows or vehicle queues from the objects found about it (measured as the one it
  // was put from), not grown from a candidate of its own.
  bool completed = false;
};

struct ScoredPoint {
  double x = 0.0;  // metres, any planar frame
  double y = 0.0;
  float score = 0.0f;
};

// Indices (ascending) of the points kept when each point within `radius` of a higher-scoring kept point is dropped;
// equal scores keep the lower index. Deterministic, O(n log n).
std::vector<std::size_t> suppress_duplicates(const std::vector<ScoredPoint>& points, double radius);

// Two objects cannot overlap on the ground: drops each vehicle whose centre (pixel coordinates, `gsd_m` metres per
// pixel) lies within half the measured width of a tent. Such a vehicle is a strip of the tent, or of a tent grid's
// gaps around it: a tent region is the whole of a compact cover, while a vehicle region may be cut out of a larger
// one. A vehicle parked beside a tent stands at least half the tent's width plus half its own from its centre.
void drop_vehicles_on_tents(std::vector<DetectedObject>& objects, double gsd_m);

// Two vehicles cannot overlap on the ground either: vehicles whose centres are closer than half their measured
// widths summed are one vehicle found twice, farther apart than duplicate_radius_m (a truck's cab and its cargo
// grown as two regions; a car, and the car grown together with the lane dash beside it; a vehicle a queue pass put
// in beside one found, whose measurements it copies). So is a vehicle whose centre lies inside the other's measured
// rectangle (along its axis, at least 0.5 m in from its ends; across it, within its sides plus 0.25 m): a truck
// grown whole and a piece of it grown alone, its cab 3-4 m from the whole's centre. So are two in one lane (axes
// within 25 degrees, centres within three quarters of the narrower one's width across the longer one's axis) whose
// centres are closer along it than `shortest_vehicle_m`, which two vehicles nose to tail cannot be: a car, and the
// car grown together with the dark cab of the truck behind it. Each, vehicles found before
// vehicles put in and then highest score first (lower index first among equals), takes in the vehicles not yet
// taken or kept that are one with it and moves to the mean of their centres, keeping its own measurements and
// flags; the others go, and the order of what remains is kept. Two cars parked side by side stand at least their
// width apart and stay; so do the cars of a queue, and a car beside a region that took in its neighbour too (its
// centre near that region's end). Run after the completion passes; vehicle F1 pooled over seeds: default seeds 1-5
// 0.897 -> 0.902 (22 fewer false, 3 fewer found), held-out seeds 6-10 0.888 -> 0.892, hard seeds 1-5 0.688 ->
// 0.691, 6-10 0.676 -> 0.679; the KIT mosaics unchanged (0.367). Keeping the first one where it stood instead gave
// 0.899 and 0.690 (before the queue pass); moving a found one toward the other found ones only, 0.9016 on default
// seeds 1-5. The rectangle test: default 0.9168 -> 0.9186 (7 fewer false, 1 fewer found), held-out 0.9079 ->
// 0.9087, hard 0.7144 -> 0.7159, 6-10 0.7028 -> 0.7034, KIT unchanged; with no margin in from the ends, held-out
// 0.9064 (cars beside a two-car region lost); at the centre of the parts' extent along the axis, 0.9181. The lane
// test: default 0.9198 -> 0.9204 (2 false fewer), hard 0.7159 -> 0.7162, hard 6-10 0.7034 -> 0.7036, held-out
// 6-10 and KIT unchanged; with a reach of 4.5 m, held-out 0.9073 (queued cars merged).
void merge_overlapping_vehicles(std::vector<DetectedObject>& objects, double gsd_m, double shortest_vehicle_m);

// A region cut by the edge of the imaged footprint (nodata) is part of something whose size and centre are unknown:
// drops each vehicle with a pixel not imaged within half its measured length of its centre (pixel coordinates of
// `block`'s tile, `gsd_m` metres per pixel). On the generated scenes such vehicles were flat roofs cut by a rotated
// tile's nodata corner, and no true one: vehicle F1 pooled over seeds, default 1-5 0.902 -> 0.904 (6 fewer false),
// held-out 6-10 0.892 -> 0.892 (3 fewer false, 1 fewer found), hard 1-5 and 6-10 2 and 3 fewer false; the KIT
// mosaics unchanged. The block's own border is no such edge: the halo shows what lies past it.
void drop_vehicles_cut_by_unimaged_pixels(const RgbBlock& block, std::vector<DetectedObject>& objects, double gsd_m);

// A vehicle needs room to have driven where it stands: drops each vehicle with three or more tents (each found
// once: after duplicates are suppressed) within 6 m of its centre. Such a vehicle is a strip between the covers of a
// packed block of tents, some of them not found. A car parked beside a tent, or driving a camp lane between two
// rows of tents, has one or two that near (none of the generated profiles' true vehicles has more).
void drop_vehicles_inside_tent_blocks(std::vector<DetectedObject>& objects, double gsd_m);

// Halo (pixels) a block needs around its core so that objects centred in the core are seen whole.
int detector_halo_px(const DetectorParams& params, double gsd_m);

// A candidate the detector did not take for a tent, in tile pixel coordinates: the centre of the vehicle the rules
// found there, or else of the candidate's pixel; whether the rules took it for a vehicle, and what they measured
// of its region (zero where none was grown). A vehicle judged there by its look stands at (placed_x, placed_y): the
// centre of the region the rules measured, where they measured one, for the candidate's pixel may lie anywhere on
// the vehicle (the cab of a 9 m truck is 3-4 m from its centre, beyond a 2 m match radius); else the candidate.
struct CandidatePoint {
  double x = 0.0;
  double y = 0.0;
  bool rule_vehicle = false;
  ObjectMeasurements measured;
  double placed_x = 0.0;
  double placed_y = 0.0;
};

// Tents and vehicles in `block`, deduplicated, with the rows of packed tent blocks completed from the tents found in
// them (kernels/tent_rows.h) and the queues of vehicles from the vehicles found in them (kernels/vehicle_queues.h),
// vehicles overlapping on the ground merged (merge_overlapping_vehicles) and those cut by the imaged footprint's
// edge dropped (drop_vehicles_cut_by_unimaged_pixels), sorted by (y, x). Identical on both backends. With `other_candidates`, also every candidate that is no tent, in
// row-major order (for a vehicle appearance model, which judges candidates by their look: a vehicle put in a queue
// is none; handed to the KIT look model as one, it took the calibrated F1 from 0.840 to 0.815).
std::vector<DetectedObject> detect_objects(const RgbBlock& block, double gsd_m, const DetectorParams& params,
                                           Backend backend, std::vector<CandidatePoint>* other_candidates = nullptr);

}  // namespace campscope

// Detector math shared by the CPU (detect_cpu.cpp) and CUDA (detect_cuda.cu) backends: the parameters in pixels
// and the per-candidate result. The stages themselves are in detect_pixels_impl.h and detect_regions_impl.h.
#pragma once
#include <cmath>
#include <cstdint>

#include "campscope/detect.h"
#include "parallel_for.h"

namespace campscope::detect {

// The region of one object must fit in a (2R+1)^2 window; R is capped so per-thread scratch stays bounded on the GPU.
constexpr int kMaxRegionRadius = 31;
constexpr int kMaxRegionSide = 2 * kMaxRegionRadius + 1;
constexpr int kMaxRegionPixels = kMaxRegionSide * kMaxRegionSide;
constexpr int kChannels = 4;  // R, G, B (masked by validity) and the validity count

// Detector parameters converted to pixels for one ground-sample distance, plus what is measured once per block.
// Plain data: passed by value to kernels.
struct PixelParams {
  DetectorParams physical;
  double gsd_m = 0.5;
  int vehicle_inner_half = 1, vehicle_outer_half = 5;
  int tent_inner_half = 2, tent_outer_half = 8;
  int nms_radius = 2;
  int region_radius = 14;
  int shadow_percent = 55;
  // Added to a pale cover's measured width before the tent width limit: see to_pixel_params.
  double tent_width_allowance_m = 0.0;
  // What the blur adds to a vehicle region's length and width, taken off before the vehicle limits: see
  // to_pixel_params.
  double vehicle_blur_m = 0.5;
  // The contrast a vehicle region needs: see to_pixel_params.
  int vehicle_min_region_contrast = 45;
  int block_ground[3] = {0, 0, 0};  // the block's dominant colour, set per block by detect_objects
};

PixelParams to_pixel_params(const DetectorParams& params, double gsd_m);

// The index of the lowest set bit of a non-zero word.
CAMPSCOPE_HD int lowest_set_bit(std::uint64_t word) {
#if defined(__CUDA_ARCH__)
  return __ffsll(static_cast<long long>(word)) - 1;
#else
  return __builtin_ctzll(word);
#endif
}

// About a windscreen's length: finer pixels resolve a car's glass, coarser ones see a car as a few pixels of blur.
constexpr double kWindscreenM = 0.75;

// A white car's body without its windscreen is one material and measures about 3 x 2.2 m once blurred, the size of a
// small tent: a tent narrower than this may be a car's body.
constexpr double kNarrowestTentM = 2.6;

// At most this many places where more tents of a packed block may lie, named by one found tent.
constexpr int kMaxNeighbourCandidates = 8;

// What one candidate turned out to be. cls < 0: rejected.
struct CandidateResult {
  std::int32_t candidate_pixel = -1;  // the candidate's row-major index in its block
  int cls = -1;
  float score = 0.0f;
  double x = 0.0;  // block pixel coordinates of the region centroid
  double y = 0.0;
  ObjectMeasurements measured;
  // For a tent: pixels (row-major in the block) inside the other regions of its material about it, to be
  // analysed in turn (see tent_neighbour_candidates and follow_tent_neighbours).
  std::int32_t neighbour_candidates[kMaxNeighbourCandidates] = {};
  int neighbour_candidate_count = 0;
};

}  // namespace campscope::detect

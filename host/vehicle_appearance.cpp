#include "vehicle_appearance.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <opencv2/imgproc.hpp>
#include <opencv2/objdetect.hpp>
#include <stdexcept>
#include <vector>

#include "detect_regions_impl.h"
#include "parallel_for.h"

namespace campscope {
namespace {

constexpr int kCoarseCells = 4;  // brightness over a 4 x 4 grid of the patch
constexpr int kBorderCells = 2;  // the patch's outer ring of this width is its ground
// The central box a vehicle body fills: 2 m across and 5 m along the patch's dominant orientation.
constexpr int kBodyHalfAcross = 2, kBodyHalfAlong = 5;

// The HOG descriptor's cells as OpenCV orders them: 3 x 3 blocks of 2 x 2 cells, each cell 9 orientation bins.
constexpr int kHogCellSlots = 36, kHogBins = 9;

const cv::HOGDescriptor& patch_hog() {
  static const cv::HOGDescriptor hog = [] {
    cv::HOGDescriptor made(cv::Size(VehicleAppearance::kPatchCells, VehicleAppearance::kPatchCells), cv::Size(8, 8),
                           cv::Size(4, 4), cv::Size(4, 4), kHogBins);
    CV_Assert(made.getDescriptorSize() == static_cast<std::size_t>(kHogCellSlots * kHogBins));
    return made;
  }();
  return hog;
}

// A thread's images for features(): of the same sizes for every candidate at one GSD, so that OpenCV fills them
// again instead of allocating a dozen small images per candidate (allocation was a tenth of the look).
struct PatchScratch {
  cv::Mat source8, source, brightness, gradient_x, gradient_y, patch, patch_brightness, patch_brightness8, coarse;
  std::vector<float> hog;
};

PatchScratch& thread_scratch() {
  thread_local PatchScratch scratch;
  return scratch;
}

// The angle (radians, image axes) of the patch's long structures: perpendicular to the dominant gradient of the
// structure tensor.
double dominant_orientation(const cv::Mat& brightness, PatchScratch& scratch) {
  cv::Sobel(brightness, scratch.gradient_x, CV_32F, 1, 0);
  cv::Sobel(brightness, scratch.gradient_y, CV_32F, 0, 1);
  const cv::Mat &gx = scratch.gradient_x, &gy = scratch.gradient_y;
  const double jxx = gx.dot(gx), jyy = gy.dot(gy), jxy = gx.dot(gy);
  return 0.5 * std::atan2(2.0 * jxy, jxx - jyy) + M_PI / 2.0;
}

// HOG and the coarse brightness grid of scratch.patch (CV_32FC3, R G B), written from `out` on with each value
// averaged with the one a half turn of the patch puts in its place, and one of each such pair kept: the orientation
// is known only up to a half turn. Turning a patch half round reverses the order of its HOG cell slots and of its
// coarse cells and keeps every orientation bin (unsigned gradients). (Nearly, not exactly, the features of the
// turned patch: OpenCV's HOG weighs a cell's pixels half a pixel off centre. A second HOG, of the turned patch,
// would cost a fifth of the look, and with it the model measured no better.) Returns the end of what it wrote.
float* add_shape_features(PatchScratch& scratch, float* out, float ground_brightness) {
  cv::cvtColor(scratch.patch, scratch.patch_brightness, cv::COLOR_RGB2GRAY);
  scratch.patch_brightness.convertTo(scratch.patch_brightness8, CV_8U);
  std::vector<float>& hog = scratch.hog;
  patch_hog().compute(scratch.patch_brightness8, hog);
  for (int slot = 0; slot < kHogCellSlots / 2; ++slot)
    for (int bin = 0; bin < kHogBins; ++bin)
      *out++ = 0.5f * (hog[slot * kHogBins + bin] + hog[(kHogCellSlots - 1 - slot) * kHogBins + bin]);
  cv::resize(scratch.patch_brightness, scratch.coarse, cv::Size(kCoarseCells, kCoarseCells), 0, 0, cv::INTER_AREA);
  const float* grid = scratch.coarse.ptr<float>();
  constexpr int kCoarseCount = kCoarseCells * kCoarseCells;
  for (int i = 0; i < kCoarseCount / 2; ++i) *out++ = 0.5f * (grid[i] + grid[kCoarseCount - 1 - i]) - ground_brightness;
  return out;
}

}  // namespace

int VehicleAppearance::feature_count() {
  return kHogCellSlots * kHogBins / 2 + kCoarseCells * kCoarseCells / 2 + 3 + 3 + 3 + 1 + 5 + 1;
}

cv::Mat VehicleAppearance::features(const RgbBlock& block, const CandidatePoint& candidate, double gsd_m) {
  if (!(gsd_m > 0.0) || block.width <= 0 || block.height <= 0)
    throw std::invalid_argument("vehicle appearance: empty block or non-positive GSD");
  PatchScratch& scratch = thread_scratch();
  const double x = candidate.x - block.x0, y = candidate.y - block.y0;
  const double pixels_per_cell = kPatchM / gsd_m / kPatchCells;
  // The source square the rotated patch can reach (its half diagonal), plus the Sobel operator's pixel.
  const int reach = static_cast<int>(std::ceil(kPatchM / gsd_m / 2.0 * std::sqrt(2.0))) + 2;
  const int cx = static_cast<int>(std::floor(x)), cy = static_cast<int>(std::floor(y));
  const cv::Mat image(block.height, block.width, CV_8UC3, const_cast<std::uint8_t*>(block.rgb.data()));
  cv::copyMakeBorder(
      image(cv::Rect(0, 0, block.width, block.height) & cv::Rect(cx - reach, cy - reach, 2 * reach + 1, 2 * reach + 1)),
      scratch.source8, std::max(0, reach - cy), std::max(0, cy + reach + 1 - block.height), std::max(0, reach - cx),
      std::max(0, cx + reach + 1 - block.width), cv::BORDER_REFLECT_101 | cv::BORDER_ISOLATED);
  scratch.source8.convertTo(scratch.source, CV_32FC3);
  cv::Mat& source = scratch.source;
  // Coarser cells than pixels average them, as a sensor of that resolution would: sampling fine imagery without
  // smoothing it first aliases its texture into the patch.
  if (pixels_per_cell > 1.0)
    cv::GaussianBlur(source, source, cv::Size(0, 0), 0.5 * std::sqrt(pixels_per_cell * pixels_per_cell - 1.0));
  // (x, y) in the source square's coordinates.
  const double sx = x - (cx - reach), sy = y - (cy - reach);

  cv::cvtColor(source, scratch.brightness, cv::COLOR_RGB2GRAY);
  const int half = static_cast<int>(std::ceil(kPatchM / gsd_m / 2.0));
  const cv::Rect middle(reach - half, reach - half, 2 * half + 1, 2 * half + 1);
  const double angle = dominant_orientation(scratch.brightness(middle), scratch);

  // Patch cell (u, v) centre samples the source at the rotated, scaled offset from (sx, sy).
  const double c = std::cos(angle) * pixels_per_cell, s = std::sin(angle) * pixels_per_cell;
  const double centre = kPatchCells / 2.0 - 0.5;
  const cv::Matx23d to_source(c, -s, sx - 0.5 - c * centre + s * centre,  //
                              s, c, sy - 0.5 - s * centre - c * centre);
  cv::warpAffine(source, scratch.patch, to_source, cv::Size(kPatchCells, kPatchCells),
                 cv::WARP_INVERSE_MAP | cv::INTER_LINEAR, cv::BORDER_REFLECT_101);
  const cv::Mat& patch = scratch.patch;

  // The ground is the patch's border ring; its median resists a vehicle reaching into it.
  constexpr int kInnerCells = kPatchCells - 2 * kBorderCells;
  constexpr int kRingCells = kPatchCells * kPatchCells - kInnerCells * kInnerCells;
  float ring[3][kRingCells];
  int in_ring = 0;
  for (int v = 0; v < kPatchCells; ++v) {
    const cv::Vec3f* row = patch.ptr<cv::Vec3f>(v);
    const bool border_row = v < kBorderCells || v >= kPatchCells - kBorderCells;
    for (int u = 0; u < kPatchCells; ++u) {
      if (!border_row && u >= kBorderCells && u < kPatchCells - kBorderCells) continue;
      for (int k = 0; k < 3; ++k) ring[k][in_ring] = row[u][k];
      ++in_ring;
    }
  }
  float ground[3];
  for (int k = 0; k < 3; ++k) {
    std::nth_element(ring[k], ring[k] + kRingCells / 2, ring[k] + kRingCells);
    ground[k] = ring[k][kRingCells / 2];
  }
  const cv::Mat body = patch(cv::Rect(kPatchCells / 2 - kBodyHalfAlong, kPatchCells / 2 - kBodyHalfAcross,
                                      2 * kBodyHalfAlong, 2 * kBodyHalfAcross));
  cv::Scalar body_mean, body_spread;
  cv::meanStdDev(body, body_mean, body_spread);

  cv::Mat row(1, feature_count(), CV_32F);
  float* out = row.ptr<float>();
  const float ground_brightness = 0.299f * ground[0] + 0.587f * ground[1] + 0.114f * ground[2];
  out = add_shape_features(scratch, out, ground_brightness);
  float contrast = 0.0f;
  for (int k = 0; k < 3; ++k) {
    *out++ = static_cast<float>(body_mean[k]) - ground[k];
    contrast += std::abs(static_cast<float>(body_mean[k]) - ground[k]);
  }
  for (int k = 0; k < 3; ++k) *out++ = static_cast<float>(body_spread[k]);
  for (int k = 0; k < 3; ++k) *out++ = ground[k];
  *out++ = contrast;
  const ObjectMeasurements& m = candidate.measured;
  for (float rule : {candidate.rule_vehicle ? 1.0f : 0.0f, m.length_m, m.width_m, m.fill, m.contrast}) *out++ = rule;
  *out++ = static_cast<float>(gsd_m);
  CV_Assert(out == row.ptr<float>() + row.cols);
  return row;
}

int VehicleAppearance::screen_feature_count() { return 5 + 1 + 3 + 3 + 2 + 1; }

cv::Mat VehicleAppearance::screen_features(const RgbBlock& block, const CandidatePoint& candidate, double gsd_m) {
  if (!(gsd_m > 0.0) || block.width <= 0 || block.height <= 0)
    throw std::invalid_argument("vehicle appearance: empty block or non-positive GSD");
  const int cx = static_cast<int>(std::floor(candidate.x)) - block.x0;
  const int cy = static_cast<int>(std::floor(candidate.y)) - block.y0;
  const int box_half = std::max(1, static_cast<int>(std::lround(1.0 / gsd_m)));
  const int ring_inner = std::max(box_half + 1, static_cast<int>(std::lround(3.0 / gsd_m)));
  const int ring_outer = std::max(ring_inner, static_cast<int>(std::lround(4.0 / gsd_m)));
  struct Sums {
    std::int64_t colour[3] = {0, 0, 0}, luma = 0, luma_squared = 0, n = 0;
    void add(const std::uint8_t* p) {
      for (int c = 0; c < 3; ++c) colour[c] += p[c];
      const std::int64_t l = detect::luma_of_pixel(p);
      luma += l;
      luma_squared += l * l;
      ++n;
    }
    float mean(int c) const { return static_cast<float>(static_cast<double>(colour[c]) / static_cast<double>(n)); }
    float luma_spread() const {
      const double m = static_cast<double>(luma) / static_cast<double>(n);
      const double mean_square = static_cast<double>(luma_squared) / static_cast<double>(n);
      return static_cast<float>(std::sqrt(std::max(0.0, mean_square - m * m)));
    }
  } box, ring;
  for (int dy = -ring_outer; dy <= ring_outer; ++dy)
    for (int dx = -ring_outer; dx <= ring_outer; ++dx) {
      const int distance = std::max(std::abs(dx), std::abs(dy));
      if (distance > box_half && distance < ring_inner) continue;
      const int x = std::clamp(cx + dx, 0, block.width - 1), y = std::clamp(cy + dy, 0, block.height - 1);
      const std::uint8_t* p = block.rgb.data() + 3 * (static_cast<std::size_t>(y) * block.width + x);
      (distance <= box_half ? box : ring).add(p);
    }
  cv::Mat row(1, screen_feature_count(), CV_32F);
  float* out = row.ptr<float>();
  const ObjectMeasurements& m = candidate.measured;
  for (float rule : {candidate.rule_vehicle ? 1.0f : 0.0f, m.length_m, m.width_m, m.fill, m.contrast}) *out++ = rule;
  *out++ = static_cast<float>(gsd_m);
  float contrast = 0.0f;
  for (int c = 0; c < 3; ++c) *out++ = box.mean(c);
  for (int c = 0; c < 3; ++c) {
    *out++ = ring.mean(c);
    contrast += std::abs(box.mean(c) - ring.mean(c));
  }
  *out++ = box.luma_spread();
  *out++ = ring.luma_spread();
  *out++ = contrast;
  CV_Assert(out == row.ptr<float>() + row.cols);
  return row;
}

void look_at_candidates(const RgbBlock& block, const std::vector<CandidatePoint>& candidates, double gsd_m,
                        const VehicleAppearance* model, std::vector<cv::Mat>& features,
                        std::vector<double>& probability, std::vector<cv::Mat>* screen_rows) {
  features.assign(candidates.size(), cv::Mat());
  probability.assign(candidates.size(), 0.0);
  if (screen_rows) screen_rows->assign(candidates.size(), cv::Mat());
  const bool screened = model && model->screen.trained() && !screen_rows;
  // A loop body must not throw: an error waits for the loop.
  std::vector<std::exception_ptr> errors(candidates.size());
  parallel_for_cpu(static_cast<std::int64_t>(candidates.size()), [&](std::int64_t i) {
    try {
      if (screen_rows) (*screen_rows)[i] = VehicleAppearance::screen_features(block, candidates[i], gsd_m);
      if (screened && model->screen.probability_against_threshold(VehicleAppearance::screen_features(
                          block, candidates[i], gsd_m)) < model->screen.threshold)
        return;
      features[i] = VehicleAppearance::features(block, candidates[i], gsd_m);
      if (model) probability[i] = model->forest.probability_against_threshold(features[i]);
    } catch (...) {
      errors[i] = std::current_exception();
    }
  });
  for (const std::exception_ptr& error : errors)
    if (error) std::rethrow_exception(error);
}

}  // namespace campscope

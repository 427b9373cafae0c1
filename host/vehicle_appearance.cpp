#include "vehicle_appearance.h"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>
#include <opencv2/objdetect.hpp>
#include <stdexcept>
#include <vector>

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

// The angle (radians, image axes) of the patch's long structures: perpendicular to the dominant gradient of the
// structure tensor.
double dominant_orientation(const cv::Mat& brightness) {
  cv::Mat gx, gy;
  cv::Sobel(brightness, gx, CV_32F, 1, 0);
  cv::Sobel(brightness, gy, CV_32F, 0, 1);
  const double jxx = gx.dot(gx), jyy = gy.dot(gy), jxy = gx.dot(gy);
  return 0.5 * std::atan2(2.0 * jxy, jxx - jyy) + M_PI / 2.0;
}

// HOG and the coarse brightness grid of a patch (CV_32FC3, R G B), appended to `out` with each value averaged with
// the one a half turn of the patch puts in its place, and one of each such pair kept: the orientation is known only
// up to a half turn. Turning a patch half round reverses the order of its HOG cell slots and of its coarse cells
// and keeps every orientation bin (unsigned gradients). (Nearly, not exactly, the features of the turned patch:
// OpenCV's HOG weighs a cell's pixels half a pixel off centre. A second HOG, of the turned patch, would cost a
// fifth of the look, and with it the model measured no better.)
void add_shape_features(const cv::Mat& patch, std::vector<float>& out, float ground_brightness) {
  cv::Mat brightness;
  cv::cvtColor(patch, brightness, cv::COLOR_RGB2GRAY);
  cv::Mat brightness8;
  brightness.convertTo(brightness8, CV_8U);
  std::vector<float> hog;
  patch_hog().compute(brightness8, hog);
  for (int slot = 0; slot < kHogCellSlots / 2; ++slot)
    for (int bin = 0; bin < kHogBins; ++bin)
      out.push_back(0.5f * (hog[slot * kHogBins + bin] + hog[(kHogCellSlots - 1 - slot) * kHogBins + bin]));
  cv::Mat coarse;
  cv::resize(brightness, coarse, cv::Size(kCoarseCells, kCoarseCells), 0, 0, cv::INTER_AREA);
  const float* grid = coarse.ptr<float>();
  constexpr int kCoarseCount = kCoarseCells * kCoarseCells;
  for (int i = 0; i < kCoarseCount / 2; ++i)
    out.push_back(0.5f * (grid[i] + grid[kCoarseCount - 1 - i]) - ground_brightness);
}

}  // namespace

int VehicleAppearance::feature_count() {
  return kHogCellSlots * kHogBins / 2 + kCoarseCells * kCoarseCells / 2 + 3 + 3 + 3 + 1 + 5 + 1;
}

cv::Mat VehicleAppearance::features(const RgbBlock& block, const CandidatePoint& candidate, double gsd_m) {
  if (!(gsd_m > 0.0) || block.width <= 0 || block.height <= 0)
    throw std::invalid_argument("vehicle appearance: empty block or non-positive GSD");
  const double x = candidate.x - block.x0, y = candidate.y - block.y0;
  const double pixels_per_cell = kPatchM / gsd_m / kPatchCells;
  // The source square the rotated patch can reach (its half diagonal), plus the Sobel operator's pixel.
  const int reach = static_cast<int>(std::ceil(kPatchM / gsd_m / 2.0 * std::sqrt(2.0))) + 2;
  const int cx = static_cast<int>(std::floor(x)), cy = static_cast<int>(std::floor(y));
  const cv::Mat image(block.height, block.width, CV_8UC3, const_cast<std::uint8_t*>(block.rgb.data()));
  cv::Mat source;
  cv::copyMakeBorder(
      image(cv::Rect(0, 0, block.width, block.height) & cv::Rect(cx - reach, cy - reach, 2 * reach + 1, 2 * reach + 1)),
      source, std::max(0, reach - cy), std::max(0, cy + reach + 1 - block.height), std::max(0, reach - cx),
      std::max(0, cx + reach + 1 - block.width), cv::BORDER_REFLECT_101 | cv::BORDER_ISOLATED);
  source.convertTo(source, CV_32FC3);
  // Coarser cells than pixels average them, as a sensor of that resolution would: sampling fine imagery without
  // smoothing it first aliases its texture into the patch.
  if (pixels_per_cell > 1.0)
    cv::GaussianBlur(source, source, cv::Size(0, 0), 0.5 * std::sqrt(pixels_per_cell * pixels_per_cell - 1.0));
  // (x, y) in the source square's coordinates.
  const double sx = x - (cx - reach), sy = y - (cy - reach);

  cv::Mat brightness;
  cv::cvtColor(source, brightness, cv::COLOR_RGB2GRAY);
  const int half = static_cast<int>(std::ceil(kPatchM / gsd_m / 2.0));
  const double angle =
      dominant_orientation(brightness(cv::Rect(reach - half, reach - half, 2 * half + 1, 2 * half + 1)));

  // Patch cell (u, v) centre samples the source at the rotated, scaled offset from (sx, sy).
  const double c = std::cos(angle) * pixels_per_cell, s = std::sin(angle) * pixels_per_cell;
  const double centre = kPatchCells / 2.0 - 0.5;
  const cv::Matx23d to_source(c, -s, sx - 0.5 - c * centre + s * centre,  //
                              s, c, sy - 0.5 - s * centre - c * centre);
  cv::Mat patch;
  cv::warpAffine(source, patch, to_source, cv::Size(kPatchCells, kPatchCells), cv::WARP_INVERSE_MAP | cv::INTER_LINEAR,
                 cv::BORDER_REFLECT_101);

  // The ground is the patch's border ring; its median resists a vehicle reaching into it.
  std::vector<float> ring[3];
  for (int v = 0; v < kPatchCells; ++v)
    for (int u = 0; u < kPatchCells; ++u) {
      if (u >= kBorderCells && v >= kBorderCells && u < kPatchCells - kBorderCells && v < kPatchCells - kBorderCells)
        continue;
      const cv::Vec3f& p = patch.at<cv::Vec3f>(v, u);
      for (int k = 0; k < 3; ++k) ring[k].push_back(p[k]);
    }
  float ground[3];
  for (int k = 0; k < 3; ++k) {
    std::nth_element(ring[k].begin(), ring[k].begin() + ring[k].size() / 2, ring[k].end());
    ground[k] = ring[k][ring[k].size() / 2];
  }
  const cv::Mat body = patch(cv::Rect(kPatchCells / 2 - kBodyHalfAlong, kPatchCells / 2 - kBodyHalfAcross,
                                      2 * kBodyHalfAlong, 2 * kBodyHalfAcross));
  cv::Scalar body_mean, body_spread;
  cv::meanStdDev(body, body_mean, body_spread);

  std::vector<float> out;
  out.reserve(static_cast<std::size_t>(feature_count()));
  const float ground_brightness = 0.299f * ground[0] + 0.587f * ground[1] + 0.114f * ground[2];
  add_shape_features(patch, out, ground_brightness);
  float contrast = 0.0f;
  for (int k = 0; k < 3; ++k) {
    out.push_back(static_cast<float>(body_mean[k]) - ground[k]);
    contrast += std::abs(static_cast<float>(body_mean[k]) - ground[k]);
  }
  for (int k = 0; k < 3; ++k) out.push_back(static_cast<float>(body_spread[k]));
  for (int k = 0; k < 3; ++k) out.push_back(ground[k]);
  out.push_back(contrast);
  const ObjectMeasurements& m = candidate.measured;
  for (float rule : {candidate.rule_vehicle ? 1.0f : 0.0f, m.length_m, m.width_m, m.fill, m.contrast})
    out.push_back(rule);
  out.push_back(static_cast<float>(gsd_m));
  return cv::Mat(1, static_cast<int>(out.size()), CV_32F, out.data()).clone();
}

}  // namespace campscope

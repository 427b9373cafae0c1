// Small hand-built scenes for detector tests: physical sizes in metres, drawn at any ground-sample distance.
#pragma once
#include <omp.h>
#include <opencv2/imgproc.hpp>

#include <cmath>
#include <algorithm>
#include <cstdint>
#include <vector>

#include "campscope/detect.h"
#include "campscope/image.h"
#include "campscope/types.h"

namespace campscope::testing {

struct PlacedObject {
  ObjectClass cls;
  double x_m, y_m;  // centre, metres from the top-left corner
};

class SceneBuilder {
 public:
  SceneBuilder(double width_m, double height_m, double gsd_m, std::uint64_t seed)
      : gsd_(gsd_m),
        image_(static_cast<int>(std::lround(height_m / gsd_m)), static_cast<int>(std::lround(width_m / gsd_m)),
               CV_8UC3, cv::Scalar(130, 155, 170)),  // arid soil, BGR
        rng_(seed) {}

  double gsd() const { return gsd_; }
  const std::vector<PlacedObject>& objects() const { return objects_; }

  void rectangle(double cx, double cy, double length, double width, double angle_deg, cv::Scalar bgr) {
    cv::RotatedRect box(cv::Point2f(static_cast<float>(cx / gsd_), static_cast<float>(cy / gsd_)),
                        cv::Size2f(static_cast<float>(length / gsd_), static_cast<float>(width / gsd_)),
                        static_cast<float>(angle_deg));
    cv::Point2f corners[4];
    box.points(corners);
    std::vector<cv::Point> poly;
    for (const auto& c : corners) poly.emplace_back(cvRound(c.x * 16), cvRound(c.y * 16));
    cv::fillConvexPoly(image_, poly, bgr, cv::LINE_AA, 4);
  }
  void disc(double cx, double cy, double diameter, cv::Scalar bgr) {
    cv::circle(image_, cv::Point(cvRound(cx / gsd_ * 16), cvRound(cy / gsd_ * 16)),
               cvRound(diameter / 2 / gsd_ * 16), bgr, cv::FILLED, cv::LINE_AA, 4);
  }
  // A square tent with its shadow reaching `shadow_m` toward the south-east.
  void tent(double cx, double cy, double side, double angle, cv::Scalar bgr, double shadow_m = 0.7) {
    for (double reach = shadow_m; reach >= 0.5; reach -= 0.5)  // swept, so a long shadow stays attached
      rectangle(cx + reach, cy + reach, side, side, angle, cv::Scalar(70, 85, 95));
    rectangle(cx, cy, side, side, angle, bgr);
    objects_.push_back({ObjectClass::Tent, cx, cy});
  }
  // A vehicle body with its windscreen: the dark glass band that splits a car into parts of different colour.
  void car(double cx, double cy, double angle, cv::Scalar bgr, double length = 4.5, double width = 1.8) {
    rectangle(cx, cy, length, width, angle, bgr);
    const double rad = angle * CV_PI / 180.0;
    const double offset = 0.18 * length;
    rectangle(cx + offset * std::cos(rad), cy + offset * std::sin(rad), 0.16 * length, width - 0.3, angle,
              cv::Scalar(56, 46, 42));
    objects_.push_back({ObjectClass::Vehicle, cx, cy});
  }

  // An object drawn by the caller from parts.
  void mark(ObjectClass cls, double cx, double cy) { objects_.push_back({cls, cx, cy}); }

  // Blur and sensor noise, then the block the detector sees (all pixels valid).
  RgbBlock finish(double noise_sigma = 3.0) {
    cv::Mat blurred;
    cv::GaussianBlur(image_, blurred, cv::Size(0, 0), 0.5);
    cv::Mat noise(blurred.size(), CV_16SC3);
    rng_.fill(noise, cv::RNG::NORMAL, 0, noise_sigma);
    cv::Mat noisy;
    blurred.convertTo(noisy, CV_16SC3);
    noisy += noise;
    noisy.convertTo(blurred, CV_8UC3);
    RgbBlock block;
    block.width = blurred.cols;
    block.height = blurred.rows;
    block.rgb.resize(static_cast<std::size_t>(block.width) * block.height * 3);
    block.valid.assign(static_cast<std::size_t>(block.width) * block.height, 1);
    for (int y = 0; y < block.height; ++y)
      for (int x = 0; x < block.width; ++x) {
        const cv::Vec3b bgr = blurred.at<cv::Vec3b>(y, x);
        std::uint8_t* p = &block.rgb[(static_cast<std::size_t>(y) * block.width + x) * 3];
        p[0] = bgr[2];
        p[1] = bgr[1];
        p[2] = bgr[0];
      }
    return block;
  }

 private:
  double gsd_;
  cv::Mat image_;
  cv::RNG rng_;
  std::vector<PlacedObject> objects_;
};

// An object the region stage found where SceneBuilder drew one at (x_m, y_m), as detect_objects reports it: pixel
// coordinates of the block, whose pixel (i, j) covers [i, i + 1) x [j, j + 1), while OpenCV draws at pixel centres.
// Its measured colour and ground are the region's and its ground's means, given BGR as drawn (zero where a test
// leaves them unmeasured).
inline DetectedObject found_object(ObjectClass cls, double x_m, double y_m, double length_m, double width_m,
                                   const cv::Scalar& bgr, const cv::Scalar& ground_bgr, double gsd) {
  DetectedObject o;
  o.x = x_m / gsd + 0.5;
  o.y = y_m / gsd + 0.5;
  o.cls = cls;
  o.score = 0.7f;
  o.measured.length_m = static_cast<float>(length_m);
  o.measured.width_m = static_cast<float>(width_m);
  for (int c = 0; c < 3; ++c) {
    o.measured.colour[c] = static_cast<float>(bgr[2 - c]);
    o.measured.ground[c] = static_cast<float>(ground_bgr[2 - c]);
  }
  return o;
}

// Each placed object in turn takes the nearest unused detection within radius_m, whatever its class.
struct MatchStats {
  int matched_tents = 0, matched_vehicles = 0, missed = 0, spurious = 0, wrong_class = 0;
};

inline MatchStats match(const std::vector<testing::PlacedObject>& truth, const std::vector<DetectedObject>& found,
                 double gsd, double radius_m) {
  MatchStats stats;
  std::vector<bool> used(found.size(), false);
  for (const auto& t : truth) {
    int best = -1;
    double best_d = radius_m;
    for (std::size_t i = 0; i < found.size(); ++i) {
      if (used[i]) continue;
      const double d = std::hypot(found[i].x * gsd - t.x_m, found[i].y * gsd - t.y_m);
      if (d <= best_d) {
        best_d = d;
        best = static_cast<int>(i);
      }
    }
    if (best < 0) {
      ++stats.missed;
      continue;
    }
    used[best] = true;
    if (found[best].cls != t.cls) ++stats.wrong_class;
    else if (t.cls == ObjectClass::Tent) ++stats.matched_tents;
    else ++stats.matched_vehicles;
  }
  stats.spurious = static_cast<int>(std::count(used.begin(), used.end(), false));
  return stats;
}

// The CPU backends' thread count for the life of the object; the one before is restored after it.
class ThreadCount {
 public:
  explicit ThreadCount(int threads) : before_(omp_get_max_threads()) { omp_set_num_threads(threads); }
  ~ThreadCount() { omp_set_num_threads(before_); }
  ThreadCount(const ThreadCount&) = delete;
  ThreadCount& operator=(const ThreadCount&) = delete;

 private:
  int before_;
};

}  // namespace campscope::testing

// Throughput of each CPU stage of campscope next to the closest OpenCV CPU routine, on the same data in the same
// process: the generated scenario's kah_2019-12-24 tile (1024 x 1024 at 0.5 m) for the image stages, a 20 km grid
// for the density map and a million points over the generated camps for the reduction. Every pair reports the same
// items (pixels, grid cells or points) and the same bytes, so the two items_per_second give the speed ratio.
//
//   bench_stages [google benchmark flags]           the stage pairs
//   bench_stages --decode-manifest MANIFEST.json     reads every block of every tile the way `campscope run` does and
//                                                    prints {"tiles", "pixels", "seconds"}: the I/O floor of a run
#include <benchmark/benchmark.h>
#include <gdal.h>
#include <omp.h>

#include <opencv2/core.hpp>
#include <opencv2/core/utility.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/objdetect.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "campscope/backend.h"
#include "campscope/camps.h"
#include "campscope/density.h"
#include "campscope/detect.h"
#include "campscope/image.h"
#include "campscope/reduce.h"
#include "builtin_model.h"
#include "detect_pixels_impl.h"
#include "generate.h"
#include "geotiff.h"
#include "inputs.h"
#include "vehicle_appearance.h"

namespace {

using namespace campscope;
namespace fs = std::filesystem;

constexpr int kThreads = 2;
constexpr int kBlockSide = 1024;
constexpr const char* kTile = "tiles/kah_2019-12-24.tif";
// Pipeline defaults (RunOptions): a 10 m density raster smoothed by a 25 m Gaussian.
constexpr double kDensityCellM = 10.0;
constexpr double kBandwidthM = 25.0;
constexpr double kDensityExtentM = 20000.0;
constexpr int kDensityCamps = 40;
// About what a gigapixel of 0.5 m imagery holds at the sample's density of tents (3807 per 18.9 Mpix).
constexpr int kDensityPoints = 200000;
constexpr int kReducePoints = 1000000;
constexpr double kPersonsPerTent = 5.0;

// Uniform doubles from the engine's raw bits: std::*_distribution differs between standard libraries, and the
// inputs should be the same everywhere the benchmark runs.
class Random {
 public:
  explicit Random(std::uint64_t seed) : engine_(seed) {}
  double uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  double normal() {
    const double u = 1.0 - uniform();  // (0, 1]: the logarithm stays finite
    return std::sqrt(-2.0 * std::log(u)) * std::cos(2.0 * M_PI * uniform());
  }

 private:
  std::mt19937_64 engine_;
};

// Everything the benchmarks read, prepared once before the first one runs.
struct Inputs {
  fs::path dir;
  std::string tile_path;
  std::int64_t tile_file_bytes = 0;
  BlockWindow window;
  RgbBlock block;
  double gsd_m = 0.0;
  DetectorParams detector;
  detect::PixelParams params;
  std::vector<std::uint32_t> integral;  // of `block`, for the response stage
  std::vector<std::uint16_t> response;  // of `block`, for the suppression stage
  std::vector<CandidatePoint> look_candidates;  // the detector's candidates on `block` that are no tent
  cv::Mat rgb;                          // views of `block`
  cv::Mat valid;
  // `block` as a 16-bit R, G, B, NIR delivery, and the stretch TileReader would take for it.
  std::vector<std::uint16_t> samples16;
  unsigned stretch_max = 0;

  GridSpec grid;
  std::vector<WeightedPoint> persons;

  CampPolygons camps;
  std::vector<std::vector<cv::Point2f>> camp_contours;  // outer rings relative to (contour_x0, contour_y0)
  std::vector<cv::Rect2f> camp_boxes;                   // their bounding rectangles, for a cheap rejection
  double contour_x0 = 0.0, contour_y0 = 0.0;
  std::vector<ReducePoint> points;

  std::int64_t pixels() const { return static_cast<std::int64_t>(block.width) * block.height; }
  std::int64_t grid_cells() const { return static_cast<std::int64_t>(grid.width) * grid.height; }
};

Inputs* g_inputs = nullptr;

fs::path make_temp_dir() {
  std::string pattern = (fs::temp_directory_path() / "campscope-bench-XXXXXX").string();
  if (!mkdtemp(pattern.data())) throw std::runtime_error("cannot create a temporary directory from " + pattern);
  return pattern;
}

// The block as a 12-bit sensor would deliver it in 16-bit samples (R, G, B and a NIR band), with the low bits
// of a real signal rather than zeros; the stretch is the samples' 99.9th percentile, as TileReader takes it.
void prepare_samples16(Inputs& in) {
  const std::size_t pixels = in.block.valid.size();
  in.samples16.resize(pixels * 4);
  Random random(16);
  for (std::size_t i = 0; i < pixels; ++i) {
    const std::uint8_t* p = &in.block.rgb[i * 3];
    for (int c = 0; c < 3; ++c)
      in.samples16[i * 4 + c] = static_cast<std::uint16_t>(p[c] * 16 + static_cast<int>(random.uniform() * 16.0));
    in.samples16[i * 4 + 3] = static_cast<std::uint16_t>(std::min(4095, p[1] * 12 + 600));
  }
  std::vector<std::uint16_t> colour;
  colour.reserve(pixels * 3);
  for (std::size_t i = 0; i < pixels; ++i)
    for (int c = 0; c < 3; ++c) colour.push_back(in.samples16[i * 4 + c]);
  const auto percentile = colour.begin() + static_cast<std::ptrdiff_t>(colour.size() - colour.size() / 1000 - 1);
  std::nth_element(colour.begin(), percentile, colour.end());
  in.stretch_max = std::max<unsigned>(1, *percentile);
}

void prepare_image(Inputs& in) {
  GenerateOptions options;
  options.out_dir = in.dir.string();
  options.seed = 1;
  generate_scenario(options);
  in.tile_path = (in.dir / kTile).string();
  in.tile_file_bytes = static_cast<std::int64_t>(fs::file_size(in.tile_path));

  TileReader reader(in.tile_path);
  const TileInfo& info = reader.info();
  if (info.width < kBlockSide || info.height < kBlockSide)
    throw std::runtime_error(in.tile_path + " is smaller than one " + std::to_string(kBlockSide) + " pixel block");
  in.window.core_width = in.window.width = kBlockSide;
  in.window.core_height = in.window.height = kBlockSide;
  reader.read(in.window, in.block);
  in.gsd_m = info.gsd_m;
  in.params = detect::to_pixel_params(in.detector, in.gsd_m);
  in.rgb = cv::Mat(in.block.height, in.block.width, CV_8UC3, in.block.rgb.data());
  in.valid = cv::Mat(in.block.height, in.block.width, CV_8UC1, in.block.valid.data());
  prepare_samples16(in);

  const int w = in.block.width, h = in.block.height;
  in.integral.resize(static_cast<std::size_t>(detect::integral_size(w, h)));
  detect::integral_images_cpu(in.block.rgb.data(), in.block.valid.data(), w, h, in.integral.data());
  in.response.resize(static_cast<std::size_t>(in.pixels()));
  detect::contrast_response_cpu(in.integral.data(), w, h, in.params, in.response.data());
  detect_objects(in.block, in.gsd_m, in.detector, Backend::Cpu, &in.look_candidates);
}

// Tents clustered in camps a few hundred metres across, spread over the grid's extent.
void prepare_density(Inputs& in) {
  in.grid = make_density_grid(0.0, 0.0, kDensityExtentM, kDensityExtentM, kDensityCellM, kBandwidthM, "");
  Random random(1);
  std::vector<std::array<double, 3>> camps(kDensityCamps);
  for (auto& camp : camps)
    camp = {random.uniform(0.0, kDensityExtentM), random.uniform(0.0, kDensityExtentM), random.uniform(100.0, 400.0)};
  in.persons.resize(kDensityPoints);
  for (int i = 0; i < kDensityPoints; ++i) {
    const auto& camp = camps[i % kDensityCamps];
    const double x = std::clamp(camp[0] + camp[2] * random.normal(), 0.0, kDensityExtentM);
    const double y = std::clamp(camp[1] + camp[2] * random.normal(), 0.0, kDensityExtentM);
    in.persons[i] = {x, y, kPersonsPerTent};
  }
}

// The generated camps in the tile's CRS, and points where detections fall: each point picks a camp and lands in
// its bounding box widened by a fifth on every side, so most are inside a camp and the rest near one.
void prepare_reduce(Inputs& in) {
  const std::vector<Camp> camps = load_camps((in.dir / "camps.geojson").string());
  in.camps = camps_in_crs(camps, TileReader(in.tile_path).info().crs_wkt);
  in.contour_x0 = *std::min_element(in.camps.xs.begin(), in.camps.xs.end());
  in.contour_y0 = *std::min_element(in.camps.ys.begin(), in.camps.ys.end());
  std::vector<std::array<double, 4>> boxes;
  // pointPolygonTest takes one contour per test: each camp's first ring (the generated camps have no holes).
  for (int c = 0; c < in.camps.camp_count(); ++c) {
    const int ring = in.camps.camp_rings[c];
    const auto begin = in.camps.ring_offsets[ring], end = in.camps.ring_offsets[ring + 1];
    std::vector<cv::Point2f> contour;
    for (int v = begin; v < end; ++v)
      contour.emplace_back(static_cast<float>(in.camps.xs[v] - in.contour_x0),
                           static_cast<float>(in.camps.ys[v] - in.contour_y0));
    in.camp_boxes.emplace_back(cv::boundingRect(contour));
    in.camp_contours.push_back(std::move(contour));
    const auto [min_x, max_x] = std::minmax_element(in.camps.xs.begin() + begin, in.camps.xs.begin() + end);
    const auto [min_y, max_y] = std::minmax_element(in.camps.ys.begin() + begin, in.camps.ys.begin() + end);
    const double margin_x = 0.2 * (*max_x - *min_x), margin_y = 0.2 * (*max_y - *min_y);
    boxes.push_back({*min_x - margin_x, *min_y - margin_y, *max_x + margin_x, *max_y + margin_y});
  }
  Random random(1);
  in.points.resize(kReducePoints);
  for (std::size_t i = 0; i < in.points.size(); ++i) {
    const auto& box = boxes[i % boxes.size()];
    ReducePoint& p = in.points[i];
    p.x = random.uniform(box[0], box[2]);
    p.y = random.uniform(box[1], box[3]);
    p.cls = random.uniform() < 0.9 ? ObjectClass::Tent : ObjectClass::Vehicle;
  }
}

void count(benchmark::State& state, std::int64_t items, std::int64_t bytes) {
  state.SetItemsProcessed(state.iterations() * items);
  state.SetBytesProcessed(state.iterations() * bytes);
}

// ---------------------------------------------------------------------------------------------------------------
// Decode: the whole tile from its DEFLATE GeoTIFF into interleaved 8-bit RGB. Both sides open the file on every
// iteration, because GDAL keeps decoded blocks in its cache for as long as the dataset is open, and a warm cache
// would measure a copy, not a decode. TileReader decompresses on kThreads threads, applies the nodata masks to
// the validity plane and measures the haze on the samples; imread (libtiff) has no threads, ignores GDAL's nodata
// and returns BGR.

void decode_campscope(benchmark::State& state) {
  const Inputs& in = *g_inputs;
  RgbBlock block;
  for (auto _ : state) {
    TileReader reader(in.tile_path, kThreads);
    reader.read(in.window, block);
    benchmark::DoNotOptimize(block.rgb.data());
  }
  count(state, in.pixels(), in.tile_file_bytes);
}

void decode_opencv(benchmark::State& state) {
  const Inputs& in = *g_inputs;
  for (auto _ : state) {
    cv::Mat bgr = cv::imread(in.tile_path, cv::IMREAD_COLOR);
    if (bgr.rows != in.block.height || bgr.cols != in.block.width) {
      state.SkipWithError("cv::imread cannot decode the tile");
      break;
    }
    benchmark::DoNotOptimize(bgr.data);
  }
  count(state, in.pixels(), in.tile_file_bytes);
}

// ---------------------------------------------------------------------------------------------------------------
// Colour conversion: a 16-bit R, G, B, NIR block to 8-bit RGB with the tile's linear stretch (what TileReader does
// after decoding a 16-bit delivery). The OpenCV side drops the NIR band with cv::cvtColor (RGBA2RGB on 16-bit)
// and scales with Mat::convertTo, which rounds halves to even where ours rounds them up.

void convert_campscope(benchmark::State& state) {
  const Inputs& in = *g_inputs;
  const std::size_t pixels = static_cast<std::size_t>(in.pixels());
  std::vector<std::uint8_t> rgb(pixels * 3);
  for (auto _ : state) {
    const SampleStretch stretch(in.stretch_max);
    samples_to_rgb(in.samples16.data(), 4, false, pixels, stretch, rgb.data());
    benchmark::DoNotOptimize(rgb.data());
  }
  count(state, in.pixels(), in.pixels() * (4 * 2 + 3));
}

cv::Mat convert_with_opencv(const Inputs& in) {
  const cv::Mat samples(in.block.height, in.block.width, CV_16UC4, const_cast<std::uint16_t*>(in.samples16.data()));
  cv::Mat rgb16, rgb;
  cv::cvtColor(samples, rgb16, cv::COLOR_RGBA2RGB);
  rgb16.convertTo(rgb, CV_8U, 255.0 / in.stretch_max);
  return rgb;
}

void convert_opencv(benchmark::State& state) {
  const Inputs& in = *g_inputs;
  for (auto _ : state) {
    const cv::Mat rgb = convert_with_opencv(in);
    benchmark::DoNotOptimize(rgb.data);
  }
  count(state, in.pixels(), in.pixels() * (4 * 2 + 3));
}

// Samples on which the two conversions differ, and by how much at most (1: a half rounded the other way).
std::string convert_peer_difference(const Inputs& in) {
  const std::size_t pixels = static_cast<std::size_t>(in.pixels());
  std::vector<std::uint8_t> ours(pixels * 3);
  samples_to_rgb(in.samples16.data(), 4, false, pixels, SampleStretch(in.stretch_max), ours.data());
  const cv::Mat theirs = convert_with_opencv(in);
  std::size_t differing = 0;
  int largest = 0;
  for (std::size_t i = 0; i < ours.size(); ++i) {
    const int d = std::abs(static_cast<int>(ours[i]) - static_cast<int>(theirs.data[i]));
    differing += d != 0;
    largest = std::max(largest, d);
  }
  return std::to_string(differing) + " of " + std::to_string(ours.size()) + " samples differ, by at most " +
         std::to_string(largest) + " (stretch " + std::to_string(in.stretch_max) + " -> 255)";
}

// ---------------------------------------------------------------------------------------------------------------
// Integral images of masked R, G, B and the validity count (4 planes of uint32, (w+1) x (h+1)). The OpenCV side
// deinterleaves with cv::split and integrates each plane; it does not mask, which on this tile changes nothing
// (nodata pixels are 0 in every band).

void integral_campscope(benchmark::State& state) {
  const Inputs& in = *g_inputs;
  const int w = in.block.width, h = in.block.height;
  std::vector<std::uint32_t> integral(in.integral.size());
  for (auto _ : state) {
    detect::integral_images_cpu(in.block.rgb.data(), in.block.valid.data(), w, h, integral.data());
    benchmark::DoNotOptimize(integral.data());
  }
  count(state, in.pixels(), in.pixels() * 4);
}

void integral_opencv(benchmark::State& state) {
  const Inputs& in = *g_inputs;
  cv::Mat planes[4], sums[4];
  for (auto _ : state) {
    cv::split(in.rgb, planes);
    planes[3] = in.valid;
    for (int c = 0; c < 4; ++c) cv::integral(planes[c], sums[c], CV_32S);
    benchmark::DoNotOptimize(sums[3].data);
  }
  count(state, in.pixels(), in.pixels() * 4);
}

// ---------------------------------------------------------------------------------------------------------------
// Centre-surround response: max over the vehicle and tent scales of the L1 distance over R, G, B between the inner
// box mean and the ring mean. Ours reads the integral planes (integer, masked, clipped at the block's edge); the
// OpenCV side blurs the RGB image at the same two box sizes per scale (float, replicated border, no mask), forms
// the ring mean from the two box means, and sums the absolute differences over the channels.

void contrast_campscope(benchmark::State& state) {
  const Inputs& in = *g_inputs;
  std::vector<std::uint16_t> response(static_cast<std::size_t>(in.pixels()));
  for (auto _ : state) {
    detect::contrast_response_cpu(in.integral.data(), in.block.width, in.block.height, in.params, response.data());
    benchmark::DoNotOptimize(response.data());
  }
  count(state, in.pixels(), in.pixels() * 4 * static_cast<std::int64_t>(sizeof(std::uint32_t)));
}

void opencv_contrast_at(const cv::Mat& rgb, int inner_half, int outer_half, cv::Mat& inner, cv::Mat& outer,
                        cv::Mat& contrast) {
  const int inner_side = 2 * inner_half + 1, outer_side = 2 * outer_half + 1;
  const double inner_area = static_cast<double>(inner_side) * inner_side;
  const double outer_area = static_cast<double>(outer_side) * outer_side;
  const double ring_area = outer_area - inner_area;
  cv::boxFilter(rgb, inner, CV_32F, cv::Size(inner_side, inner_side), cv::Point(-1, -1), true, cv::BORDER_REPLICATE);
  cv::boxFilter(rgb, outer, CV_32F, cv::Size(outer_side, outer_side), cv::Point(-1, -1), true, cv::BORDER_REPLICATE);
  // ring mean = (outer_area * outer mean - inner_area * inner mean) / ring_area, written into `outer`
  cv::addWeighted(outer, outer_area / ring_area, inner, -inner_area / ring_area, 0.0, outer);
  cv::absdiff(inner, outer, inner);
  cv::transform(inner, contrast, cv::Matx13f(1.0f, 1.0f, 1.0f));
}

void contrast_opencv(benchmark::State& state) {
  const Inputs& in = *g_inputs;
  const detect::PixelParams& p = in.params;
  cv::Mat inner, outer, vehicle, tent;
  for (auto _ : state) {
    opencv_contrast_at(in.rgb, p.vehicle_inner_half, p.vehicle_outer_half, inner, outer, vehicle);
    opencv_contrast_at(in.rgb, p.tent_inner_half, p.tent_outer_half, inner, outer, tent);
    cv::max(vehicle, tent, vehicle);
    benchmark::DoNotOptimize(vehicle.data);
  }
  count(state, in.pixels(), in.pixels() * 4 * static_cast<std::int64_t>(sizeof(std::uint32_t)));
}

// ---------------------------------------------------------------------------------------------------------------
// Non-maximum suppression of the response: pixels at or above the contrast threshold that are the maximum of their
// (2r+1)^2 neighbourhood. Ours breaks plateau ties in row-major order; dilate + compare keeps every plateau pixel.

std::int64_t nonzero(const std::vector<std::uint8_t>& flags) {
  return std::count_if(flags.begin(), flags.end(), [](std::uint8_t f) { return f != 0; });
}

void nms_campscope(benchmark::State& state) {
  const Inputs& in = *g_inputs;
  std::vector<std::uint8_t> is_candidate(static_cast<std::size_t>(in.pixels()));
  for (auto _ : state) {
    detect::local_maxima_cpu(in.response.data(), in.block.width, in.block.height, in.params, is_candidate.data());
    benchmark::DoNotOptimize(is_candidate.data());
  }
  state.counters["candidates"] = static_cast<double>(nonzero(is_candidate));
  count(state, in.pixels(), in.pixels() * static_cast<std::int64_t>(sizeof(std::uint16_t)));
}

void nms_opencv(benchmark::State& state) {
  const Inputs& in = *g_inputs;
  const cv::Mat response(in.block.height, in.block.width, CV_16UC1, const_cast<std::uint16_t*>(in.response.data()));
  const int side = 2 * in.params.nms_radius + 1;
  const cv::Mat kernel = cv::getStructuringElement(cv::MORPH_RECT, cv::Size(side, side));
  cv::Mat dilated, is_peak, is_strong, is_candidate;
  for (auto _ : state) {
    cv::dilate(response, dilated, kernel);
    cv::compare(response, dilated, is_peak, cv::CMP_EQ);
    cv::compare(response, cv::Scalar(in.detector.min_contrast), is_strong, cv::CMP_GE);
    cv::bitwise_and(is_peak, is_strong, is_candidate);
    benchmark::DoNotOptimize(is_candidate.data);
  }
  state.counters["candidates"] = cv::countNonZero(is_candidate);
  count(state, in.pixels(), in.pixels() * static_cast<std::int64_t>(sizeof(std::uint16_t)));
}

// ---------------------------------------------------------------------------------------------------------------
// The whole detector on the block. The OpenCV chain is a classic blob detector of the same shape, much simpler
// than ours (grey instead of colour contrast, no region growing or shape classes): grey centre-surround at both
// scales, peaks by dilate + compare, and connected components of the thresholded response with their statistics.

template <Backend backend>
void detect_campscope(benchmark::State& state) {
  const Inputs& in = *g_inputs;
  std::size_t objects = 0;
  for (auto _ : state) {
    const std::vector<DetectedObject> found = detect_objects(in.block, in.gsd_m, in.detector, backend);
    objects = found.size();
    benchmark::DoNotOptimize(found.data());
  }
  state.counters["objects"] = static_cast<double>(objects);
  count(state, in.pixels(), in.pixels() * 4);
}

void grey_contrast_at(const cv::Mat& grey, int inner_half, int outer_half, cv::Mat& inner, cv::Mat& outer) {
  const int inner_side = 2 * inner_half + 1, outer_side = 2 * outer_half + 1;
  cv::boxFilter(grey, inner, CV_8U, cv::Size(inner_side, inner_side), cv::Point(-1, -1), true, cv::BORDER_REPLICATE);
  cv::boxFilter(grey, outer, CV_8U, cv::Size(outer_side, outer_side), cv::Point(-1, -1), true, cv::BORDER_REPLICATE);
  cv::absdiff(inner, outer, inner);
}

void detect_opencv(benchmark::State& state) {
  const Inputs& in = *g_inputs;
  const detect::PixelParams& p = in.params;
  const int side = 2 * p.nms_radius + 1;
  const cv::Mat kernel = cv::getStructuringElement(cv::MORPH_RECT, cv::Size(side, side));
  // The grey difference of a colour contrast is about a third of its L1 distance over three channels.
  const double threshold = in.detector.min_contrast / 3.0;
  cv::Mat grey, inner, outer, vehicle, tent, dilated, is_peak, foreground, labels, stats, centroids;
  int components = 0;
  for (auto _ : state) {
    cv::cvtColor(in.rgb, grey, cv::COLOR_RGB2GRAY);
    grey_contrast_at(grey, p.vehicle_inner_half, p.vehicle_outer_half, vehicle, outer);
    grey_contrast_at(grey, p.tent_inner_half, p.tent_outer_half, tent, outer);
    cv::max(vehicle, tent, vehicle);
    cv::dilate(vehicle, dilated, kernel);
    cv::compare(vehicle, dilated, is_peak, cv::CMP_EQ);
    cv::compare(vehicle, cv::Scalar(threshold), foreground, cv::CMP_GE);
    cv::bitwise_and(is_peak, foreground, is_peak);
    components = cv::connectedComponentsWithStats(foreground, labels, stats, centroids, 8, CV_32S);
    benchmark::DoNotOptimize(is_peak.data);
    benchmark::DoNotOptimize(stats.data);
  }
  state.counters["objects"] = components - 1;
  count(state, in.pixels(), in.pixels() * 4);
}

// ---------------------------------------------------------------------------------------------------------------
// The vehicle look (host/vehicle_appearance.*): each candidate's patch, turned to its dominant orientation and
// resampled to 16 x 16 cells of 0.5 m, its features (HOG, colour against its border ring) and the built-in forest's
// vote, on kThreads threads as `campscope run` looks at candidates (a run looks only at those not on a tent or a
// vehicle found already; here every candidate that is no tent). The OpenCV side computes only the HOG of the same
// windows, unturned and unresampled (the block is at 0.5 m, so a 16 x 16 pixel window is the same 8 m), in one
// HOGDescriptor::compute over the block's grey: the bare core of the look, without the turn, the colour features
// or the forest.

void look_campscope(benchmark::State& state) {
  const Inputs& in = *g_inputs;
  const std::shared_ptr<const VehicleAppearance> model = builtin_vehicle_appearance();
  std::vector<cv::Mat> features;
  std::vector<double> votes;
  for (auto _ : state) {
    look_at_candidates(in.block, in.look_candidates, in.gsd_m, model.get(), features, votes);
    benchmark::DoNotOptimize(votes.data());
  }
  const auto candidates = static_cast<std::int64_t>(in.look_candidates.size());
  state.counters["candidates"] = static_cast<double>(candidates);
  count(state, candidates, candidates * VehicleAppearance::kPatchCells * VehicleAppearance::kPatchCells * 3);
}

void look_opencv(benchmark::State& state) {
  const Inputs& in = *g_inputs;
  constexpr int kWindow = VehicleAppearance::kPatchCells;
  const cv::HOGDescriptor hog(cv::Size(kWindow, kWindow), cv::Size(8, 8), cv::Size(4, 4), cv::Size(4, 4), 9);
  std::vector<cv::Point> windows;
  for (const CandidatePoint& c : in.look_candidates)
    windows.emplace_back(std::clamp(static_cast<int>(c.x) - in.block.x0 - kWindow / 2, 0, in.block.width - kWindow),
                         std::clamp(static_cast<int>(c.y) - in.block.y0 - kWindow / 2, 0, in.block.height - kWindow));
  cv::Mat grey;
  std::vector<float> descriptors;
  for (auto _ : state) {
    cv::cvtColor(in.rgb, grey, cv::COLOR_RGB2GRAY);
    hog.compute(grey, descriptors, cv::Size(), cv::Size(), windows);
    benchmark::DoNotOptimize(descriptors.data());
  }
  const auto candidates = static_cast<std::int64_t>(windows.size());
  state.counters["candidates"] = static_cast<double>(candidates);
  count(state, candidates, candidates * kWindow * kWindow * 3);
}

// ---------------------------------------------------------------------------------------------------------------
// Density map: splat persons into cells, then a separable Gaussian with the same taps (21 for 25 m over 10 m cells)
// and the same half-sample reflection at the border (BORDER_REFLECT), then persons/km^2. Ours splats integer
// micro-persons on 2 threads (order-independent sums); the OpenCV side splats floats on one thread, as a plain
// loop would.

template <Backend backend>
void density_campscope(benchmark::State& state) {
  const Inputs& in = *g_inputs;
  for (auto _ : state) {
    const std::vector<float> map = density_map(in.grid, in.persons, kBandwidthM, backend);
    benchmark::DoNotOptimize(map.data());
  }
  count(state, in.grid_cells(), in.grid_cells() * static_cast<std::int64_t>(sizeof(float)));
}

cv::Mat gaussian_taps(const GridSpec& g) {
  const int radius = static_cast<int>(std::ceil(4.0 * kBandwidthM / g.cell_m));
  return cv::getGaussianKernel(2 * radius + 1, kBandwidthM / g.cell_m, CV_32F);
}

void opencv_density(const Inputs& in, const cv::Mat& taps, cv::Mat& splat, cv::Mat& smoothed) {
  const GridSpec& g = in.grid;
  splat.create(g.height, g.width, CV_32F);
  splat.setTo(0.0f);
  for (const WeightedPoint& p : in.persons) {
    const double col = std::floor((p.x - g.origin_x) / g.cell_m);
    const double row = std::floor((g.origin_y - p.y) / g.cell_m);
    if (col >= 0.0 && col < g.width && row >= 0.0 && row < g.height)
      splat.at<float>(static_cast<int>(row), static_cast<int>(col)) += static_cast<float>(p.persons);
  }
  cv::sepFilter2D(splat, smoothed, CV_32F, taps, taps, cv::Point(-1, -1), 0.0, cv::BORDER_REFLECT);
  smoothed.convertTo(smoothed, CV_32F, 1e6 / (g.cell_m * g.cell_m));
}

void density_opencv(benchmark::State& state) {
  const Inputs& in = *g_inputs;
  const cv::Mat taps = gaussian_taps(in.grid);
  cv::Mat splat, smoothed;
  for (auto _ : state) {
    opencv_density(in, taps, splat, smoothed);
    benchmark::DoNotOptimize(smoothed.data);
  }
  count(state, in.grid_cells(), in.grid_cells() * static_cast<std::int64_t>(sizeof(float)));
}

// How far the two density maps are apart, relative to the map's peak: shows the peer computes the same map.
double density_peer_difference(const Inputs& in) {
  const std::vector<float> ours = density_map(in.grid, in.persons, kBandwidthM, Backend::Cpu);
  cv::Mat splat, smoothed;
  opencv_density(in, gaussian_taps(in.grid), splat, smoothed);
  const cv::Mat ours_mat(in.grid.height, in.grid.width, CV_32F, const_cast<float*>(ours.data()));
  return cv::norm(ours_mat, smoothed, cv::NORM_INF) / cv::norm(ours_mat, cv::NORM_INF);
}

// Whether imread decodes the same pixels TileReader does.
bool imread_matches(const Inputs& in) {
  const cv::Mat bgr = cv::imread(in.tile_path, cv::IMREAD_COLOR);
  if (bgr.rows != in.block.height || bgr.cols != in.block.width) return false;
  cv::Mat rgb;
  cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
  return cv::norm(rgb, in.rgb, cv::NORM_INF) == 0.0;
}

// ---------------------------------------------------------------------------------------------------------------
// Reduce: which camp holds each of a million points, then tents and vehicles per camp. The OpenCV side tests each
// point against each camp's outer ring with cv::pointPolygonTest (float contours, after the same bounding-box
// rejection ours does) on cv::parallel_for_, then counts.

template <Backend backend>
void reduce_campscope(benchmark::State& state) {
  const Inputs& in = *g_inputs;
  std::int64_t inside = 0;
  for (auto _ : state) {
    const std::vector<std::int32_t> camp_of = assign_camps(in.camps, in.points, backend);
    const std::vector<CampTotals> totals = reduce_by_camp(in.points, camp_of, in.camps.camp_count(), backend);
    inside = 0;
    for (const CampTotals& t : totals) inside += t.tents + t.vehicles;
    benchmark::DoNotOptimize(totals.data());
  }
  state.counters["inside"] = static_cast<double>(inside);
  count(state, static_cast<std::int64_t>(in.points.size()),
        static_cast<std::int64_t>(in.points.size() * sizeof(ReducePoint)));
}

void reduce_opencv(benchmark::State& state) {
  const Inputs& in = *g_inputs;
  const int camps = static_cast<int>(in.camp_contours.size());
  std::vector<std::int32_t> camp_of(in.points.size());
  std::int64_t inside = 0;
  for (auto _ : state) {
    cv::parallel_for_(cv::Range(0, static_cast<int>(in.points.size())), [&](const cv::Range& range) {
      for (int i = range.start; i < range.end; ++i) {
        const cv::Point2f p(static_cast<float>(in.points[i].x - in.contour_x0),
                            static_cast<float>(in.points[i].y - in.contour_y0));
        camp_of[i] = -1;
        for (int c = 0; c < camps; ++c) {
          if (in.camp_boxes[c].contains(p) && cv::pointPolygonTest(in.camp_contours[c], p, false) > 0) {
            camp_of[i] = c;
            break;
          }
        }
      }
    });
    std::vector<CampTotals> totals(static_cast<std::size_t>(camps));
    for (std::size_t i = 0; i < in.points.size(); ++i) {
      if (camp_of[i] < 0) continue;
      if (in.points[i].cls == ObjectClass::Vehicle) {
        ++totals[camp_of[i]].vehicles;
      } else {
        ++totals[camp_of[i]].tents;
      }
    }
    inside = 0;
    for (const CampTotals& t : totals) inside += t.tents + t.vehicles;
    benchmark::DoNotOptimize(totals.data());
  }
  state.counters["inside"] = static_cast<double>(inside);
  count(state, static_cast<std::int64_t>(in.points.size()),
        static_cast<std::int64_t>(in.points.size() * sizeof(ReducePoint)));
}


void register_benchmarks() {
  struct Entry {
    const char* name;
    void (*body)(benchmark::State&);
  };
  std::vector<Entry> entries = {
      {"decode/campscope_TileReader", decode_campscope},
      {"decode/opencv_imread", decode_opencv},
      {"convert/campscope", convert_campscope},
      {"convert/opencv_cvtColor_convertTo", convert_opencv},
      {"integral/campscope", integral_campscope},
      {"integral/opencv_integral", integral_opencv},
      {"contrast/campscope", contrast_campscope},
      {"contrast/opencv_boxFilter", contrast_opencv},
      {"nms/campscope", nms_campscope},
      {"nms/opencv_dilate_compare", nms_opencv},
      {"detect/campscope", detect_campscope<Backend::Cpu>},
      {"detect/opencv_blob_chain", detect_opencv},
      {"look/campscope", look_campscope},
      {"look/opencv_hog", look_opencv},
      {"density_map/campscope", density_campscope<Backend::Cpu>},
      {"density_map/opencv_sepFilter2D", density_opencv},
      {"reduce/campscope", reduce_campscope<Backend::Cpu>},
      {"reduce/opencv_pointPolygonTest", reduce_opencv},
  };
#ifdef CAMPSCOPE_WITH_CUDA
  if (cuda_device_available()) {
    // The CUDA backend on the same inputs, only when a device is present; timings include the transfers.
    entries.push_back({"detect/campscope_cuda", detect_campscope<Backend::Cuda>});
    entries.push_back({"density_map/campscope_cuda", density_campscope<Backend::Cuda>});
    entries.push_back({"reduce/campscope_cuda", reduce_campscope<Backend::Cuda>});
  }
#endif
  for (const Entry& e : entries)
    benchmark::RegisterBenchmark(e.name, e.body)->Unit(benchmark::kMillisecond)->UseRealTime();
}

// The I/O floor of `campscope run`: every block of every tile, read as process_tile reads it (same block size and
// halo, one reader per tile, blocks decompressed on the run's threads), and nothing else.
int decode_only(const std::string& manifest_path, int block_size) {
  const Manifest manifest = load_manifest(manifest_path);
  const DetectorParams detector;
  std::int64_t pixels = 0, blocks = 0;
  RgbBlock block;
  const auto started = std::chrono::steady_clock::now();
  for (const TileEntry& tile : manifest.tiles) {
    TileReader reader(tile.resolved_path, kThreads);
    const TileInfo& info = reader.info();
    for (const BlockWindow& window :
         plan_blocks(info.width, info.height, block_size, detector_halo_px(detector, info.gsd_m))) {
      reader.read(window, block);
      ++blocks;
    }
    pixels += static_cast<std::int64_t>(info.width) * info.height;
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::printf(
      "{\"tiles\": %zu, \"blocks\": %lld, \"block_size\": %d, \"decode_threads\": %d, \"pixels\": %lld, "
      "\"seconds\": %.6f}\n",
      manifest.tiles.size(), static_cast<long long>(blocks), block_size, kThreads, static_cast<long long>(pixels),
      seconds);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    if (argc >= 2 && std::string(argv[1]) == "--decode-manifest") {
      if (!(argc == 3 || (argc == 5 && std::string(argv[3]) == "--block-size"))) {
        std::fprintf(stderr, "usage: %s --decode-manifest MANIFEST.json [--block-size N]\n", argv[0]);
        return 2;
      }
      const int block_size = argc == 5 ? std::stoi(argv[4]) : 1024;
      return decode_only(argv[2], block_size);
    }

    omp_set_num_threads(kThreads);
    cv::setNumThreads(kThreads);
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;

    Inputs inputs;
    inputs.dir = make_temp_dir();
    g_inputs = &inputs;
    struct RemoveDir {
      const fs::path& dir;
      ~RemoveDir() {
        std::error_code ignored;
        fs::remove_all(dir, ignored);
      }
    } remove_dir{inputs.dir};
    prepare_image(inputs);
    prepare_density(inputs);
    prepare_reduce(inputs);

    benchmark::AddCustomContext("threads", std::to_string(kThreads));
    benchmark::AddCustomContext("tile", std::string(kTile) + " of generate --seed 1");
    benchmark::AddCustomContext("block", std::to_string(inputs.block.width) + "x" + std::to_string(inputs.block.height));
    benchmark::AddCustomContext("density_grid", std::to_string(inputs.grid.width) + "x" +
                                                    std::to_string(inputs.grid.height) + " cells, " +
                                                    std::to_string(inputs.persons.size()) + " points");
    benchmark::AddCustomContext("reduce_points", std::to_string(inputs.points.size()) + " points, " +
                                                     std::to_string(inputs.camps.camp_count()) + " camps");
    benchmark::AddCustomContext("decode_check", imread_matches(inputs) ? "cv::imread gives the same RGB as TileReader"
                                                                       : "cv::imread pixels DIFFER from TileReader");
    benchmark::AddCustomContext("convert_check", convert_peer_difference(inputs));
    char difference[64];
    std::snprintf(difference, sizeof difference, "%.3g", density_peer_difference(inputs));
    benchmark::AddCustomContext("density_check", std::string("max |ours - opencv| / max ours = ") + difference);
    benchmark::AddCustomContext("opencv", CV_VERSION);
    benchmark::AddCustomContext("gdal", GDALVersionInfo("RELEASE_NAME"));
    if (cuda_device_available()) benchmark::AddCustomContext("cuda_device", cuda_device_name());
    register_benchmarks();
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_stages: %s\n", e.what());
    return 1;
  }
}

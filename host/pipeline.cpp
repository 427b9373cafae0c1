#include "pipeline.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <exception>
#include <filesystem>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

#include "campscope/density.h"
#include "campscope/reduce.h"
#include "geotiff.h"
#include "inputs.h"
#include "outputs.h"
#include "parallel_for.h"

namespace campscope {
namespace {

constexpr double kMetresPerDegreeLat = 110574.0;
constexpr double kMetresPerDegreeLonAtEquator = 111320.0;
// Coverage is measured on a grid of sample points inside each camp: fine enough for a tent-sized gap, capped so
// that very large camps stay cheap.
constexpr double kCoverageSpacingM = 2.0;
constexpr double kMaxCoverageSamplesPerCamp = 200000.0;

class Progress {
 public:
  Progress(bool bar, std::size_t total) : bar_(bar), total_(total) {}
  ~Progress() {
    if (bar_ && drawn_) std::fputc('\n', stderr);
  }
  void report(std::size_t done, const std::string& message) {
    if (bar_) {
      constexpr int width = 30;
      const int filled = total_ ? static_cast<int>(width * done / total_) : width;
      std::fprintf(stderr, "\r[%s%s] %zu/%zu %-60.60s", std::string(filled, '#').c_str(),
                   std::string(width - filled, ' ').c_str(), done, total_, message.c_str());
      drawn_ = true;
    } else {
      std::fprintf(stderr, "campscope: [%zu/%zu] %s\n", done, total_, message.c_str());
    }
    std::fflush(stderr);
  }

 private:
  bool bar_;
  std::size_t total_;
  bool drawn_ = false;
};

// Points on a regular lon/lat grid inside each camp, for measuring the imaged fraction of its area.
struct CoverageSamples {
  std::vector<double> lon, lat;
  std::vector<std::int32_t> camp;
  std::vector<long long> per_camp;
};

CoverageSamples sample_camp_areas(const std::vector<Camp>& camps, const CampPolygons& lonlat, Backend backend) {
  CoverageSamples samples;
  samples.per_camp.assign(camps.size(), 0);
  for (std::size_t c = 0; c < camps.size(); ++c) {
    double min_lon = 1e9, max_lon = -1e9, min_lat = 1e9, max_lat = -1e9;
    for (const auto& polygon : camps[c].polygons)
      for (const auto& ring : polygon)
        for (const auto& v : ring) {
          min_lon = std::min(min_lon, v[0]);
          max_lon = std::max(max_lon, v[0]);
          min_lat = std::min(min_lat, v[1]);
          max_lat = std::max(max_lat, v[1]);
        }
    const double lon_metres = kMetresPerDegreeLonAtEquator * std::cos((min_lat + max_lat) / 2.0 * M_PI / 180.0);
    const double width_m = (max_lon - min_lon) * lon_metres;
    const double height_m = (max_lat - min_lat) * kMetresPerDegreeLat;
    const double spacing = std::max(kCoverageSpacingM, std::sqrt(width_m * height_m / kMaxCoverageSamplesPerCamp));
    const long long nx = std::max(1LL, static_cast<long long>(width_m / spacing));
    const long long ny = std::max(1LL, static_cast<long long>(height_m / spacing));
    std::vector<ReducePoint> grid;
    grid.reserve(nx * ny);
    for (long long j = 0; j < ny; ++j)
      for (long long i = 0; i < nx; ++i)
        grid.push_back({min_lon + (i + 0.5) * (max_lon - min_lon) / nx, min_lat + (j + 0.5) * (max_lat - min_lat) / ny,
                        ObjectClass::Tent});
    const std::vector<std::int32_t> inside = assign_camps(lonlat, grid, backend);
    for (std::size_t k = 0; k < grid.size(); ++k) {
      if (inside[k] != static_cast<std::int32_t>(c)) continue;
      samples.lon.push_back(grid[k].x);
      samples.lat.push_back(grid[k].y);
      samples.camp.push_back(static_cast<std::int32_t>(c));
      ++samples.per_camp[c];
    }
  }
  return samples;
}

struct TileOutcome {
  TileDetections found;
  std::vector<double> footprint_lon, footprint_lat;  // the tile's four corners
};

// A tile opened, its blocks planned and the first one read: prepared on another thread while the tile before it is
// detected, so that decoding a one-block tile overlaps work too.
struct OpenedTile {
  std::unique_ptr<TileReader> reader;
  std::vector<BlockWindow> blocks;
  RgbBlock first;
};

OpenedTile open_tile(const TileEntry& entry, const RunOptions& options) {
  OpenedTile tile;
  tile.reader = std::make_unique<TileReader>(entry.resolved_path, options.decode_threads);
  const TileInfo& info = tile.reader->info();
  tile.blocks =
      plan_blocks(info.width, info.height, options.block_size, detector_halo_px(options.detector, info.gsd_m));
  if (!tile.blocks.empty()) tile.reader->read(tile.blocks.front(), tile.first);
  return tile;
}

// Opens the tiles on long-lived threads, up to `ahead` tiles beyond the one the caller takes next, and hands them
// out in order. Long-lived threads, not one per tile: GDAL reads a tile's CRS through PROJ, whose database
// connection and caches are per thread, and setting them up again on a new thread cost several milliseconds a tile
// (about 9% of a run of the Idlib sample). Several threads where several tiles are detected at once: one opener,
// decoding each one-block tile whole, held the CUDA backend to about half the decode floor.
class TileOpener {
 public:
  TileOpener(const std::vector<const TileEntry*>& order, const RunOptions& options, std::size_t ahead)
      : order_(order), options_(options), ahead_(std::max<std::size_t>(1, ahead)), opened_(order.size()) {
    for (std::size_t t = 0; t < ahead_; ++t) threads_.emplace_back([this] { open_tiles(); });
  }
  ~TileOpener() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    changed_.notify_all();
    for (std::thread& thread : threads_) thread.join();
  }
  TileOpener(const TileOpener&) = delete;
  TileOpener& operator=(const TileOpener&) = delete;

  // The next tile in order; rethrows the error that opening it raised.
  OpenedTile next() {
    std::unique_lock<std::mutex> lock(mutex_);
    Opened& slot = opened_.at(next_to_take_);
    changed_.wait(lock, [&slot] { return slot.tile.has_value() || slot.error; });
    ++next_to_take_;
    changed_.notify_all();
    if (slot.error) std::rethrow_exception(slot.error);
    OpenedTile tile = std::move(*slot.tile);
    slot.tile.reset();
    return tile;
  }

 private:
  struct Opened {
    std::optional<OpenedTile> tile;
    std::exception_ptr error;
  };

  void open_tiles() {
    for (;;) {
      std::size_t index = 0;
      {
        // Within `ahead` tiles of the caller, as memory allows: each opened tile holds its first block.
        std::unique_lock<std::mutex> lock(mutex_);
        changed_.wait(lock, [this] { return stopping_ || next_to_open_ < next_to_take_ + ahead_; });
        if (stopping_ || next_to_open_ == order_.size()) return;
        index = next_to_open_++;
      }
      Opened opened;
      try {
        opened.tile = open_tile(*order_[index], options_);
      } catch (...) {
        opened.error = std::current_exception();
      }
      std::lock_guard<std::mutex> lock(mutex_);
      opened_[index] = std::move(opened);
      changed_.notify_all();
    }
  }

  const std::vector<const TileEntry*>& order_;
  const RunOptions& options_;
  const std::size_t ahead_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<Opened> opened_;  // by position in `order_`
  std::size_t next_to_open_ = 0, next_to_take_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> threads_;  // last: they start once the members above exist
};

// Whether a candidate is part of a vehicle already found: its pixel or the place a vehicle found there would stand
// (CandidatePoint::placed_x) within the duplicate radius of its centre, or inside its measured rectangle (the cab or
// the cargo of a truck the rules found whole; 2026-11-28: half the vehicles the look model added on generated scenes
// were such parts).
bool part_of_a_found_vehicle(const CandidatePoint& c, const std::vector<DetectedObject>& vehicles, double gsd_m,
                             double duplicate_radius_m) {
  return std::any_of(vehicles.begin(), vehicles.end(), [&](const DetectedObject& v) {
    const auto on = [&](double x, double y) {
      const double dx = (x - v.x) * gsd_m, dy = (y - v.y) * gsd_m;
      if (dx * dx + dy * dy <= duplicate_radius_m * duplicate_radius_m) return true;
      const float* axis = v.measured.axis;
      return std::abs(dx * axis[0] + dy * axis[1]) <= 0.5 * v.measured.length_m &&
             std::abs(dy * axis[0] - dx * axis[1]) <= 0.5 * v.measured.width_m;
    };
    return on(c.x, c.y) || on(c.placed_x, c.placed_y);
  });
}

// Streams one tile block by block: detections whose centre lies in a block's core, and which coverage samples
// fall on imaged pixels.
TileOutcome process_tile(OpenedTile tile, const TileEntry& entry, const RunOptions& options,
                         const CoverageSamples& samples, std::vector<std::uint8_t>& sample_covered,
                         std::size_t candidate_budget = 0) {
  TileReader& reader = *tile.reader;
  const TileInfo& info = reader.info();
  const std::vector<BlockWindow>& blocks = tile.blocks;
  const int blocks_x = (info.width + options.block_size - 1) / options.block_size;

  TileOutcome outcome;
  const double corners[4][2] = {{0, 0}, {double(info.width), 0}, {0, double(info.height)},
                                {double(info.width), double(info.height)}};
  for (const auto& corner : corners) {
    double lon = 0, lat = 0;
    reader.pixel_to_lonlat(corner[0], corner[1], lon, lat);
    outcome.footprint_lon.push_back(lon);
    outcome.footprint_lat.push_back(lat);
  }
  // Only samples near the tile are converted to its pixels: a batch's tiles each cover a small part of its camps,
  // and converting every camp sample for every tile cost several percent of a run. The corners' lon/lat box, widened
  // by a tenth of its size, holds the whole tile (its edges are straight lines in its CRS, all but straight in
  // lon/lat over a tile's extent).
  const auto [west, east] = std::minmax_element(outcome.footprint_lon.begin(), outcome.footprint_lon.end());
  const auto [south, north] = std::minmax_element(outcome.footprint_lat.begin(), outcome.footprint_lat.end());
  const double lon_margin = 0.1 * (*east - *west), lat_margin = 0.1 * (*north - *south);
  std::vector<std::size_t> near;
  std::vector<double> near_lon, near_lat;
  for (std::size_t s = 0; s < samples.lon.size(); ++s) {
    if (samples.lon[s] < *west - lon_margin || samples.lon[s] > *east + lon_margin ||
        samples.lat[s] < *south - lat_margin || samples.lat[s] > *north + lat_margin)
      continue;
    near.push_back(s);
    near_lon.push_back(samples.lon[s]);
    near_lat.push_back(samples.lat[s]);
  }
  std::vector<double> near_px(near.size()), near_py(near.size());
  reader.lonlat_to_pixels(near.size(), near_lon.data(), near_lat.data(), near_px.data(), near_py.data());
  std::vector<std::vector<std::pair<std::size_t, std::array<int, 2>>>> samples_by_block(blocks.size());
  for (std::size_t k = 0; k < near.size(); ++k) {
    const std::size_t s = near[k];
    const double px = near_px[k], py = near_py[k];
    if (!(px >= 0 && py >= 0 && px < info.width && py < info.height)) continue;
    const int ix = static_cast<int>(px);
    const int iy = static_cast<int>(py);
    samples_by_block[(iy / options.block_size) * blocks_x + ix / options.block_size].push_back({s, {ix, iy}});
  }

  // Decoding the next block overlaps detection on this one; only the prefetch touches the dataset meanwhile.
  RgbBlock block = std::move(tile.first), next;
  for (std::size_t b = 0; b < blocks.size(); ++b) {
    const BlockWindow& window = blocks[b];
    std::future<void> prefetch;
    if (b + 1 < blocks.size())
      prefetch = std::async(std::launch::async, [&reader, &next, &blocks, b] { reader.read(blocks[b + 1], next); });
    for (const auto& [s, pixel] : samples_by_block[b])
      if (block.valid[static_cast<std::size_t>(pixel[1] - block.y0) * block.width + (pixel[0] - block.x0)])
        sample_covered[s] = 1;
    const auto in_core = [&window](double x, double y) {
      return x >= window.core_x0 && y >= window.core_y0 && x < window.core_x0 + window.core_width &&
             y < window.core_y0 + window.core_height;
    };
    const auto found = [&](ObjectClass cls, float score, double x, double y, bool completed = false) {
      Detection d;
      d.cls = cls;
      d.score = score;
      d.completed = completed;
      d.date = entry.date;
      d.tile = entry.path;
      reader.pixel_to_lonlat(x, y, d.lon, d.lat);
      return d;
    };
    const bool by_appearance = static_cast<bool>(options.vehicle_appearance);
    const bool adding_to_rules = by_appearance && options.vehicle_appearance->adds_to_rules;
    const bool with_candidates = candidate_budget > 0;
    std::vector<CandidatePoint> candidates;
    // With a look model, the block's tents: a candidate on one is no vehicle, as the rules' vehicles are not.
    std::vector<DetectedObject> tents;
    // The rules' vehicles (those in the halo too: the neighbouring block reports them): a look model adding to them
    // takes no candidate that is part of one, and calibration learns which candidates are.
    std::vector<DetectedObject> found_by_rules;
    for (const DetectedObject& o : detect_objects(block, info.gsd_m, options.detector, options.backend,
                                                  by_appearance || with_candidates ? &candidates : nullptr)) {
      if (by_appearance && o.cls == ObjectClass::Tent) tents.push_back(o);
      if ((adding_to_rules || with_candidates) && o.cls == ObjectClass::Vehicle) found_by_rules.push_back(o);
      if (!in_core(o.x, o.y) || (by_appearance && !adding_to_rules && o.cls == ObjectClass::Vehicle)) continue;
      float score = o.score;
      if (options.classifier && options.classifier->trained(o.cls)) {  // its vote becomes the score
        const double probability = options.classifier->probability(o.cls, o.measured);
        if (!options.classifier->accepts(o.cls, probability)) continue;
        score = static_cast<float>(probability);
      }
      outcome.found.detections.push_back(found(o.cls, score, o.x, o.y, o.completed));
      outcome.found.measured.push_back(o.measured);
    }
    // A candidate belongs to the block whose core holds the place a vehicle found there would stand, as an object
    // of the rules belongs to the one holding its centre: the candidates of one region, on either side of a core's
    // edge, give one vehicle in one block.
    std::vector<CandidatePoint> in_core_candidates;
    for (const CandidatePoint& c : candidates)
      if (in_core(c.placed_x, c.placed_y)) in_core_candidates.push_back(c);
    if (with_candidates && outcome.found.candidates.size() + in_core_candidates.size() > candidate_budget)
      throw InputError(entry.resolved_path + ": more than " + std::to_string(candidate_budget) +
                       " detector candidates to learn from, whose appearance features would not fit in memory");
    // Which candidates could be vehicles by their look: their place alone decides whether one lies on a tent, in a
    // block of tents or, adding to the rules, on one of the rules' vehicles, so only those left are looked at
    // (unless calibration needs every candidate's features). Each one's score holds its index until it is voted on.
    std::vector<char> could_be_vehicle(in_core_candidates.size(), 0);
    if (by_appearance) {
      std::vector<DetectedObject> placed = tents;
      for (std::size_t i = 0; i < in_core_candidates.size(); ++i) {
        const CandidatePoint& c = in_core_candidates[i];
        if (adding_to_rules && c.rule_vehicle) continue;
        placed.push_back({c.placed_x, c.placed_y, ObjectClass::Vehicle, static_cast<float>(i), c.measured});
      }
      drop_vehicles_on_tents(placed, info.gsd_m);
      drop_vehicles_inside_tent_blocks(placed, info.gsd_m);
      for (const DetectedObject& o : placed)
        if (o.cls == ObjectClass::Vehicle &&
            !(adding_to_rules && part_of_a_found_vehicle(in_core_candidates[static_cast<std::size_t>(o.score)],
                                                         found_by_rules, info.gsd_m,
                                                         options.detector.duplicate_radius_m)))
          could_be_vehicle[static_cast<std::size_t>(o.score)] = 1;
    }
    std::vector<CandidatePoint> looked_at;
    for (std::size_t i = 0; i < in_core_candidates.size(); ++i)
      if (with_candidates || could_be_vehicle[i]) looked_at.push_back(in_core_candidates[i]);
    std::vector<cv::Mat> features, screen_features;
    std::vector<double> probability;
    look_at_candidates(block, looked_at, info.gsd_m, options.vehicle_appearance.get(), features, probability,
                       with_candidates ? &screen_features : nullptr);
    std::vector<DetectedObject> by_look;
    std::vector<ScoredPoint> by_look_points;
    for (std::size_t i = 0, k = 0; i < in_core_candidates.size(); ++i) {
      if (!with_candidates && !could_be_vehicle[i]) continue;
      const CandidatePoint& c = in_core_candidates[i];
      if (with_candidates) {
        outcome.found.candidates.push_back(found(ObjectClass::Vehicle, 0.0f, c.x, c.y));
        outcome.found.candidate_placed.push_back(found(ObjectClass::Vehicle, 0.0f, c.placed_x, c.placed_y));
        outcome.found.candidate_features.push_back(features[k]);
        outcome.found.candidate_screen_features.push_back(screen_features[k]);
        outcome.found.candidate_by_rules.push_back(c.rule_vehicle ? 1 : 0);
        outcome.found.candidate_on_rules.push_back(
            part_of_a_found_vehicle(c, found_by_rules, info.gsd_m, options.detector.duplicate_radius_m) ? 1 : 0);
      }
      const double vote = probability[k++];
      if (!could_be_vehicle[i] || vote < options.vehicle_appearance->forest.threshold) continue;
      by_look.push_back({c.placed_x, c.placed_y, ObjectClass::Vehicle, static_cast<float>(vote), c.measured});
      by_look_points.push_back({c.placed_x * info.gsd_m, c.placed_y * info.gsd_m, static_cast<float>(vote)});
    }
    // Several candidates on one vehicle: the likeliest speaks for it.
    for (std::size_t i : suppress_duplicates(by_look_points, options.detector.duplicate_radius_m)) {
      outcome.found.detections.push_back(found(ObjectClass::Vehicle, by_look[i].score, by_look[i].x, by_look[i].y));
      outcome.found.measured.push_back(by_look[i].measured);
    }
    if (prefetch.valid()) prefetch.get();  // rethrows a read error
    std::swap(block, next);
  }
  return outcome;
}

std::string format_number(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.0f", value);
  return buffer;
}

void validate_inputs(const Manifest& manifest, const std::vector<Camp>& camps,
                     const std::vector<ReportedFigure>& reported) {
  for (const auto& tile : manifest.tiles) TileReader probe(tile.resolved_path);
  for (const auto& figure : reported) {
    if (figure.region == "all") continue;
    const bool known = std::any_of(camps.begin(), camps.end(), [&](const Camp& c) { return c.name == figure.region; });
    if (!known)
      throw InputError(manifest.reported_path + ": line " + std::to_string(figure.line) + ": region '" +
                       figure.region + "' is not a camp in " +
                       (manifest.camps_path.empty() ? std::string("the manifest (no camps file)") : manifest.camps_path));
  }
}

}  // namespace

TileDetections detect_tile(const TileEntry& entry, const RunOptions& options, std::size_t candidate_budget) {
  std::vector<std::uint8_t> no_samples;
  return process_tile(open_tile(entry, options), entry, options, CoverageSamples{}, no_samples, candidate_budget)
      .found;
}

std::vector<std::size_t> merge_overlaps(const std::vector<Detection>& detections, double radius_m) {
  if (detections.empty()) return {};
  const double lat0 = detections.front().lat;
  const double lon0 = detections.front().lon;
  const double lon_metres = kMetresPerDegreeLonAtEquator * std::cos(lat0 * M_PI / 180.0);
  // Every score lies in [0, 1]: taking 2 off a vehicle's ranks it below every tent.
  std::vector<ScoredPoint> points;
  points.reserve(detections.size());
  for (const auto& d : detections) {
    const float rank = d.cls == ObjectClass::Vehicle ? d.score - 2.0f : d.score;
    points.push_back({(d.lon - lon0) * lon_metres, (d.lat - lat0) * kMetresPerDegreeLat, rank});
  }
  return suppress_duplicates(points, radius_m);
}

RunResult run_pipeline(const RunOptions& options) {
  const auto started = std::chrono::steady_clock::now();
  const Manifest manifest = load_manifest(options.manifest_path);
  const std::vector<Camp> camps = manifest.camps_path.empty() ? std::vector<Camp>{} : load_camps(manifest.camps_path);
  const std::vector<ReportedFigure> reported =
      manifest.reported_path.empty() ? std::vector<ReportedFigure>{} : load_reported(manifest.reported_path);
  validate_inputs(manifest, camps, reported);

  std::map<std::string, std::vector<const TileEntry*>> tiles_by_date;
  for (const auto& tile : manifest.tiles) tiles_by_date[tile.date].push_back(&tile);

  const CampPolygons camps_lonlat = camps_in_lonlat(camps);
  const CoverageSamples samples = sample_camp_areas(camps, camps_lonlat, options.backend);
  std::vector<std::string> camp_names;
  for (const auto& camp : camps) camp_names.push_back(camp.name);

  RunResult result;
  std::vector<Detection> all_detections;
  struct DensityOutput {
    std::string date;
    GridSpec grid;
    std::vector<float> values;
  };
  std::vector<DensityOutput> densities;
  Progress progress(options.progress_bar, manifest.tiles.size());
  std::size_t tiles_done = 0;

  // Tiles in processing order; the next one is opened while the ones before it are detected.
  std::vector<const TileEntry*> order;
  for (const auto& [date, tiles] : tiles_by_date) order.insert(order.end(), tiles.begin(), tiles.end());
  const std::size_t in_flight = static_cast<std::size_t>(std::max(1, options.tiles_in_flight));
  TileOpener opener(order, options, in_flight);
  // One tile at a time runs on this thread (deferred), so the backends' per-thread scratch is kept from tile to tile.
  const std::launch launch_policy = in_flight > 1 ? std::launch::async : std::launch::deferred;

  for (const auto& [date, tiles] : tiles_by_date) {
    std::vector<std::uint8_t> covered(samples.lon.size(), 0);
    std::vector<Detection> date_detections;
    std::vector<std::uint8_t> date_weak;  // per detection: a weak one (see DetectorAccuracy)
    std::vector<double> footprint_lon, footprint_lat;
    // Up to `in_flight` tiles of the date are detected at once, each marking coverage in its own array; their
    // results are taken in manifest order, so the outputs do not depend on how many run together.
    struct TileRun {
      TileOutcome outcome;
      std::vector<std::uint8_t> covered;
      double seconds = 0.0;
    };
    std::deque<std::pair<const TileEntry*, std::future<TileRun>>> running;
    const auto finish_oldest = [&] {
      const TileEntry* tile = running.front().first;
      TileRun run = running.front().second.get();  // rethrows a read error
      running.pop_front();
      for (std::size_t s = 0; s < covered.size(); ++s) covered[s] |= run.covered[s];
      const std::vector<Detection>& found = run.outcome.found.detections;
      long long tents = 0;
      for (const auto& d : found) tents += d.cls == ObjectClass::Tent;
      date_detections.insert(date_detections.end(), found.begin(), found.end());
      for (const ObjectMeasurements& m : run.outcome.found.measured)
        date_weak.push_back(m.contrast < kWeakContrastFactor * options.detector.min_contrast);
      footprint_lon.insert(footprint_lon.end(), run.outcome.footprint_lon.begin(), run.outcome.footprint_lon.end());
      footprint_lat.insert(footprint_lat.end(), run.outcome.footprint_lat.begin(), run.outcome.footprint_lat.end());
      std::ostringstream message;
      message.precision(2);
      message << std::fixed << tile->path << " (" << date << "): " << tents << " tents, "
              << found.size() - tents << " vehicles, " << run.seconds << " s";
      progress.report(++tiles_done, message.str());
    };
    for (const TileEntry* tile : tiles) {
      OpenedTile opened = opener.next();  // rethrows a read error
      running.emplace_back(tile, std::async(launch_policy, [&options, &samples, tile,
                                                          opened = std::move(opened)]() mutable {
                             const auto tile_started = std::chrono::steady_clock::now();
                             TileRun run;
                             run.covered.assign(samples.lon.size(), 0);
                             run.outcome = process_tile(std::move(opened), *tile, options, samples, run.covered);
                             run.seconds =
                                 std::chrono::duration<double>(std::chrono::steady_clock::now() - tile_started).count();
                             return run;
                           }));
      while (running.size() >= in_flight) finish_oldest();
    }
    while (!running.empty()) finish_oldest();
    std::vector<Detection> merged;
    std::vector<std::uint8_t> merged_weak;
    for (std::size_t i : merge_overlaps(date_detections, options.detector.duplicate_radius_m)) {
      merged.push_back(date_detections[i]);
      merged_weak.push_back(date_weak[i]);
    }
    date_detections = std::move(merged);
    date_weak = std::move(merged_weak);

    std::vector<ReducePoint> points;
    points.reserve(date_detections.size());
    for (const auto& d : date_detections) points.push_back({d.lon, d.lat, d.cls});
    const std::vector<std::int32_t> camp_of = assign_camps(camps_lonlat, points, options.backend);
    const std::vector<CampTotals> totals =
        reduce_by_camp(points, camp_of, static_cast<int>(camps.size()), options.backend);

    std::vector<long long> weak_tents(camps.size(), 0);
    for (std::size_t i = 0; i < date_detections.size(); ++i)
      if (camp_of[i] >= 0 && date_detections[i].cls == ObjectClass::Tent && date_weak[i]) ++weak_tents[camp_of[i]];
    std::vector<long long> covered_per_camp(camps.size(), 0);
    for (std::size_t s = 0; s < covered.size(); ++s) covered_per_camp[samples.camp[s]] += covered[s];

    for (std::size_t c = 0; c < camps.size(); ++c) {
      CampDateEstimate e;
      e.camp = camps[c].name;
      e.date = date;
      e.coverage = samples.per_camp[c] ? static_cast<double>(covered_per_camp[c]) / samples.per_camp[c] : 0.0;
      if (e.imaged()) {
        const double ppt = camps[c].persons_per_tent > 0 ? camps[c].persons_per_tent : options.occupancy.persons_per_tent;
        e.tents = totals[c].tents;
        e.vehicles = totals[c].vehicles;
        e.population = estimate_population(e.tents, weak_tents[c], ppt, options.occupancy, options.accuracy);
      }
      result.estimates.push_back(e);
    }

    // Density in the CRS of the date's first tile, over the union of the date's footprints.
    TileReader reference(tiles.front()->resolved_path);
    const auto to_grid_crs = [&](double lon, double lat, double& x, double& y) {
      double px = 0, py = 0;
      reference.lonlat_to_pixel(lon, lat, px, py);
      reference.info().transform.pixel_to_world(px, py, x, y);
    };
    double min_x = 1e300, min_y = 1e300, max_x = -1e300, max_y = -1e300;
    for (std::size_t k = 0; k < footprint_lon.size(); ++k) {
      double x = 0, y = 0;
      to_grid_crs(footprint_lon[k], footprint_lat[k], x, y);
      min_x = std::min(min_x, x);
      max_x = std::max(max_x, x);
      min_y = std::min(min_y, y);
      max_y = std::max(max_y, y);
    }
    std::vector<WeightedPoint> persons;
    for (std::size_t k = 0; k < date_detections.size(); ++k) {
      if (date_detections[k].cls != ObjectClass::Tent) continue;
      const int c = camp_of[k];
      const double ppt = c >= 0 && camps[c].persons_per_tent > 0 ? camps[c].persons_per_tent
                                                                  : options.occupancy.persons_per_tent;
      WeightedPoint p;
      to_grid_crs(date_detections[k].lon, date_detections[k].lat, p.x, p.y);
      p.persons = ppt;
      persons.push_back(p);
    }
    DensityOutput density;
    density.date = date;
    density.grid = make_density_grid(min_x, min_y, max_x, max_y, options.density_cell_m, options.bandwidth_m,
                                     reference.info().crs_wkt);
    density.values = density_map(density.grid, persons, options.bandwidth_m, options.backend);
    densities.push_back(std::move(density));

    all_detections.insert(all_detections.end(), date_detections.begin(), date_detections.end());
  }
  result.detections = static_cast<long long>(all_detections.size());
  result.comparison = compare_with_reported(reported, result.estimates, camp_names);

  // Everything is computed before the first file is written, and each file is replaced atomically, so a failure
  // leaves earlier results intact.
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(options.out_dir, ec);
  if (ec) throw InputError(options.out_dir + ": cannot create output directory (" + ec.message() + ")");
  const auto out = [&](const std::string& name) { return (fs::path(options.out_dir) / name).string(); };
  write_file_atomically(out("detections.geojson"), detections_geojson(all_detections));
  result.written_files.push_back(out("detections.geojson"));
  write_file_atomically(out("estimates.csv"), estimates_csv(result.estimates));
  result.written_files.push_back(out("estimates.csv"));
  for (const auto& density : densities) {
    const std::string path = out("density_" + density.date + ".tif");
    write_density_geotiff(path, density.grid, density.values);
    result.written_files.push_back(path);
  }
  if (!manifest.reported_path.empty()) {
    write_file_atomically(out("comparison.csv"), comparison_csv(result.comparison));
    result.written_files.push_back(out("comparison.csv"));
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::fprintf(stderr, "campscope: %lld detections from %zu tiles in %.1f s (%s backend)\n", result.detections,
               manifest.tiles.size(), seconds, backend_name(options.backend));
  return result;
}

std::string summary_table(const RunResult& result) {
  std::ostringstream out;
  char line[256];
  std::snprintf(line, sizeof line, "%-14s %-10s %8s %7s %8s %11s %21s\n", "camp", "date", "coverage", "tents",
                "vehicles", "population", "interval");
  out << line;
  for (const auto& e : result.estimates) {
    if (e.imaged()) {
      const std::string interval = format_number(e.population.low) + " - " + format_number(e.population.high);
      std::snprintf(line, sizeof line, "%-14s %-10s %7.0f%% %7lld %8lld %11.0f %21s\n", e.camp.c_str(),
                    e.date.c_str(), 100.0 * e.coverage, e.tents, e.vehicles, e.population.population,
                    interval.c_str());
    } else {
      std::snprintf(line, sizeof line, "%-14s %-10s %8s %7s %8s %11s %21s\n", e.camp.c_str(), e.date.c_str(),
                    "0%", "-", "-", "-", "not imaged");
    }
    out << line;
  }
  if (!result.comparison.empty()) {
    out << "\nreported figures:\n";
    for (const auto& row : result.comparison) {
      const auto& f = row.reported;
      const std::string kind = f.since_date.empty() ? f.kind : f.kind + ":" + f.since_date;
      if (row.estimated) {
        const std::string interval =
            format_number(row.estimated->low) + " - " + format_number(row.estimated->high);
        std::snprintf(line, sizeof line, "  %s %-6s %-28s reported %9.0f  estimated %9.0f (%s)\n", f.date.c_str(),
                      f.region.c_str(), kind.c_str(), f.figure, row.estimated->population, interval.c_str());
      } else {
        std::snprintf(line, sizeof line, "  %s %-6s %-28s reported %9.0f  not estimable: %s\n", f.date.c_str(),
                      f.region.c_str(), kind.c_str(), f.figure, row.note.c_str());
      }
      out << line;
    }
  }
  return out.str();
}

}  // namespace campscope

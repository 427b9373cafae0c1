// GeoTIFF tiles read block by block, and the small GDAL plumbing the other readers and writers share.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "campscope/image.h"
#include "campscope/types.h"

class GDALDataset;
class OGRCoordinateTransformation;
class OGRSpatialReference;

namespace campscope {

// GDALAllRegister exactly once per process, safe to call from any thread.
void ensure_gdal_registered();

// While alive, GDAL/OGR errors raised on this thread are recorded instead of printed, so callers can turn them into
// one-line exceptions. GDAL keeps error handlers per thread, so readers on other threads are unaffected.
class QuietGdalErrors {
 public:
  QuietGdalErrors();
  ~QuietGdalErrors();
  QuietGdalErrors(const QuietGdalErrors&) = delete;
  QuietGdalErrors& operator=(const QuietGdalErrors&) = delete;
  // The last error GDAL raised on this thread since construction, on one line ("" when none).
  std::string last_error() const;
};

// A 16-bit delivery's samples to 8 bits: a linear stretch that takes `stretch_max` (the tile's 99.9th percentile of
// its colour samples) to 255, rounding to nearest and clipping above. Tabulated once per tile, so a sample costs one
// lookup rather than an integer division.
class SampleStretch {
 public:
  explicit SampleStretch(unsigned stretch_max);
  std::uint8_t operator()(std::uint16_t sample) const { return table_[sample]; }
  const std::uint8_t* table() const { return table_.data(); }  // 65536 entries, indexed by sample

 private:
  std::vector<std::uint8_t> table_;
};

// Interleaved samples, `stride` per pixel, to interleaved 8-bit RGB: the first three bands (a fourth, NIR or alpha,
// is dropped), or with `grey` the first band three times.
void samples_to_rgb(const std::uint16_t* samples, int stride, bool grey, std::size_t pixels,
                    const SampleStretch& stretch, std::uint8_t* rgb);
void samples_to_rgb(const std::uint8_t* samples, int stride, bool grey, std::size_t pixels, std::uint8_t* rgb);

struct TileInfo {
  std::string path;
  int width = 0, height = 0, bands = 0;
  GeoTransform transform;
  std::string crs_wkt;
  double gsd_m = 0;  // ground sampling distance: metres per pixel
  // The file's own pixels are not square on the ground (geographic CRS, oblong pixels, a CRS whose units are far
  // from ground metres here), so it is resampled on demand onto the square-pixel UTM grid described above.
  bool resampled = false;
};

// One per thread; GDAL datasets are not thread-safe.
// Everything the reader reports (size, transform, CRS, GSD, blocks, lon/lat) describes one grid of square ground
// pixels: the file's own grid when it has them, else a UTM grid that the file is warped onto block by block.
class TileReader {
 public:
  // Opens and validates, InputError on any problem. Compressed blocks are decoded on `decode_threads` threads.
  explicit TileReader(const std::string& path, int decode_threads = 1);
  ~TileReader();
  TileReader(const TileReader&) = delete;
  TileReader& operator=(const TileReader&) = delete;

  const TileInfo& info() const { return info_; }

  // Fills `out` with the window (x0, y0, width, height) of `window`; InputError when the file cannot be read.
  void read(const BlockWindow& window, RgbBlock& out);

  // Lon/lat (EPSG:4326) of tile pixel coordinates (the centre of pixel (px, py) is (px + 0.5, py + 0.5)), and back.
  void pixel_to_lonlat(double px, double py, double& lon, double& lat) const;
  void lonlat_to_pixel(double lon, double lat, double& px, double& py) const;
  // The same for `count` points in one call: PROJ converts a batch several times faster than point by point, and a
  // tile over a camp has tens of thousands of its coverage samples.
  void lonlat_to_pixels(std::size_t count, const double* lon, const double* lat, double* px, double* py) const;

 private:
  void use_crs(const OGRSpatialReference& crs);  // sets crs_wkt and the lon/lat conversions
  void measure_ground_pixel(double& x_m, double& y_m) const;
  void open_resampled(double ground_x_m, double ground_y_m);
  // With `measure_haze`, the window is the whole file and its samples set the haze correction (measure_haze_of_file).
  template <typename Sample>
  void read_rgb(const BlockWindow& window, RgbBlock& out, bool measure_haze);
  template <typename Sample>
  void clear_nodata_pixels(const Sample* samples, int sample_stride, std::size_t pixels, std::uint8_t* valid);
  void clear_invalid_file_pixels(int x0, int y0, int width, int height, std::uint8_t* valid, bool nodata_applied);
  void clear_invalid_resampled_pixels(const BlockWindow& window, RgbBlock& out);
  void compute_uint16_scale();
  // Per colour channel, how many of the tile's samples take each 8-bit level (see dark_levels).
  using LevelCounts = std::array<std::array<std::uint64_t, 256>, 3>;
  struct DarkSampleRule;
  DarkSampleRule dark_sample_rule() const;
  std::array<int, 3> dark_levels(const LevelCounts& levels) const;
  LevelCounts file_level_counts(bool approximate) const;
  template <typename Sample>
  LevelCounts sample_level_counts(const Sample* samples, int stride, std::size_t pixels) const;
  void measure_haze_of_file();
  void set_haze(const std::array<int, 3>& darks);
  void remove_haze(RgbBlock& out) const;

  struct DatasetCloser {
    void operator()(GDALDataset* dataset) const;
  };
  struct TransformerDestroyer {
    void operator()(void* transformer) const;
  };

  TileInfo info_;
  // Declared before `resampled_`, which holds a reference to it, so that it is closed last.
  std::unique_ptr<GDALDataset, DatasetCloser> file_;
  std::unique_ptr<GDALDataset, DatasetCloser> resampled_;  // warped VRT onto info_'s grid; null when not resampled
  GDALDataset* pixels_ = nullptr;                            // where colours are read: resampled_ or file_
  // Resampled grid pixel -> file pixel, the same mapping the warp uses; validity is carried by nearest neighbour.
  std::unique_ptr<void, TransformerDestroyer> to_file_pixel_;
  int decode_threads_ = 1;
  int file_width_ = 0, file_height_ = 0;
  int alpha_out_band_ = 0;  // band of resampled_ that is 0 where the warp produced no pixel
  bool uint16_ = false;
  int used_bands_ = 0;          // 1 (grey) or 3 (RGB)
  bool alpha_band_ = false;     // band 4 is alpha, so it masks bands 1..3
  std::optional<SampleStretch> stretch_;  // UInt16 samples to 8 bits; set for UInt16 tiles only
  // Per channel, 8-bit colour without the tile's haze (see set_haze); set for hazy tiles only.
  std::optional<std::array<std::array<std::uint8_t, 256>, 3>> dehaze_;
  bool haze_measured_ = false;
  std::unique_ptr<OGRCoordinateTransformation> to_lonlat_;
  std::unique_ptr<OGRCoordinateTransformation> from_lonlat_;
};

}  // namespace campscope

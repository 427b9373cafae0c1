// GeoTIFF tiles read block by block, and the small GDAL plumbing the other readers and writers share.
#pragma once
#include <memory>
#include <string>

#include "campscope/image.h"
#include "campscope/types.h"

class GDALDataset;
class OGRCoordinateTransformation;

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

struct TileInfo {
  std::string path;
  int width = 0, height = 0, bands = 0;
  GeoTransform transform;
  std::string crs_wkt;
  double gsd_m = 0;  // ground sampling distance: metres per pixel
};

// One per thread; GDAL datasets are not thread-safe.
class TileReader {
 public:
  explicit TileReader(const std::string& path);  // opens and validates, InputError on any problem
  ~TileReader();
  TileReader(const TileReader&) = delete;
  TileReader& operator=(const TileReader&) = delete;

  const TileInfo& info() const { return info_; }

  // Fills `out` with the window (x0, y0, width, height) of `window`; InputError when the file cannot be read.
  void read(const BlockWindow& window, RgbBlock& out);

  // Lon/lat (EPSG:4326) of tile pixel coordinates (the centre of pixel (px, py) is (px + 0.5, py + 0.5)), and back.
  void pixel_to_lonlat(double px, double py, double& lon, double& lat) const;
  void lonlat_to_pixel(double lon, double lat, double& px, double& py) const;

 private:
  template <typename Sample>
  void read_rgb(const BlockWindow& window, RgbBlock& out);
  void read_validity(const BlockWindow& window, RgbBlock& out);
  void compute_uint16_scale();

  struct DatasetCloser {
    void operator()(GDALDataset* dataset) const;
  };

  TileInfo info_;
  std::unique_ptr<GDALDataset, DatasetCloser> dataset_;
  bool uint16_ = false;
  int used_bands_ = 0;          // 1 (grey) or 3 (RGB)
  bool alpha_band_ = false;     // band 4 is alpha, so it masks bands 1..3
  unsigned stretch_max_ = 255;  // UInt16 value mapped to 255
  std::unique_ptr<OGRCoordinateTransformation> to_lonlat_;
  std::unique_ptr<OGRCoordinateTransformation> from_lonlat_;
};

}  // namespace campscope

#include "geotiff.h"

#include <cpl_error.h>
#include <gdal_priv.h>
#include <ogr_spatialref.h>

#include <algorithm>
#include <cmath>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <vector>

namespace campscope {
namespace {

constexpr double kPi = 3.14159265358979323846;

std::string describe_window(const BlockWindow& window) {
  return "window at (" + std::to_string(window.x0) + ", " + std::to_string(window.y0) + ") of " +
         std::to_string(window.width) + " x " + std::to_string(window.height) + " pixels";
}

std::string with_reason(const std::string& message, const std::string& reason) {
  return reason.empty() ? message : message + ": " + reason;
}

// Metres per degree of latitude and of longitude at `lat_deg` on an ellipsoid (inverse flattening 0 = sphere).
void metres_per_degree(double semi_major, double inverse_flattening, double lat_deg, double& per_lat,
                       double& per_lon) {
  const double flattening = inverse_flattening > 0.0 ? 1.0 / inverse_flattening : 0.0;
  const double e2 = flattening * (2.0 - flattening);
  const double phi = lat_deg * kPi / 180.0;
  const double w = std::sqrt(1.0 - e2 * std::sin(phi) * std::sin(phi));
  per_lat = kPi / 180.0 * semi_major * (1.0 - e2) / (w * w * w);
  per_lon = kPi / 180.0 * semi_major * std::cos(phi) / w;
}

}  // namespace

void ensure_gdal_registered() {
  static std::once_flag registered;
  std::call_once(registered, [] { GDALAllRegister(); });
}

QuietGdalErrors::QuietGdalErrors() {
  CPLPushErrorHandler(CPLQuietErrorHandler);
  CPLErrorReset();
}

QuietGdalErrors::~QuietGdalErrors() { CPLPopErrorHandler(); }

std::string QuietGdalErrors::last_error() const {
  if (CPLGetLastErrorType() == CE_None) return "";
  std::string message = CPLGetLastErrorMsg();
  for (char& c : message) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return message;
}

void TileReader::DatasetCloser::operator()(GDALDataset* dataset) const {
  QuietGdalErrors quiet;
  GDALClose(GDALDataset::ToHandle(dataset));
}

TileReader::TileReader(const std::string& path) {
  ensure_gdal_registered();
  QuietGdalErrors quiet;
  info_.path = path;
  dataset_.reset(GDALDataset::FromHandle(
      GDALOpenEx(path.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY | GDAL_OF_VERBOSE_ERROR, nullptr, nullptr, nullptr)));
  if (!dataset_) throw InputError(with_reason(path + ": cannot open as a raster image", quiet.last_error()));

  info_.width = dataset_->GetRasterXSize();
  info_.height = dataset_->GetRasterYSize();
  info_.bands = dataset_->GetRasterCount();
  if (info_.width <= 0 || info_.height <= 0) {
    throw InputError(path + ": empty raster (" + std::to_string(info_.width) + " x " + std::to_string(info_.height) +
                     " pixels)");
  }
  if (info_.bands != 1 && info_.bands != 3 && info_.bands != 4) {
    throw InputError(path + ": has " + std::to_string(info_.bands) +
                     " bands; expected 1 (grey), 3 (RGB) or 4 (RGB + alpha or NIR)");
  }
  const GDALDataType type = dataset_->GetRasterBand(1)->GetRasterDataType();
  for (int b = 1; b <= info_.bands; ++b) {
    const GDALDataType band_type = dataset_->GetRasterBand(b)->GetRasterDataType();
    if (band_type != GDT_Byte && band_type != GDT_UInt16) {
      throw InputError(path + ": band " + std::to_string(b) + " has data type " + GDALGetDataTypeName(band_type) +
                       "; expected Byte or UInt16");
    }
    if (band_type != type) throw InputError(path + ": bands have different data types");
  }
  uint16_ = type == GDT_UInt16;
  used_bands_ = info_.bands == 1 ? 1 : 3;
  alpha_band_ = info_.bands == 4 && dataset_->GetRasterBand(4)->GetColorInterpretation() == GCI_AlphaBand;
  if (info_.bands == 1 && dataset_->GetRasterBand(1)->GetColorInterpretation() == GCI_PaletteIndex) {
    throw InputError(path + ": is a paletted image; expected grey or RGB values");
  }

  const OGRSpatialReference* file_crs = dataset_->GetSpatialRef();
  if (dataset_->GetGeoTransform(info_.transform.gt) != CE_None || file_crs == nullptr || file_crs->IsEmpty()) {
    throw InputError(path + ": no georeferencing (geotransform/CRS missing)");
  }
  const double* gt = info_.transform.gt;
  if (gt[2] != 0.0 || gt[4] != 0.0) {
    throw InputError(path + ": rotated geotransform; warp the tile north-up first (e.g. gdalwarp)");
  }
  if (!(gt[1] > 0.0) || !(gt[5] < 0.0) || !std::isfinite(gt[0]) || !std::isfinite(gt[3])) {
    std::ostringstream message;
    message << path << ": geotransform is not north-up (pixel size " << gt[1] << " x " << gt[5]
            << "; expected positive x and negative y)";
    throw InputError(message.str());
  }

  OGRSpatialReference crs(*file_crs);
  crs.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  double pixel_x_m = 0.0;
  double pixel_y_m = 0.0;
  if (crs.IsProjected()) {
    const double metres_per_unit = crs.GetLinearUnits();
    pixel_x_m = gt[1] * metres_per_unit;
    pixel_y_m = -gt[5] * metres_per_unit;
  } else if (crs.IsGeographic()) {
    const double degrees_per_unit = crs.GetAngularUnits() * 180.0 / kPi;
    const double centre_lat = (gt[3] + 0.5 * info_.height * gt[5]) * degrees_per_unit;
    if (!(std::abs(centre_lat) <= 90.0)) {
      throw InputError(path + ": tile centre latitude " + std::to_string(centre_lat) + " is outside [-90, 90]");
    }
    OGRErr err = OGRERR_NONE;
    const double semi_major = crs.GetSemiMajor(&err);
    const double inverse_flattening = crs.GetInvFlattening(&err);
    double per_lat = 0.0;
    double per_lon = 0.0;
    metres_per_degree(semi_major, inverse_flattening, centre_lat, per_lat, per_lon);
    pixel_x_m = gt[1] * degrees_per_unit * per_lon;
    pixel_y_m = -gt[5] * degrees_per_unit * per_lat;
  } else {
    throw InputError(path + ": CRS is neither projected nor geographic");
  }
  // Objects must keep their shape for the detector, so pixels have to be square on the ground, not in CRS units.
  if (!(std::abs(pixel_x_m - pixel_y_m) <= 0.01 * std::max(pixel_x_m, pixel_y_m)) || !(pixel_x_m > 0.0)) {
    std::ostringstream message;
    message.precision(4);
    message << path << ": pixels are not square on the ground (" << pixel_x_m << " m x " << pixel_y_m
            << " m); reproject the tile to a projected CRS such as UTM";
    throw InputError(message.str());
  }
  info_.gsd_m = 0.5 * (pixel_x_m + pixel_y_m);

  char* wkt = nullptr;
  const char* const wkt_options[] = {"FORMAT=WKT2_2019", nullptr};
  if (crs.exportToWkt(&wkt, wkt_options) != OGRERR_NONE || wkt == nullptr) {
    CPLFree(wkt);
    throw InputError(with_reason(path + ": CRS cannot be written as WKT", quiet.last_error()));
  }
  info_.crs_wkt = wkt;
  CPLFree(wkt);

  OGRSpatialReference lonlat;
  lonlat.importFromEPSG(4326);
  lonlat.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  to_lonlat_.reset(OGRCreateCoordinateTransformation(&crs, &lonlat));
  from_lonlat_.reset(OGRCreateCoordinateTransformation(&lonlat, &crs));
  if (!to_lonlat_ || !from_lonlat_) {
    throw InputError(with_reason(path + ": no transformation between the tile CRS and lon/lat", quiet.last_error()));
  }

  if (uint16_) compute_uint16_scale();
}

TileReader::~TileReader() = default;

void TileReader::compute_uint16_scale() {
  constexpr int kBuckets = 65536;
  std::vector<GUIntBig> total(kBuckets, 0);
  std::vector<GUIntBig> band_histogram(kBuckets);
  for (int b = 1; b <= used_bands_; ++b) {
    // Buckets centred on the integers 0..65535; approximate (subsampled) so big tiles are not read in full.
    // The base-class call skips GDAL's PAM override, which would cache the histogram in a .aux.xml file next to
    // the user's tile.
    GDALRasterBand* band = dataset_->GetRasterBand(b);
    if (band->GDALRasterBand::GetHistogram(-0.5, 65535.5, kBuckets, band_histogram.data(), FALSE, TRUE,
                                           GDALDummyProgress, nullptr) != CE_None) {
      throw InputError(with_reason(info_.path + ": cannot compute the histogram of band " + std::to_string(b),
                                   CPLGetLastErrorMsg()));
    }
    for (int v = 0; v < kBuckets; ++v) total[v] += band_histogram[v];
  }
  GUIntBig count = 0;
  for (GUIntBig n : total) count += n;
  const GUIntBig target = count - count / 1000;  // 99.9th percentile: 0.1% of the samples lie above it
  GUIntBig cumulative = 0;
  unsigned percentile = 0;
  for (int v = 0; v < kBuckets; ++v) {
    cumulative += total[v];
    if (cumulative >= target) {
      percentile = static_cast<unsigned>(v);
      break;
    }
  }
  stretch_max_ = percentile > 0 ? percentile : 1;
}

void TileReader::read(const BlockWindow& window, RgbBlock& out) {
  if (window.width <= 0 || window.height <= 0 || window.x0 < 0 || window.y0 < 0 ||
      window.x0 > info_.width - window.width || window.y0 > info_.height - window.height) {
    throw std::out_of_range(info_.path + ": " + describe_window(window) + " is outside the " +
                            std::to_string(info_.width) + " x " + std::to_string(info_.height) + " raster");
  }
  QuietGdalErrors quiet;
  out.x0 = window.x0;
  out.y0 = window.y0;
  out.width = window.width;
  out.height = window.height;
  if (uint16_) {
    read_rgb<std::uint16_t>(window, out);
  } else {
    read_rgb<std::uint8_t>(window, out);
  }
  read_validity(window, out);
}

template <typename Sample>
void TileReader::read_rgb(const BlockWindow& window, RgbBlock& out) {
  const std::size_t pixels = static_cast<std::size_t>(window.width) * window.height;
  std::vector<Sample> samples(pixels * used_bands_);
  int band_map[] = {1, 2, 3};
  const GSpacing sample_size = sizeof(Sample);
  const CPLErr status = dataset_->RasterIO(
      GF_Read, window.x0, window.y0, window.width, window.height, samples.data(), window.width, window.height,
      uint16_ ? GDT_UInt16 : GDT_Byte, used_bands_, band_map, sample_size * used_bands_,
      sample_size * used_bands_ * window.width, sample_size, nullptr);
  if (status != CE_None) {
    throw InputError(with_reason(info_.path + ": cannot read the " + describe_window(window), CPLGetLastErrorMsg()));
  }
  out.rgb.resize(pixels * 3);
  for (std::size_t i = 0; i < pixels; ++i) {
    for (int c = 0; c < 3; ++c) {
      const unsigned value = samples[i * used_bands_ + (used_bands_ == 3 ? c : 0)];
      if (uint16_) {
        out.rgb[i * 3 + c] = static_cast<std::uint8_t>(
            value >= stretch_max_ ? 255u : (value * 255u + stretch_max_ / 2) / stretch_max_);
      } else {
        out.rgb[i * 3 + c] = static_cast<std::uint8_t>(value);
      }
    }
  }
}

void TileReader::read_validity(const BlockWindow& window, RgbBlock& out) {
  const std::size_t pixels = static_cast<std::size_t>(window.width) * window.height;
  out.valid.assign(pixels, 1);
  std::vector<std::uint8_t> mask(pixels);
  auto apply = [&](GDALRasterBand* band, const std::string& what) {
    if (band->RasterIO(GF_Read, window.x0, window.y0, window.width, window.height, mask.data(), window.width,
                       window.height, GDT_Byte, 0, 0, nullptr) != CE_None) {
      throw InputError(with_reason(info_.path + ": cannot read the " + what + " of the " + describe_window(window),
                                   CPLGetLastErrorMsg()));
    }
    for (std::size_t i = 0; i < pixels; ++i) {
      if (mask[i] == 0) out.valid[i] = 0;
    }
  };
  bool dataset_mask_applied = false;
  bool alpha_applied = false;
  for (int b = 1; b <= used_bands_; ++b) {
    GDALRasterBand* band = dataset_->GetRasterBand(b);
    const int flags = band->GetMaskFlags();
    if (flags & GMF_ALL_VALID) continue;
    if (flags & GMF_PER_DATASET) {
      if (dataset_mask_applied) continue;
      dataset_mask_applied = true;
    }
    if (flags & GMF_ALPHA) alpha_applied = true;
    apply(band->GetMaskBand(), "mask of band " + std::to_string(b));
  }
  // GDAL ignores the alpha band when the tile also declares nodata; alpha still marks pixels that were never imaged.
  if (alpha_band_ && !alpha_applied) apply(dataset_->GetRasterBand(4), "alpha band");
}

void TileReader::pixel_to_lonlat(double px, double py, double& lon, double& lat) const {
  info_.transform.pixel_to_world(px, py, lon, lat);
  if (!to_lonlat_->Transform(1, &lon, &lat) || !std::isfinite(lon) || !std::isfinite(lat)) {
    std::ostringstream message;
    message << info_.path << ": pixel (" << px << ", " << py << ") cannot be converted to lon/lat";
    throw InputError(message.str());
  }
}

void TileReader::lonlat_to_pixel(double lon, double lat, double& px, double& py) const {
  double x = lon;
  double y = lat;
  if (!from_lonlat_->Transform(1, &x, &y) || !std::isfinite(x) || !std::isfinite(y)) {
    std::ostringstream message;
    message.precision(10);
    message << info_.path << ": lon/lat (" << lon << ", " << lat << ") cannot be converted to the tile CRS";
    throw InputError(message.str());
  }
  info_.transform.world_to_pixel(x, y, px, py);
}

}  // namespace campscope

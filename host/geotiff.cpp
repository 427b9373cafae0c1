#include "geotiff.h"

#include <cpl_error.h>
#include <cpl_string.h>
#include <gdal_alg.h>
#include <gdal_priv.h>
#include <gdalwarper.h>
#include <ogr_spatialref.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <type_traits>
#include <vector>

#include "parallel_for.h"

namespace campscope {
namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kWgs84SemiMajor = 6378137.0;
constexpr double kWgs84InverseFlattening = 298.257223563;
// The usual gdalwarp tolerance: the warp interpolates the reprojection along rows within an eighth of a pixel.
constexpr double kWarpMaxErrorPx = 0.125;
// Nodata for bands that declare none: outside the range of Byte and UInt16, so it never matches a sample.
constexpr double kNeverASample = -1.0;
constexpr int kValidityRun = 256;  // pixels of a grid row mapped to the file in one go

struct LonLatTransforms {
  std::unique_ptr<OGRCoordinateTransformation> to_lonlat, from_lonlat;
};

// Setting up a transformation looks both CRSs up in PROJ's database (some 0.3 ms a tile); a batch has tiles in a
// few CRSs, so each is set up once and cloned for every tile (a transformation is not thread-safe; clones are
// independent). Null members when there is no transformation.
LonLatTransforms lonlat_transforms(const OGRSpatialReference& crs, const std::string& crs_wkt) {
  static std::mutex mutex;
  static std::map<std::string, LonLatTransforms> prototypes;
  const std::lock_guard<std::mutex> lock(mutex);
  auto found = prototypes.find(crs_wkt);
  if (found == prototypes.end()) {
    OGRSpatialReference lonlat;
    lonlat.importFromEPSG(4326);
    lonlat.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
    LonLatTransforms made;
    made.to_lonlat.reset(OGRCreateCoordinateTransformation(&crs, &lonlat));
    made.from_lonlat.reset(OGRCreateCoordinateTransformation(&lonlat, &crs));
    if (!made.to_lonlat || !made.from_lonlat) return {};
    found = prototypes.emplace(crs_wkt, std::move(made)).first;
  }
  return {std::unique_ptr<OGRCoordinateTransformation>(found->second.to_lonlat->Clone()),
          std::unique_ptr<OGRCoordinateTransformation>(found->second.from_lonlat->Clone())};
}

std::string describe_window(int x0, int y0, int width, int height) {
  return "window at (" + std::to_string(x0) + ", " + std::to_string(y0) + ") of " + std::to_string(width) + " x " +
         std::to_string(height) + " pixels";
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

constexpr GIntBig kGdalBlockCacheBytes = 256LL << 20;

void ensure_gdal_registered() {
  static std::once_flag registered;
  std::call_once(registered, [] {
    GDALAllRegister();
    // GDAL's own threads (the GTiff decoder's, with NUM_THREADS) report errors to the default handler, as they run
    // under no handler of ours. Each failure reaches the user as campscope's one-line error instead: the thread
    // that asked for the work sees it fail and reads the reason under QuietGdalErrors.
    CPLSetErrorHandler(CPLQuietErrorHandler);
    // Blocks are read once, in order, so the block cache only has to hold a row of blocks with their halo.
    // GDAL's default (5% of RAM) would let memory grow with the scene; GDAL_CACHEMAX still overrides this.
    if (CPLGetConfigOption("GDAL_CACHEMAX", nullptr) == nullptr) GDALSetCacheMax64(kGdalBlockCacheBytes);
  });
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

void TileReader::TransformerDestroyer::operator()(void* transformer) const { GDALDestroyTransformer(transformer); }

TileReader::TileReader(const std::string& path, int decode_threads) : decode_threads_(decode_threads) {
  ensure_gdal_registered();
  QuietGdalErrors quiet;
  info_.path = path;
  // GTiff decompresses the blocks a read touches on this many threads (other drivers ignore the option).
  const std::string threads_option = "NUM_THREADS=" + std::to_string(decode_threads_ > 1 ? decode_threads_ : 1);
  const char* const open_options[] = {threads_option.c_str(), nullptr};
  file_.reset(GDALDataset::FromHandle(GDALOpenEx(path.c_str(),
                                                 GDAL_OF_RASTER | GDAL_OF_READONLY | GDAL_OF_VERBOSE_ERROR, nullptr,
                                                 open_options, nullptr)));
  if (!file_) throw InputError(with_reason(path + ": cannot open as a raster image", quiet.last_error()));
  pixels_ = file_.get();

  info_.width = file_->GetRasterXSize();
  info_.height = file_->GetRasterYSize();
  info_.bands = file_->GetRasterCount();
  file_width_ = info_.width;
  file_height_ = info_.height;
  if (info_.width <= 0 || info_.height <= 0) {
    throw InputError(path + ": empty raster (" + std::to_string(info_.width) + " x " + std::to_string(info_.height) +
                     " pixels)");
  }
  if (info_.bands != 1 && info_.bands != 3 && info_.bands != 4) {
    throw InputError(path + ": has " + std::to_string(info_.bands) +
                     " bands; expected 1 (grey), 3 (RGB) or 4 (RGB + alpha or NIR)");
  }
  const GDALDataType type = file_->GetRasterBand(1)->GetRasterDataType();
  for (int b = 1; b <= info_.bands; ++b) {
    const GDALDataType band_type = file_->GetRasterBand(b)->GetRasterDataType();
    if (band_type != GDT_Byte && band_type != GDT_UInt16) {
      throw InputError(path + ": band " + std::to_string(b) + " has data type " + GDALGetDataTypeName(band_type) +
                       "; expected Byte or UInt16");
    }
    if (band_type != type) throw InputError(path + ": bands have different data types");
  }
  uint16_ = type == GDT_UInt16;
  used_bands_ = info_.bands == 1 ? 1 : 3;
  alpha_band_ = info_.bands == 4 && file_->GetRasterBand(4)->GetColorInterpretation() == GCI_AlphaBand;
  if (info_.bands == 1 && file_->GetRasterBand(1)->GetColorInterpretation() == GCI_PaletteIndex) {
    throw InputError(path + ": is a paletted image; expected grey or RGB values");
  }

  const OGRSpatialReference* file_crs = file_->GetSpatialRef();
  if (file_->GetGeoTransform(info_.transform.gt) != CE_None || file_crs == nullptr || file_crs->IsEmpty()) {
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
  if (!crs.IsProjected() && !crs.IsGeographic()) throw InputError(path + ": CRS is neither projected nor geographic");
  use_crs(crs);

  double ground_x_m = 0.0;
  double ground_y_m = 0.0;
  measure_ground_pixel(ground_x_m, ground_y_m);
  // The detector sizes objects in pixels from gsd_m, so pixels must be square on the ground and the CRS unit must
  // be a ground metre there (not so for degrees, or for Web Mercator away from the equator).
  const double metres_per_unit = crs.IsProjected() ? crs.GetLinearUnits() : 0.0;
  const double unit_x_m = gt[1] * metres_per_unit;
  const double unit_y_m = -gt[5] * metres_per_unit;
  const auto within_1_percent = [](double a, double b) { return std::abs(a - b) <= 0.01 * std::max(a, b); };
  if (crs.IsProjected() && within_1_percent(ground_x_m, ground_y_m) && within_1_percent(unit_x_m, ground_x_m) &&
      within_1_percent(unit_y_m, ground_y_m)) {
    info_.gsd_m = 0.5 * (unit_x_m + unit_y_m);
  } else {
    open_resampled(ground_x_m, ground_y_m);
  }

  if (uint16_) compute_uint16_scale();
}

TileReader::~TileReader() = default;

void TileReader::use_crs(const OGRSpatialReference& crs) {
  char* wkt = nullptr;
  const char* const wkt_options[] = {"FORMAT=WKT2_2019", nullptr};
  if (crs.exportToWkt(&wkt, wkt_options) != OGRERR_NONE || wkt == nullptr) {
    CPLFree(wkt);
    throw InputError(with_reason(info_.path + ": CRS cannot be written as WKT", CPLGetLastErrorMsg()));
  }
  info_.crs_wkt = wkt;
  CPLFree(wkt);

  LonLatTransforms transforms = lonlat_transforms(crs, info_.crs_wkt);
  to_lonlat_ = std::move(transforms.to_lonlat);
  from_lonlat_ = std::move(transforms.from_lonlat);
  if (!to_lonlat_ || !from_lonlat_) {
    throw InputError(
        with_reason(info_.path + ": no transformation between the tile CRS and lon/lat", CPLGetLastErrorMsg()));
  }
}

// Ground length of one pixel step along x and along y at the tile centre, from lon/lat on the WGS84 ellipsoid
// (a datum shift moves the tile, it does not change its scale measurably).
void TileReader::measure_ground_pixel(double& x_m, double& y_m) const {
  const double cx = 0.5 * info_.width;
  const double cy = 0.5 * info_.height;
  const double px[4] = {cx - 0.5, cx + 0.5, cx, cx};
  const double py[4] = {cy, cy, cy - 0.5, cy + 0.5};
  double lon[4], lat[4];
  for (int i = 0; i < 4; ++i) {
    info_.transform.pixel_to_world(px[i], py[i], lon[i], lat[i]);
    if (!to_lonlat_->Transform(1, &lon[i], &lat[i]) || !std::isfinite(lon[i]) || !(std::abs(lat[i]) <= 90.0)) {
      std::ostringstream message;
      message << info_.path << ": the tile centre (" << cx << ", " << cy << ") has no lon/lat on Earth";
      throw InputError(message.str());
    }
  }
  double per_lat = 0.0;
  double per_lon = 0.0;
  metres_per_degree(kWgs84SemiMajor, kWgs84InverseFlattening, 0.25 * (lat[0] + lat[1] + lat[2] + lat[3]), per_lat,
                    per_lon);
  const auto length = [&](int a, int b) {
    const double dlon = std::remainder(lon[b] - lon[a], 360.0);
    return std::hypot(dlon * per_lon, (lat[b] - lat[a]) * per_lat);
  };
  x_m = length(0, 1);
  y_m = length(2, 3);
  if (!(x_m > 0.0) || !(y_m > 0.0)) {
    throw InputError(info_.path + ": pixels have no size on the ground at the tile centre");
  }
}

void TileReader::open_resampled(double ground_x_m, double ground_y_m) {
  double centre_lon = 0.0;
  double centre_lat = 0.0;
  pixel_to_lonlat(0.5 * info_.width, 0.5 * info_.height, centre_lon, centre_lat);
  const int zone = static_cast<int>(std::floor((centre_lon + 180.0) / 6.0)) % 60 + 1;
  const int epsg = (centre_lat >= 0.0 ? 32600 : 32700) + zone;
  OGRSpatialReference utm;
  if (utm.importFromEPSG(epsg) != OGRERR_NONE) {
    throw InputError(with_reason(info_.path + ": cannot set up UTM (EPSG:" + std::to_string(epsg) + ")",
                                 CPLGetLastErrorMsg()));
  }
  utm.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  const std::string utm_name = "UTM zone " + std::to_string(zone) + (centre_lat >= 0.0 ? "N" : "S");
  // One grid has one GSD, but transverse Mercator stretches the ground by about 1 + d^2/2 at d radians of ground
  // east or west of the central meridian: keep that within 1% over the whole footprint (its corners and edges).
  const double central_meridian = zone * 6.0 - 183.0;
  for (int k = 0; k < 9; ++k) {
    double lon = 0.0;
    double lat = 0.0;
    pixel_to_lonlat(0.5 * (k % 3) * info_.width, 0.5 * (k / 3) * info_.height, lon, lat);
    const double east = std::remainder(lon - central_meridian, 360.0) * kPi / 180.0 * std::cos(lat * kPi / 180.0);
    if (!(0.5 * east * east <= 0.01)) {
      throw InputError(info_.path + ": footprint is too large to resample onto one grid in " + utm_name);
    }
  }
  char* utm_wkt = nullptr;
  utm.exportToWkt(&utm_wkt);
  const std::string dst_srs = std::string("DST_SRS=") + (utm_wkt ? utm_wkt : "");
  CPLFree(utm_wkt);
  const char* const transformer_options[] = {dst_srs.c_str(), nullptr};
  const auto file_to_utm = [&] {
    void* transformer = GDALCreateGenImgProjTransformer2(GDALDataset::ToHandle(file_.get()), nullptr,
                                                        const_cast<char**>(transformer_options));
    if (transformer == nullptr) {
      throw InputError(
          with_reason(info_.path + ": cannot be reprojected to " + utm_name, CPLGetLastErrorMsg()));
    }
    return transformer;
  };

  // The footprint's bounding box in UTM, tiled with square pixels of the ground sampling distance at the centre.
  const double gsd = std::sqrt(ground_x_m * ground_y_m);
  double extent[4] = {0, 0, 0, 0};  // min x, min y, max x, max y
  {
    std::unique_ptr<void, TransformerDestroyer> transformer(file_to_utm());
    double suggested[6];
    int suggested_width = 0;
    int suggested_height = 0;
    if (GDALSuggestedWarpOutput2(GDALDataset::ToHandle(file_.get()), GDALGenImgProjTransform, transformer.get(),
                                 suggested, &suggested_width, &suggested_height, extent, 0) != CE_None) {
      throw InputError(with_reason(info_.path + ": cannot find the footprint in " + utm_name, CPLGetLastErrorMsg()));
    }
  }
  const double width = std::ceil((extent[2] - extent[0]) / gsd - 1e-6);
  const double height = std::ceil((extent[3] - extent[1]) / gsd - 1e-6);
  const double file_pixels = static_cast<double>(info_.width) * info_.height;
  // A footprint within the zone gives about as many pixels as the file has (a little more where the grid turns
  // against the file); this guards the int sizes should it not.
  if (!(width >= 1.0 && height >= 1.0) || width * height > 4.0 * file_pixels + 64.0 || width >= INT_MAX ||
      height >= INT_MAX) {
    std::ostringstream message;
    message << info_.path << ": cannot be resampled into " << utm_name << " (would be " << width << " x " << height
            << " pixels)";
    throw InputError(message.str());
  }
  double grid[6] = {extent[0], gsd, 0.0, extent[3], 0.0, -gsd};
  const auto grid_to_file = [&] {
    void* exact = file_to_utm();
    GDALSetGenImgProjTransformerDstGeoTransform(exact, grid);
    void* approximate = GDALCreateApproxTransformer(GDALGenImgProjTransform, exact, kWarpMaxErrorPx);
    GDALApproxTransformerOwnsSubtransformer(approximate, TRUE);
    return approximate;
  };

  const std::unique_ptr<GDALWarpOptions, void (*)(GDALWarpOptions*)> warp(GDALCreateWarpOptions(),
                                                                        GDALDestroyWarpOptions);
  warp->hSrcDS = GDALDataset::ToHandle(file_.get());
  warp->eResampleAlg = GRA_Bilinear;
  warp->eWorkingDataType = uint16_ ? GDT_UInt16 : GDT_Byte;
  warp->nBandCount = used_bands_;
  warp->panSrcBands = static_cast<int*>(CPLMalloc(sizeof(int) * used_bands_));
  warp->panDstBands = static_cast<int*>(CPLMalloc(sizeof(int) * used_bands_));
  bool any_nodata = false;
  std::vector<double> nodata(used_bands_, kNeverASample);
  for (int b = 0; b < used_bands_; ++b) {
    warp->panSrcBands[b] = warp->panDstBands[b] = b + 1;
    int has_nodata = FALSE;
    const double value = file_->GetRasterBand(b + 1)->GetNoDataValue(&has_nodata);
    if (has_nodata) {
      nodata[b] = value;
      any_nodata = true;
    }
  }
  if (any_nodata) {
    // Keeps nodata samples out of the interpolated colours of their valid neighbours.
    warp->padfSrcNoDataReal = static_cast<double*>(CPLMalloc(sizeof(double) * used_bands_));
    std::copy(nodata.begin(), nodata.end(), warp->padfSrcNoDataReal);
    warp->papszWarpOptions = CSLSetNameValue(warp->papszWarpOptions, "UNIFIED_SRC_NODATA", "NO");
  }
  warp->nSrcAlphaBand = alpha_band_ ? 4 : 0;
  alpha_out_band_ = used_bands_ + 1;
  warp->nDstAlphaBand = alpha_out_band_;
  warp->papszWarpOptions = CSLSetNameValue(warp->papszWarpOptions, "INIT_DEST", "0");
  // Plain 2 x 2 bilinear: the grids differ in scale by a few tens of percent at most, too little for GDAL's
  // widened anti-aliasing kernel to matter, and that kernel halves the warp's speed.
  warp->papszWarpOptions = CSLSetNameValue(warp->papszWarpOptions, "XSCALE", "1");
  warp->papszWarpOptions = CSLSetNameValue(warp->papszWarpOptions, "YSCALE", "1");
  warp->pfnTransformer = GDALApproxTransform;
  warp->pTransformerArg = grid_to_file();

  // The VRT takes ownership of the transformer and of one reference to the file.
  GDALReferenceDataset(GDALDataset::ToHandle(file_.get()));
  resampled_.reset(GDALDataset::FromHandle(GDALCreateWarpedVRT(GDALDataset::ToHandle(file_.get()),
                                                               static_cast<int>(width), static_cast<int>(height),
                                                               grid, warp.get())));
  if (!resampled_) {
    throw InputError(with_reason(info_.path + ": cannot set up resampling into " + utm_name, CPLGetLastErrorMsg()));
  }
  resampled_->SetSpatialRef(&utm);
  pixels_ = resampled_.get();
  to_file_pixel_.reset(grid_to_file());

  info_.resampled = true;
  info_.width = static_cast<int>(width);
  info_.height = static_cast<int>(height);
  std::copy(grid, grid + 6, info_.transform.gt);
  info_.gsd_m = gsd;
  use_crs(utm);
}

SampleStretch::SampleStretch(unsigned stretch_max) : table_(65536, 255) {
  if (stretch_max == 0) throw std::invalid_argument("SampleStretch: the sample mapped to 255 must be positive");
  // Entry v is (255 v + stretch_max / 2) / stretch_max below stretch_max, rounded half up. The numerator grows by 255
  // a step, so the quotient is carried along with its remainder instead of divided out 65536 times (a division
  // each was a tenth of a block's conversion).
  const unsigned step_quotient = 255u / stretch_max, step_remainder = 255u % stretch_max;
  unsigned quotient = (stretch_max / 2) / stretch_max, remainder = (stretch_max / 2) % stretch_max;
  for (unsigned value = 0; value < std::min(stretch_max, 65536u); ++value) {
    table_[value] = static_cast<std::uint8_t>(quotient);
    quotient += step_quotient;
    remainder += step_remainder;
    if (remainder >= stretch_max) {
      remainder -= stretch_max;
      ++quotient;
    }
  }
}

namespace {

// `to_byte` is taken by value: a copy on the stack is one the stores to `rgb` (bytes, which may alias anything)
// cannot change, so its table pointer stays in a register.
template <typename Sample, typename ToByte>
void convert_run(const Sample* samples, int stride, bool grey, std::size_t pixels, ToByte to_byte, std::uint8_t* rgb) {
  if (grey) {
    for (std::size_t i = 0; i < pixels; ++i)
      rgb[i * 3] = rgb[i * 3 + 1] = rgb[i * 3 + 2] = to_byte(samples[i * stride]);
  } else if (stride == 4) {
    // The usual 16-bit delivery, R, G, B, NIR: four pixels make three whole words, stored at once instead of twelve
    // byte stores.
    std::size_t i = 0;
    for (; i + 4 <= pixels; i += 4) {
      const Sample* s = samples + i * 4;
      std::uint32_t words[3];
      std::uint8_t* bytes = reinterpret_cast<std::uint8_t*>(words);
      for (int p = 0; p < 4; ++p)
        for (int c = 0; c < 3; ++c) bytes[p * 3 + c] = to_byte(s[p * 4 + c]);
      std::memcpy(rgb + i * 3, words, sizeof words);
    }
    for (; i < pixels; ++i)
      for (int c = 0; c < 3; ++c) rgb[i * 3 + c] = to_byte(samples[i * 4 + c]);
  } else {
    for (std::size_t i = 0; i < pixels; ++i)
      for (int c = 0; c < 3; ++c) rgb[i * 3 + c] = to_byte(samples[i * stride + c]);
  }
}

// In runs of pixels on the CPU threads that are free (all of them when the caller is the only one converting).
template <typename Sample, typename ToByte>
void convert_samples(const Sample* samples, int stride, bool grey, std::size_t pixels, ToByte to_byte,
                     std::uint8_t* rgb) {
  constexpr std::size_t kRun = 16384;
  parallel_for_cpu(static_cast<std::int64_t>((pixels + kRun - 1) / kRun), [=](std::int64_t run) {
    const std::size_t begin = static_cast<std::size_t>(run) * kRun;
    const std::size_t count = std::min(kRun, pixels - begin);
    convert_run(samples + begin * stride, stride, grey, count, to_byte, rgb + begin * 3);
  });
}

}  // namespace

void samples_to_rgb(const std::uint16_t* samples, int stride, bool grey, std::size_t pixels,
                    const SampleStretch& stretch, std::uint8_t* rgb) {
  const std::uint8_t* const table = stretch.table();
  convert_samples(samples, stride, grey, pixels, [table](std::uint16_t sample) { return table[sample]; }, rgb);
}

void samples_to_rgb(const std::uint8_t* samples, int stride, bool grey, std::size_t pixels, std::uint8_t* rgb) {
  convert_samples(samples, stride, grey, pixels, [](std::uint8_t sample) { return sample; }, rgb);
}

namespace {

// The count of each sample value 0..buckets-1 of a file band, approximate (GDAL samples the blocks) or exact. The
// base-class call skips GDAL's PAM override, which would cache the histogram in a .aux.xml file next to the user's
// tile.
std::vector<GUIntBig> sample_histogram(const std::string& path, GDALRasterBand& band, int band_number, int buckets,
                                       bool approximate) {
  std::vector<GUIntBig> histogram(static_cast<std::size_t>(buckets));
  if (band.GDALRasterBand::GetHistogram(-0.5, buckets - 0.5, buckets, histogram.data(), FALSE, approximate,
                                        GDALDummyProgress, nullptr) != CE_None) {
    throw InputError(with_reason(path + ": cannot compute the histogram of band " + std::to_string(band_number),
                                 CPLGetLastErrorMsg()));
  }
  return histogram;
}

}  // namespace

void TileReader::compute_uint16_scale() {
  constexpr int kBuckets = 65536;
  std::vector<GUIntBig> total(kBuckets, 0);
  for (int b = 1; b <= used_bands_; ++b) {
    // Approximate (subsampled) so big tiles are not read in full. Taken from the file itself: resampling does not
    // move the percentile, and would cost a warp.
    const std::vector<GUIntBig> band = sample_histogram(info_.path, *file_->GetRasterBand(b), b, kBuckets, true);
    for (int v = 0; v < kBuckets; ++v) total[v] += band[v];
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
  stretch_.emplace(percentile > 0 ? percentile : 1);
}

// Haze adds the same veil of light to every pixel of a tile, channel by channel: a share of the haze's colour,
// with the rest of the signal dimmed by as much. A clear scene's darkest pixels (shadows, asphalt, dark canopies) lie
// below kClearDarkLevel in every channel; in a hazy one they are lifted above it, glass and shadow no longer look
// dark beside their ground, and every contrast shrinks. A tile is hazy when in some channel the darkest half percent
// of its imaged samples lies above kHazeLevel; then in each channel whose darkest samples lie above kClearDarkLevel
// the excess is taken for the veil: it is subtracted and the rest stretched so that 255 stays 255 (dark-object
// subtraction). The generated hard profile's tiles measured 60-145, default ones 40-80, the KIT aerial mosaics
// 34-60. Measured on the tile's whole histograms, so the correction is one per tile whatever the blocks; samples of
// 0 and the band's nodata value are left out (a tile's unimaged margin).
constexpr int kClearDarkLevel = 60;
constexpr int kHazeLevel = 90;

// Per used band, the sample value left out of the dark levels besides 0: the band's nodata value, where a sample
// can take it.
struct TileReader::DarkSampleRule {
  std::array<bool, 3> has_nodata{};
  std::array<unsigned, 3> nodata{};
};

TileReader::DarkSampleRule TileReader::dark_sample_rule() const {
  DarkSampleRule rule;
  const unsigned buckets = uint16_ ? 65536 : 256;
  for (int b = 0; b < used_bands_; ++b) {
    int has_nodata = 0;
    const double nodata = file_->GetRasterBand(b + 1)->GetNoDataValue(&has_nodata);
    if (has_nodata && nodata >= 0.0 && nodata < buckets && nodata == std::floor(nodata)) {
      rule.has_nodata[static_cast<std::size_t>(b)] = true;
      rule.nodata[static_cast<std::size_t>(b)] = static_cast<unsigned>(nodata);
    }
  }
  return rule;
}

// Per channel, the level below which the darkest half percent of the counted samples lie.
std::array<int, 3> TileReader::dark_levels(const LevelCounts& levels) const {
  constexpr double kDarkShare = 0.005;
  std::array<int, 3> darks{};
  for (int c = 0; c < used_bands_; ++c) {
    const auto& counts = levels[static_cast<std::size_t>(c)];
    std::uint64_t total = 0;
    for (std::uint64_t n : counts) total += n;
    int dark = 0;
    for (std::uint64_t below = 0; dark < 255 && static_cast<double>(below + counts[dark]) < kDarkShare * total; ++dark)
      below += counts[dark];
    darks[static_cast<std::size_t>(c)] = total > 0 ? dark : 0;
  }
  if (used_bands_ == 1) darks[1] = darks[2] = darks[0];
  return darks;
}

// The same levels from GDAL's histograms of the file's bands.
TileReader::LevelCounts TileReader::file_level_counts(bool approximate) const {
  const DarkSampleRule rule = dark_sample_rule();
  LevelCounts levels{};
  for (int b = 1; b <= used_bands_; ++b) {
    const std::size_t c = static_cast<std::size_t>(b - 1);
    const int buckets = uint16_ ? 65536 : 256;
    std::vector<GUIntBig> histogram = sample_histogram(info_.path, *file_->GetRasterBand(b), b, buckets, approximate);
    histogram[0] = 0;
    if (rule.has_nodata[c]) histogram[rule.nodata[c]] = 0;
    for (int v = 0; v < buckets; ++v)
      levels[c][uint16_ ? (*stretch_)(static_cast<std::uint16_t>(v)) : v] += histogram[v];
  }
  return levels;
}

// The tile's samples just read, all of them: counted on the CPU threads in runs, each run's counts kept apart so
// that the sum does not depend on which thread counted what. Every sample is counted, in two tables a channel taking
// alternate pixels (an increment need not wait for the last one to the same bucket), and the samples left out are
// taken off after: an 8-bit level is its sample, a 16-bit one is shared by several samples, so for 16 bits those left
// out are counted on the side.
template <typename Sample>
TileReader::LevelCounts TileReader::sample_level_counts(const Sample* samples, int stride, std::size_t pixels) const {
  constexpr bool kStretched = std::is_same_v<Sample, std::uint16_t>;
  const DarkSampleRule rule = dark_sample_rule();
  const std::uint8_t* const table = kStretched ? stretch_->table() : nullptr;
  const auto level = [table](unsigned sample) { return kStretched ? table[sample] : sample; };
  const int channels = used_bands_;
  constexpr std::size_t kRun = 65536;
  struct RunCounts {
    std::array<std::array<std::array<std::uint32_t, 256>, 3>, 2> levels;  // [pixel parity][channel][level]
    std::array<std::uint32_t, 3> zeros, nodata;                            // 16 bits only
  };
  const std::size_t runs = (pixels + kRun - 1) / kRun;
  std::vector<RunCounts> run_counts(runs);
  parallel_for_cpu(static_cast<std::int64_t>(runs), [&](std::int64_t run) {
    RunCounts& counts = run_counts[static_cast<std::size_t>(run)];
    counts.levels = {};
    std::uint32_t zeros[3] = {0, 0, 0}, nodata[3] = {0, 0, 0};
    const std::size_t begin = static_cast<std::size_t>(run) * kRun, end = std::min(pixels, begin + kRun);
    for (std::size_t i = begin; i < end; ++i) {
      const Sample* pixel = samples + i * stride;
      auto& tables = counts.levels[i & 1];
      for (int c = 0; c < channels; ++c) {
        ++tables[c][level(pixel[c])];
        if constexpr (kStretched) {
          zeros[c] += pixel[c] == 0;
          nodata[c] += pixel[c] == rule.nodata[c];
        }
      }
    }
    for (int c = 0; c < 3; ++c) {
      counts.zeros[c] = zeros[c];
      counts.nodata[c] = nodata[c];
    }
  });
  LevelCounts levels{};
  for (int c = 0; c < channels; ++c) {
    auto& channel = levels[static_cast<std::size_t>(c)];
    for (const RunCounts& counts : run_counts) {
      for (std::size_t v = 0; v < 256; ++v) channel[v] += counts.levels[0][c][v] + counts.levels[1][c][v];
      if constexpr (kStretched) {
        channel[level(0)] -= counts.zeros[c];
        if (rule.has_nodata[c] && rule.nodata[c] != 0) channel[level(rule.nodata[c])] -= counts.nodata[c];
      }
    }
    if constexpr (!kStretched) {
      channel[0] = 0;
      if (rule.has_nodata[c]) channel[rule.nodata[c]] = 0;
    }
  }
  return levels;
}

// GDAL's approximate histogram is the cheap check for a tile read block by block: it samples whole blocks, and where
// they miss a tile's clustered shadows it reads the dark levels up to 30 too high (default tiles: 45-84 against 40-80
// exact), now and then a few too low. A tile that may be hazy by it is measured exactly.
void TileReader::measure_haze_of_file() {
  const std::array<int, 3> approximate = dark_levels(file_level_counts(true));
  if (*std::max_element(approximate.begin(), approximate.end()) <= kHazeLevel) return;
  set_haze(dark_levels(file_level_counts(false)));
}

void TileReader::set_haze(const std::array<int, 3>& darks) {
  if (*std::max_element(darks.begin(), darks.end()) <= kHazeLevel) return;
  std::array<std::array<std::uint8_t, 256>, 3> tables;
  for (std::size_t c = 0; c < 3; ++c) {
    const int veil = darks[c] > kClearDarkLevel ? darks[c] - kClearDarkLevel : 0;
    for (int v = 0; v < 256; ++v) {
      const int clear = veil == 0 ? v : (std::max(0, v - veil) * 255 + (255 - veil) / 2) / (255 - veil);
      tables[c][static_cast<std::size_t>(v)] = static_cast<std::uint8_t>(clear);
    }
  }
  dehaze_ = tables;
}

void TileReader::remove_haze(RgbBlock& out) const {
  const auto& tables = *dehaze_;
  const std::size_t pixels = out.valid.size();
  constexpr std::size_t kRun = 16384;
  parallel_for_cpu(static_cast<std::int64_t>((pixels + kRun - 1) / kRun), [&](std::int64_t run) {
    const std::size_t begin = static_cast<std::size_t>(run) * kRun, end = std::min(pixels, begin + kRun);
    for (std::size_t i = begin; i < end; ++i)
      for (std::size_t c = 0; c < 3; ++c) out.rgb[i * 3 + c] = tables[c][out.rgb[i * 3 + c]];
  });
}

void TileReader::read(const BlockWindow& window, RgbBlock& out) {
  if (window.width <= 0 || window.height <= 0 || window.x0 < 0 || window.y0 < 0 ||
      window.x0 > info_.width - window.width || window.y0 > info_.height - window.height) {
    throw std::out_of_range(info_.path + ": " + describe_window(window.x0, window.y0, window.width, window.height) +
                            " is outside the " + std::to_string(info_.width) + " x " + std::to_string(info_.height) +
                            " raster");
  }
  QuietGdalErrors quiet;
  // On the first read: a reader opened only to validate a tile or to convert coordinates never pays for it. A first
  // read of the whole file counts the samples it has decoded; any other asks GDAL for the file's histograms, which
  // decodes blocks once more.
  const bool whole_file = !resampled_ && window.x0 == 0 && window.y0 == 0 && window.width == info_.width &&
                          window.height == info_.height;
  if (!haze_measured_ && !whole_file) {
    measure_haze_of_file();
    haze_measured_ = true;
  }
  out.x0 = window.x0;
  out.y0 = window.y0;
  out.width = window.width;
  out.height = window.height;
  try {
    // Measured only once the read succeeds: a read that fails leaves the next one to measure.
    if (uint16_) {
      read_rgb<std::uint16_t>(window, out, !haze_measured_);
    } else {
      read_rgb<std::uint8_t>(window, out, !haze_measured_);
    }
    haze_measured_ = true;
  } catch (const InputError&) {
    // A block that failed on a decoding thread left its reason on that thread: read once more on this one alone.
    if (decode_threads_ <= 1) throw;
    TileReader(info_.path, 1).read(window, out);
    return;
  }
  if (resampled_) {
    clear_invalid_resampled_pixels(window, out);
  } else {
    clear_invalid_file_pixels(window.x0, window.y0, window.width, window.height, out.valid.data(), true);
  }
  if (dehaze_) remove_haze(out);
}

template <typename Sample>
void TileReader::read_rgb(const BlockWindow& window, RgbBlock& out, bool measure_haze) {
  const std::size_t pixels = static_cast<std::size_t>(window.width) * window.height;
  // When resampled, the warp's alpha band (right after the colour bands) says which pixels it produced at all.
  const int read_bands = resampled_ ? alpha_out_band_ : used_bands_;
  out.rgb.resize(pixels * 3);
  out.valid.assign(pixels, 1);
  // 8-bit RGB straight from the file is read in its final layout: a staging copy and conversion pass would cost
  // as much again as the decode.
  const bool direct = std::is_same_v<Sample, std::uint8_t> && !resampled_ && used_bands_ == 3;
  std::vector<Sample> staging(direct ? 0 : pixels * read_bands);
  Sample* const samples = direct ? reinterpret_cast<Sample*>(out.rgb.data()) : staging.data();
  int band_map[] = {1, 2, 3, 4};
  const GSpacing sample_size = sizeof(Sample);
  const CPLErr status = pixels_->RasterIO(
      GF_Read, window.x0, window.y0, window.width, window.height, samples, window.width, window.height,
      uint16_ ? GDT_UInt16 : GDT_Byte, read_bands, band_map, sample_size * read_bands,
      sample_size * read_bands * window.width, sample_size, nullptr);
  if (status != CE_None) {
    throw InputError(with_reason(
        info_.path + ": cannot read the " + describe_window(window.x0, window.y0, window.width, window.height),
        CPLGetLastErrorMsg()));
  }
  if (!resampled_) clear_nodata_pixels(samples, read_bands, pixels, out.valid.data());
  if (measure_haze) set_haze(dark_levels(sample_level_counts(samples, read_bands, pixels)));
  if (direct) return;

  if constexpr (std::is_same_v<Sample, std::uint16_t>) {
    samples_to_rgb(samples, read_bands, used_bands_ == 1, pixels, *stretch_, out.rgb.data());
  } else {
    samples_to_rgb(samples, read_bands, used_bands_ == 1, pixels, out.rgb.data());
  }
  if (resampled_) {
    for (std::size_t i = 0; i < pixels; ++i) {
      if (samples[i * read_bands + used_bands_] == 0) out.valid[i] = 0;
    }
  }
}

// GDAL's nodata mask of a band is "sample == nodata"; tested on the samples just read, rather than by reading each
// band's mask band, which would take every sample through the block cache once more per band.
template <typename Sample>
void TileReader::clear_nodata_pixels(const Sample* samples, int sample_stride, std::size_t pixels,
                                     std::uint8_t* valid) {
  // Per colour band: whether it has a nodata value some sample can take, and that value.
  bool masks[3] = {false, false, false};
  Sample nodata[3] = {0, 0, 0};
  for (int b = 0; b < used_bands_; ++b) {
    GDALRasterBand* band = file_->GetRasterBand(b + 1);
    if (band->GetMaskFlags() != GMF_NODATA) continue;
    const double value = band->GetNoDataValue();
    if (!(value >= 0.0 && value <= std::numeric_limits<Sample>::max() && value == std::floor(value))) continue;
    masks[b] = true;
    nodata[b] = static_cast<Sample>(value);
  }
  if (!masks[0] && !masks[1] && !masks[2]) return;
  // One pass over the pixels with all three tests in it, of fixed shape and branch-free so that it vectorises, in
  // runs on the CPU threads. A grey tile has one band: its missing bands test band 0 again, unmasked.
  const int second = used_bands_ > 1 ? 1 : 0, third = used_bands_ > 2 ? 2 : 0;
  constexpr std::size_t kRun = 16384;
  parallel_for_cpu(static_cast<std::int64_t>((pixels + kRun - 1) / kRun), [=](std::int64_t run) {
    const std::size_t begin = static_cast<std::size_t>(run) * kRun, end = std::min(pixels, begin + kRun);
    for (std::size_t i = begin; i < end; ++i) {
      const Sample* pixel = samples + i * sample_stride;
      const bool masked = (masks[0] & (pixel[0] == nodata[0])) | (masks[1] & (pixel[second] == nodata[1])) |
                          (masks[2] & (pixel[third] == nodata[2]));
      valid[i] &= static_cast<std::uint8_t>(!masked);
    }
  });
}

// The file's masks and alpha; nodata masks too unless clear_nodata_pixels has applied them already.
void TileReader::clear_invalid_file_pixels(int x0, int y0, int width, int height, std::uint8_t* valid,
                                           bool nodata_applied) {
  const std::size_t pixels = static_cast<std::size_t>(width) * height;
  std::vector<std::uint8_t> mask;
  auto apply = [&](GDALRasterBand* band, const std::string& what) {
    mask.resize(pixels);
    if (band->RasterIO(GF_Read, x0, y0, width, height, mask.data(), width, height, GDT_Byte, 0, 0, nullptr) !=
        CE_None) {
      throw InputError(with_reason(
          info_.path + ": cannot read the " + what + " of the " + describe_window(x0, y0, width, height),
          CPLGetLastErrorMsg()));
    }
    for (std::size_t i = 0; i < pixels; ++i) {
      if (mask[i] == 0) valid[i] = 0;
    }
  };
  bool dataset_mask_applied = false;
  bool alpha_applied = false;
  for (int b = 1; b <= used_bands_; ++b) {
    GDALRasterBand* band = file_->GetRasterBand(b);
    const int flags = band->GetMaskFlags();
    if ((flags & GMF_ALL_VALID) || (nodata_applied && flags == GMF_NODATA)) continue;
    if (flags & GMF_PER_DATASET) {
      if (dataset_mask_applied) continue;
      dataset_mask_applied = true;
    }
    if (flags & GMF_ALPHA) alpha_applied = true;
    apply(band->GetMaskBand(), "mask of band " + std::to_string(b));
  }
  // GDAL ignores the alpha band when the tile also declares nodata; alpha still marks pixels that were never imaged.
  if (alpha_band_ && !alpha_applied) apply(file_->GetRasterBand(4), "alpha band");
}

// A resampled pixel is valid when the file pixel nearest to its centre is: interpolation must not let imaged
// pixels spread into nodata, nor nodata eat into imaged pixels.
void TileReader::clear_invalid_resampled_pixels(const BlockWindow& window, RgbBlock& out) {
  const std::size_t pixels = static_cast<std::size_t>(window.width) * window.height;
  std::vector<int> file_x(pixels, -1);
  std::vector<int> file_y(pixels, -1);
  // The approximate transformer interpolates along each run of points it is given, so runs are fixed stretches of
  // the grid's rows, not of the window: a pixel gets the same file pixel whichever block reads it.
  const int first_run = window.x0 / kValidityRun;
  const int end_run = (window.x0 + window.width - 1) / kValidityRun + 1;
  std::vector<double> x(kValidityRun), y(kValidityRun), z(kValidityRun);
  std::vector<int> success(kValidityRun);
  int min_x = INT_MAX, min_y = INT_MAX, max_x = -1, max_y = -1;
  for (int row = 0; row < window.height; ++row) {
    for (int run = first_run; run < end_run; ++run) {
      const int run_x0 = run * kValidityRun;
      const int run_length = std::min(kValidityRun, info_.width - run_x0);
      for (int k = 0; k < run_length; ++k) {
        x[k] = run_x0 + k + 0.5;
        y[k] = window.y0 + row + 0.5;
        z[k] = 0.0;
      }
      GDALUseTransformer(to_file_pixel_.get(), TRUE, run_length, x.data(), y.data(), z.data(), success.data());
      const int k_begin = std::max(0, window.x0 - run_x0);
      const int k_end = std::min(run_length, window.x0 + window.width - run_x0);
      for (int k = k_begin; k < k_end; ++k) {
        if (!success[k] || !(x[k] >= 0.0 && x[k] < file_width_) || !(y[k] >= 0.0 && y[k] < file_height_)) continue;
        const std::size_t i = static_cast<std::size_t>(row) * window.width + (run_x0 + k - window.x0);
        file_x[i] = static_cast<int>(x[k]);
        file_y[i] = static_cast<int>(y[k]);
        min_x = std::min(min_x, file_x[i]);
        max_x = std::max(max_x, file_x[i]);
        min_y = std::min(min_y, file_y[i]);
        max_y = std::max(max_y, file_y[i]);
      }
    }
  }
  std::vector<std::uint8_t> file_valid;
  const int span_x = max_x - min_x + 1;
  if (max_x >= 0) {
    file_valid.assign(static_cast<std::size_t>(span_x) * (max_y - min_y + 1), 1);
    clear_invalid_file_pixels(min_x, min_y, span_x, max_y - min_y + 1, file_valid.data(), false);
  }
  for (std::size_t i = 0; i < pixels; ++i) {
    if (file_x[i] < 0 ||
        file_valid[static_cast<std::size_t>(file_y[i] - min_y) * span_x + (file_x[i] - min_x)] == 0) {
      out.valid[i] = 0;
    }
  }
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
  lonlat_to_pixels(1, &lon, &lat, &px, &py);
}

void TileReader::lonlat_to_pixels(std::size_t count, const double* lon, const double* lat, double* px,
                                  double* py) const {
  if (count == 0) return;
  std::copy(lon, lon + count, px);
  std::copy(lat, lat + count, py);
  // A single point (a density grid's tent, a label) needs no buffer from the heap.
  int converted_one = FALSE;
  std::vector<int> converted_many(count > 1 ? count : 0, FALSE);
  int* const converted = count > 1 ? converted_many.data() : &converted_one;
  from_lonlat_->Transform(count, px, py, nullptr, converted);
  for (std::size_t i = 0; i < count; ++i) {
    if (!converted[i] || !std::isfinite(px[i]) || !std::isfinite(py[i])) {
      std::ostringstream message;
      message.precision(10);
      message << info_.path << ": lon/lat (" << lon[i] << ", " << lat[i] << ") cannot be converted to the tile CRS";
      throw InputError(message.str());
    }
    const double x = px[i], y = py[i];
    info_.transform.world_to_pixel(x, y, px[i], py[i]);
  }
}

}  // namespace campscope

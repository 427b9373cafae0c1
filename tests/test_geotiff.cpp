#include <gdal_priv.h>
#include <gtest/gtest.h>
#include <ogr_spatialref.h>
#include <stdlib.h>

#include <climits>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>

#include "campscope/image.h"
#include "campscope/types.h"
#include "geotiff.h"

namespace campscope {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "campscope-geotiff-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  fs::path path_;
};

struct TiffSpec {
  int width = 301;
  int height = 173;
  int bands = 3;
  GDALDataType type = GDT_Byte;
  int epsg = 32637;  // UTM 37N
  double gt[6] = {500000.0, 0.5, 0.0, 200000.0, 0.0, -0.5};
  bool set_geotransform = true;
  bool set_crs = true;
  bool has_nodata = false;
  double nodata = 0.0;
  GDALColorInterp band4 = GCI_Undefined;
  std::vector<std::string> options = {"TILED=YES", "BLOCKXSIZE=64", "BLOCKYSIZE=32"};
};

// `samples` is band-sequential: band b, row y, column x at [(b * height + y) * width + x].
void write_tiff(const std::string& path, const TiffSpec& spec, const std::vector<std::uint16_t>& samples) {
  ensure_gdal_registered();
  std::vector<const char*> options;
  for (const std::string& option : spec.options) options.push_back(option.c_str());
  options.push_back(nullptr);
  GDALDriver* driver = GetGDALDriverManager()->GetDriverByName("GTiff");
  GDALDataset* dataset = driver->Create(path.c_str(), spec.width, spec.height, spec.bands, spec.type,
                                        const_cast<char**>(options.data()));
  ASSERT_NE(dataset, nullptr);
  double gt[6];
  std::copy(spec.gt, spec.gt + 6, gt);
  if (spec.set_geotransform) dataset->SetGeoTransform(gt);
  if (spec.set_crs) {
    OGRSpatialReference crs;
    crs.importFromEPSG(spec.epsg);
    dataset->SetSpatialRef(&crs);
  }
  for (int b = 1; b <= spec.bands; ++b) {
    GDALRasterBand* band = dataset->GetRasterBand(b);
    if (spec.has_nodata) band->SetNoDataValue(spec.nodata);
    if (b == 4) band->SetColorInterpretation(spec.band4);
    const std::size_t band_size = static_cast<std::size_t>(spec.width) * spec.height;
    ASSERT_EQ(band->RasterIO(GF_Write, 0, 0, spec.width, spec.height,
                             const_cast<std::uint16_t*>(samples.data() + (b - 1) * band_size), spec.width,
                             spec.height, GDT_UInt16, 0, 0, nullptr),
              CE_None);
  }
  GDALClose(GDALDataset::ToHandle(dataset));
}

std::vector<std::uint16_t> random_samples(const TiffSpec& spec, std::mt19937& rng, int max_value) {
  std::uniform_int_distribution<int> value(0, max_value);
  std::vector<std::uint16_t> samples(static_cast<std::size_t>(spec.width) * spec.height * spec.bands);
  for (auto& sample : samples) sample = static_cast<std::uint16_t>(value(rng));
  return samples;
}

void expect_tile_error(const std::string& path, const std::string& detail) {
  try {
    TileReader reader(path);
    ADD_FAILURE() << "no InputError opening " << path << " (expected '" << detail << "')";
  } catch (const InputError& e) {
    const std::string message = e.what();
    EXPECT_EQ(message.rfind(path + ": ", 0), 0u) << message;
    EXPECT_NE(message.find(detail), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  }
}

// ---- plan_blocks ----

void check_plan(int width, int height, int block, int halo) {
  const std::vector<BlockWindow> blocks = plan_blocks(width, height, block, halo);
  std::vector<int> owners(static_cast<std::size_t>(width) * height, 0);
  for (const BlockWindow& b : blocks) {
    ASSERT_GT(b.core_width, 0);
    ASSERT_GT(b.core_height, 0);
    ASSERT_LE(b.core_width, block);
    ASSERT_LE(b.core_height, block);
    ASSERT_EQ(b.x0, std::max(0, b.core_x0 - halo));
    ASSERT_EQ(b.y0, std::max(0, b.core_y0 - halo));
    ASSERT_EQ(b.x0 + b.width, std::min(width, b.core_x0 + b.core_width + halo));
    ASSERT_EQ(b.y0 + b.height, std::min(height, b.core_y0 + b.core_height + halo));
    for (int y = b.core_y0; y < b.core_y0 + b.core_height; ++y) {
      for (int x = b.core_x0; x < b.core_x0 + b.core_width; ++x) ++owners[static_cast<std::size_t>(y) * width + x];
    }
  }
  for (std::size_t i = 0; i < owners.size(); ++i) {
    ASSERT_EQ(owners[i], 1) << width << "x" << height << " block " << block << " halo " << halo << " pixel " << i;
  }
  // Row-major order: callers index blocks as row * columns + column.
  const int columns = (width + block - 1) / block;
  const int rows = (height + block - 1) / block;
  ASSERT_EQ(blocks.size(), static_cast<std::size_t>(columns) * rows);
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    ASSERT_EQ(blocks[i].core_x0, static_cast<int>(i % columns) * block);
    ASSERT_EQ(blocks[i].core_y0, static_cast<int>(i / columns) * block);
  }
}

TEST(PlanBlocks, CoresTileOddRastersExactly) {
  check_plan(301, 173, 64, 9);
  check_plan(1, 1, 1, 0);
  check_plan(1, 1, 512, 100);
  check_plan(7, 3, 1, 1);
  check_plan(64, 64, 64, 8);
  check_plan(65, 63, 64, 200);
  std::mt19937 rng(173);
  std::uniform_int_distribution<int> size(1, 257), block(1, 70), halo(0, 40);
  for (int i = 0; i < 300; ++i) check_plan(size(rng), size(rng), block(rng), halo(rng));
}

TEST(PlanBlocks, EdgeCases) {
  EXPECT_TRUE(plan_blocks(0, 0, 64, 8).empty());
  EXPECT_TRUE(plan_blocks(10, 0, 64, 8).empty());
  const std::vector<BlockWindow> last_row = plan_blocks(301, 173, 64, 9);
  EXPECT_EQ(last_row.back().core_x0, 256);
  EXPECT_EQ(last_row.back().core_width, 45);
  EXPECT_EQ(last_row.back().core_height, 45);
  EXPECT_EQ(last_row.back().x0, 247);
  EXPECT_EQ(last_row.back().width, 54);
  // Near INT_MAX the end of a block does not fit in an int.
  const std::vector<BlockWindow> huge = plan_blocks(INT_MAX, 1, 1 << 30, 1 << 29);
  ASSERT_EQ(huge.size(), 2u);
  EXPECT_EQ(huge[1].core_x0, 1 << 30);
  EXPECT_EQ(huge[1].core_width, INT_MAX - (1 << 30));
  EXPECT_EQ(huge[1].x0 + huge[1].width, INT_MAX);
  EXPECT_EQ(huge[0].width, (1 << 30) + (1 << 29));
  EXPECT_THROW(plan_blocks(10, 10, 0, 1), std::invalid_argument);
  EXPECT_THROW(plan_blocks(10, 10, 4, -1), std::invalid_argument);
  EXPECT_THROW(plan_blocks(-1, 10, 4, 1), std::invalid_argument);
}

// ---- reading ----

TEST(GeoTiffReader, ReadsByteRgbBlocksWithHaloAndNodata) {
  TempDir dir;
  TiffSpec spec;
  spec.has_nodata = true;
  spec.nodata = 7;
  std::mt19937 rng(301173);
  std::vector<std::uint16_t> samples = random_samples(spec, rng, 255);
  const std::size_t band_size = static_cast<std::size_t>(spec.width) * spec.height;
  std::bernoulli_distribution nodata_everywhere(0.05), nodata_in_one_band(0.03);
  std::uniform_int_distribution<int> band(0, 2);
  for (std::size_t i = 0; i < band_size; ++i) {
    if (nodata_everywhere(rng)) {
      for (int b = 0; b < 3; ++b) samples[b * band_size + i] = 7;
    } else if (nodata_in_one_band(rng)) {
      samples[band(rng) * band_size + i] = 7;
    }
  }
  const std::string path = dir.file("a.tif");
  write_tiff(path, spec, samples);

  TileReader reader(path);
  const TileInfo& info = reader.info();
  EXPECT_EQ(info.path, path);
  EXPECT_EQ(info.width, 301);
  EXPECT_EQ(info.height, 173);
  EXPECT_EQ(info.bands, 3);
  EXPECT_DOUBLE_EQ(info.gsd_m, 0.5);
  for (int i = 0; i < 6; ++i) EXPECT_EQ(info.transform.gt[i], spec.gt[i]);
  OGRSpatialReference crs;
  ASSERT_EQ(crs.importFromWkt(info.crs_wkt.c_str()), OGRERR_NONE);
  EXPECT_STREQ(crs.GetAuthorityCode(nullptr), "32637");

  std::vector<int> core_hits(band_size, 0);
  std::size_t invalid = 0;
  RgbBlock block;
  for (const BlockWindow& window : plan_blocks(spec.width, spec.height, 64, 9)) {
    reader.read(window, block);
    ASSERT_EQ(block.x0, window.x0);
    ASSERT_EQ(block.y0, window.y0);
    ASSERT_EQ(block.width, window.width);
    ASSERT_EQ(block.height, window.height);
    ASSERT_EQ(block.rgb.size(), static_cast<std::size_t>(window.width) * window.height * 3);
    ASSERT_EQ(block.valid.size(), static_cast<std::size_t>(window.width) * window.height);
    for (int y = 0; y < window.height; ++y) {
      for (int x = 0; x < window.width; ++x) {
        const std::size_t source = static_cast<std::size_t>(window.y0 + y) * spec.width + window.x0 + x;
        const std::size_t local = static_cast<std::size_t>(y) * window.width + x;
        bool valid = true;
        for (int c = 0; c < 3; ++c) {
          ASSERT_EQ(block.rgb[local * 3 + c], samples[c * band_size + source]);
          valid = valid && samples[c * band_size + source] != 7;
        }
        ASSERT_EQ(block.valid[local], valid ? 1 : 0) << "pixel " << window.x0 + x << "," << window.y0 + y;
        const bool in_core = window.x0 + x >= window.core_x0 && window.x0 + x < window.core_x0 + window.core_width &&
                             window.y0 + y >= window.core_y0 && window.y0 + y < window.core_y0 + window.core_height;
        if (in_core) {
          ++core_hits[source];
          invalid += valid ? 0 : 1;
        }
      }
    }
  }
  for (int hits : core_hits) ASSERT_EQ(hits, 1);
  EXPECT_GT(invalid, band_size / 20);  // the nodata pixels really were exercised

  double lon = 0.0, lat = 0.0;
  reader.pixel_to_lonlat(0.0, 0.0, lon, lat);  // top-left corner sits on the central meridian, 200 km north
  EXPECT_NEAR(lon, 39.0, 1e-9);
  EXPECT_NEAR(lat, 200000.0 / 0.9996 / 110574.39, 1e-3);
  std::uniform_real_distribution<double> coordinate(-50.0, 400.0);
  for (int i = 0; i < 50; ++i) {
    const double px = coordinate(rng), py = coordinate(rng);
    double back_x = 0.0, back_y = 0.0;
    reader.pixel_to_lonlat(px, py, lon, lat);
    reader.lonlat_to_pixel(lon, lat, back_x, back_y);
    EXPECT_NEAR(back_x, px, 1e-5);
    EXPECT_NEAR(back_y, py, 1e-5);
  }
  BlockWindow outside{0, 0, 1, 1, 300, 0, 2, 1};
  EXPECT_THROW(reader.read(outside, block), std::out_of_range);
}

TEST(GeoTiffReader, GreyBandIsCopiedToRgbAndAllValid) {
  TempDir dir;
  TiffSpec spec;
  spec.width = 37;
  spec.height = 23;
  spec.bands = 1;
  spec.options = {};  // striped
  std::mt19937 rng(37);
  const std::vector<std::uint16_t> samples = random_samples(spec, rng, 255);
  const std::string path = dir.file("grey.tif");
  write_tiff(path, spec, samples);
  TileReader reader(path);
  EXPECT_EQ(reader.info().bands, 1);
  RgbBlock block;
  reader.read(BlockWindow{3, 2, 20, 11, 1, 0, 25, 17}, block);
  for (int y = 0; y < 17; ++y) {
    for (int x = 0; x < 25; ++x) {
      const std::size_t local = static_cast<std::size_t>(y) * 25 + x;
      const std::uint16_t expected = samples[static_cast<std::size_t>(y) * 37 + x + 1];
      for (int c = 0; c < 3; ++c) ASSERT_EQ(block.rgb[local * 3 + c], expected);
      ASSERT_EQ(block.valid[local], 1);
    }
  }
}

// Band 4 marked as alpha masks bands 1..3, also when the tile declares a nodata value as well.
TEST(GeoTiffReader, AlphaBandIsPartOfValidity) {
  for (const bool with_nodata : {false, true}) {
    TempDir dir;
    TiffSpec spec;
    spec.width = 45;
    spec.height = 29;
    spec.bands = 4;
    spec.band4 = GCI_AlphaBand;
    spec.has_nodata = with_nodata;
    spec.nodata = 3;
    spec.options = {"PHOTOMETRIC=RGB", "ALPHA=YES"};
    std::mt19937 rng(with_nodata ? 4 : 5);
    std::vector<std::uint16_t> samples = random_samples(spec, rng, 255);
    const std::size_t band_size = static_cast<std::size_t>(spec.width) * spec.height;
    std::bernoulli_distribution transparent(0.2);
    for (std::size_t i = 0; i < band_size; ++i) samples[3 * band_size + i] = transparent(rng) ? 0 : 255;
    const std::string path = dir.file("rgba.tif");
    write_tiff(path, spec, samples);
    TileReader reader(path);
    RgbBlock block;
    reader.read(BlockWindow{0, 0, spec.width, spec.height, 0, 0, spec.width, spec.height}, block);
    for (std::size_t i = 0; i < band_size; ++i) {
      bool valid = samples[3 * band_size + i] != 0;
      for (int c = 0; c < 3; ++c) {
        ASSERT_EQ(block.rgb[i * 3 + c], samples[c * band_size + i]);
        if (with_nodata) valid = valid && samples[c * band_size + i] != 3;
      }
      ASSERT_EQ(block.valid[i], valid ? 1 : 0) << "pixel " << i << (with_nodata ? " with nodata" : "");
    }
  }
}

TEST(GeoTiffReader, UInt16RgbNirIsStretchedWithOneScalePerTile) {
  TempDir dir;
  TiffSpec spec;
  spec.width = 157;
  spec.height = 91;
  spec.bands = 4;
  spec.type = GDT_UInt16;
  spec.options = {"PHOTOMETRIC=RGB", "TILED=YES", "BLOCKXSIZE=32", "BLOCKYSIZE=32"};
  spec.has_nodata = true;
  spec.nodata = 65535;  // a common UInt16 nodata: if it counted towards the scale, the image would turn black
  std::mt19937 rng(1571);
  std::vector<std::uint16_t> samples = random_samples(spec, rng, 3000);
  const std::size_t band_size = static_cast<std::size_t>(spec.width) * spec.height;
  std::bernoulli_distribution outlier(0.0003), nodata(0.3);
  for (std::size_t i = 0; i < 3 * band_size; ++i) {
    if (outlier(rng)) samples[i] = 65000;  // saturated glints must not set the scale
  }
  for (std::size_t i = 0; i < band_size; ++i) {
    if (nodata(rng)) samples[i] = samples[band_size + i] = samples[2 * band_size + i] = 65535;
  }
  for (std::size_t i = 0; i < band_size; ++i) samples[3 * band_size + i] = 60000;  // NIR is not used
  const std::string path = dir.file("u16.tif");
  write_tiff(path, spec, samples);

  TileReader reader(path);
  EXPECT_EQ(reader.info().bands, 4);
  // The 99.9th percentile of uniform 0..3000 is about 2997; the approximate histogram may be a little off.
  const double scale = 255.0 / 2997.0;
  std::vector<std::uint8_t> first_plan(band_size * 3);
  RgbBlock block;
  for (const BlockWindow& window : plan_blocks(spec.width, spec.height, 50, 5)) {
    reader.read(window, block);
    for (int y = 0; y < window.height; ++y) {
      for (int x = 0; x < window.width; ++x) {
        const std::size_t source = static_cast<std::size_t>(window.y0 + y) * spec.width + window.x0 + x;
        const std::size_t local = static_cast<std::size_t>(y) * window.width + x;
        bool valid = true;
        for (int c = 0; c < 3; ++c) {
          const std::uint16_t raw = samples[c * band_size + source];
          const int got = block.rgb[local * 3 + c];
          valid = valid && raw != 65535;
          if (raw == 0) {
            ASSERT_EQ(got, 0);
          } else if (raw >= 65000) {
            ASSERT_EQ(got, 255);
          } else {
            ASSERT_NEAR(got, std::min(255.0, raw * scale), 4.0) << "raw " << raw;
          }
          first_plan[source * 3 + c] = static_cast<std::uint8_t>(got);
        }
        ASSERT_EQ(block.valid[local], valid ? 1 : 0);
      }
    }
  }
  // Another block layout over a second reader gives identical bytes: the scale belongs to the tile, not the block.
  TileReader second(path);
  for (const BlockWindow& window : plan_blocks(spec.width, spec.height, 33, 0)) {
    second.read(window, block);
    for (int y = 0; y < window.height; ++y) {
      for (int x = 0; x < window.width; ++x) {
        const std::size_t source = static_cast<std::size_t>(window.y0 + y) * spec.width + window.x0 + x;
        for (int c = 0; c < 3; ++c) {
          ASSERT_EQ(block.rgb[(static_cast<std::size_t>(y) * window.width + x) * 3 + c], first_plan[source * 3 + c]);
        }
      }
    }
  }
  { TileReader closed_again(path); }
  EXPECT_FALSE(fs::exists(path + ".aux.xml"));  // reading never writes next to the user's tiles
}

TEST(GeoTiffReader, GeographicTileGetsGroundGsd) {
  TempDir dir;
  TiffSpec spec;
  spec.width = 51;
  spec.height = 41;
  spec.epsg = 4326;
  const double degrees = 0.5 / 110574.0;  // about 0.5 m of latitude
  spec.gt[0] = 39.2;
  spec.gt[1] = degrees;
  spec.gt[3] = 2.0;
  spec.gt[5] = -degrees;
  std::mt19937 rng(4326);
  const std::vector<std::uint16_t> samples = random_samples(spec, rng, 255);
  const std::string near_equator = dir.file("geo.tif");
  write_tiff(near_equator, spec, samples);
  TileReader reader(near_equator);
  EXPECT_NEAR(reader.info().gsd_m, 0.5, 0.005);
  double lon = 0.0, lat = 0.0;
  reader.pixel_to_lonlat(10.0, 20.0, lon, lat);
  EXPECT_NEAR(lon, 39.2 + 10.0 * degrees, 1e-12);
  EXPECT_NEAR(lat, 2.0 - 20.0 * degrees, 1e-12);

  // At 36N a degree of longitude is 19% shorter: square-degree pixels are not square on the ground ...
  spec.gt[3] = 36.0;
  const std::string north = dir.file("north.tif");
  write_tiff(north, spec, samples);
  expect_tile_error(north, "pixels are not square on the ground");
  // ... while pixels narrowed to the same ground width are accepted.
  spec.gt[1] = degrees * 110.95 / 90.3;  // metres per degree of latitude / of longitude at 36N, in km
  const std::string corrected = dir.file("corrected.tif");
  write_tiff(corrected, spec, samples);
  EXPECT_NEAR(TileReader(corrected).info().gsd_m, 0.5, 0.01);
}

TEST(GeoTiffReader, ReadersOnSeveralThreadsAgree) {
  TempDir dir;
  TiffSpec spec;
  std::mt19937 rng(2);
  const std::vector<std::uint16_t> samples = random_samples(spec, rng, 255);
  const std::string path = dir.file("shared.tif");
  write_tiff(path, spec, samples);
  const std::vector<BlockWindow> plan = plan_blocks(spec.width, spec.height, 40, 4);
  std::vector<std::vector<std::uint8_t>> results(2);
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&, t] {
      TileReader reader(path);
      RgbBlock block;
      for (const BlockWindow& window : plan) {
        reader.read(window, block);
        results[t].insert(results[t].end(), block.rgb.begin(), block.rgb.end());
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(results[0], results[1]);
  EXPECT_FALSE(results[0].empty());
}

// ---- bad tiles ----

TEST(GeoTiffReader, RejectsUnreadableFiles) {
  TempDir dir;
  const std::string missing = dir.file("missing.tif");
  expect_tile_error(missing, "cannot open as a raster image: ");
  const std::string empty = dir.file("empty.tif");
  std::ofstream(empty).close();
  expect_tile_error(empty, "cannot open as a raster image");
  std::mt19937 rng(99);
  std::string garbage(5000, '\0');
  for (char& c : garbage) c = static_cast<char>(rng());
  const std::string corrupt = dir.file("corrupt.tif");
  std::ofstream(corrupt, std::ios::binary) << garbage;
  expect_tile_error(corrupt, "not recognized as a supported file format");
  // A TIFF header followed by garbage.
  const std::string bad_header = dir.file("bad_header.tif");
  std::ofstream(bad_header, std::ios::binary) << std::string("II*\0\x08\0\0\0", 8) << garbage;
  expect_tile_error(bad_header, "");
}

TEST(GeoTiffReader, TruncatedFileFailsCleanly) {
  for (const bool compressed : {false, true}) {
    TempDir dir;
    TiffSpec spec;
    if (compressed) spec.options.push_back("COMPRESS=DEFLATE");
    std::mt19937 rng(compressed ? 11 : 12);
    const std::vector<std::uint16_t> samples = random_samples(spec, rng, 255);
    const std::string path = dir.file("cut.tif");
    write_tiff(path, spec, samples);
    fs::resize_file(path, fs::file_size(path) / 2);
    try {
      TileReader reader(path);
      RgbBlock block;
      for (const BlockWindow& window : plan_blocks(spec.width, spec.height, 64, 0)) reader.read(window, block);
      ADD_FAILURE() << "a truncated tile was read without error" << (compressed ? " (DEFLATE)" : "");
    } catch (const InputError& e) {
      const std::string message = e.what();
      EXPECT_EQ(message.rfind(path + ": ", 0), 0u) << message;
      EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    }
  }
}

TEST(GeoTiffReader, RejectsUnsupportedLayouts) {
  TempDir dir;
  auto make = [&](const std::string& name, TiffSpec spec) {
    std::mt19937 rng(static_cast<unsigned>(name.size()));
    const std::string path = dir.file(name);
    write_tiff(path, spec, random_samples(spec, rng, spec.type == GDT_Byte ? 255 : 1000));
    return path;
  };
  TiffSpec spec;
  spec.width = 21;
  spec.height = 13;

  TiffSpec no_georef = spec;
  no_georef.set_geotransform = false;
  no_georef.set_crs = false;
  const std::string no_georef_path = make("no_georef.tif", no_georef);
  try {
    TileReader reader(no_georef_path);
    ADD_FAILURE() << "no error";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()), no_georef_path + ": no georeferencing (geotransform/CRS missing)");
  }
  TiffSpec no_crs = spec;
  no_crs.set_crs = false;
  expect_tile_error(make("no_crs.tif", no_crs), "no georeferencing (geotransform/CRS missing)");
  TiffSpec no_transform = spec;
  no_transform.set_geotransform = false;
  expect_tile_error(make("no_transform.tif", no_transform), "no georeferencing (geotransform/CRS missing)");

  TiffSpec two_bands = spec;
  two_bands.bands = 2;
  expect_tile_error(make("two.tif", two_bands), "has 2 bands; expected 1 (grey), 3 (RGB) or 4");
  TiffSpec five_bands = spec;
  five_bands.bands = 5;
  expect_tile_error(make("five.tif", five_bands), "has 5 bands");
  TiffSpec float32 = spec;
  float32.type = GDT_Float32;
  expect_tile_error(make("float.tif", float32), "band 1 has data type Float32; expected Byte or UInt16");
  TiffSpec int16 = spec;
  int16.type = GDT_Int16;
  expect_tile_error(make("int16.tif", int16), "data type Int16");

  TiffSpec rotated = spec;
  rotated.gt[2] = 0.01;
  rotated.gt[4] = 0.01;
  expect_tile_error(make("rotated.tif", rotated), "rotated geotransform");
  TiffSpec south_up = spec;
  south_up.gt[5] = 0.5;
  expect_tile_error(make("south_up.tif", south_up), "not north-up");
  TiffSpec mirrored = spec;
  mirrored.gt[1] = -0.5;
  expect_tile_error(make("mirrored.tif", mirrored), "not north-up");
  TiffSpec oblong = spec;
  oblong.gt[5] = -0.506;
  expect_tile_error(make("oblong.tif", oblong), "pixels are not square on the ground");
  TiffSpec nearly_square = spec;
  nearly_square.gt[5] = -0.504;  // within the 1% tolerance
  EXPECT_NEAR(TileReader(make("nearly.tif", nearly_square)).info().gsd_m, 0.502, 1e-9);
  TiffSpec feet = spec;
  feet.epsg = 2227;  // California zone 3, US survey feet
  EXPECT_NEAR(TileReader(make("feet.tif", feet)).info().gsd_m, 0.5 * 1200.0 / 3937.0, 1e-9);

  TiffSpec palette = spec;
  palette.bands = 1;
  const std::string palette_path = make("palette.tif", palette);
  {
    GDALDataset* dataset = GDALDataset::FromHandle(GDALOpen(palette_path.c_str(), GA_Update));
    ASSERT_NE(dataset, nullptr);
    GDALColorTable table;
    GDALColorEntry entry{1, 2, 3, 255};
    table.SetColorEntry(0, &entry);
    dataset->GetRasterBand(1)->SetColorTable(&table);
    GDALClose(GDALDataset::ToHandle(dataset));
  }
  expect_tile_error(palette_path, "is a paletted image");
}

}  // namespace
}  // namespace campscope

#include <gdal_priv.h>
#include <gtest/gtest.h>
#include <ogr_spatialref.h>
#include <stdlib.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>

#include "campscope/image.h"
#include "campscope/types.h"
#include "geotiff.h"

#include "input_error.h"
#include "temp_dir.h"

namespace campscope {
namespace {

namespace fs = std::filesystem;

using testing::TempDir;

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
  testing::expect_input_error([&] { TileReader reader(path); }, path, detail);
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

// GTiff decompresses the blocks of one read on several threads (NUM_THREADS): the pixels and nodata masks must be
// those of a read on one thread, for 8-bit and for 16-bit (stretched) tiles.
TEST(GeoTiffReader, DecodingOnSeveralThreadsReadsTheSamePixels) {
  TempDir dir;
  for (const GDALDataType type : {GDT_Byte, GDT_UInt16}) {
    TiffSpec spec;
    spec.type = type;
    spec.has_nodata = true;
    spec.nodata = 7;
    spec.options = {"TILED=YES", "BLOCKXSIZE=32", "BLOCKYSIZE=16", "COMPRESS=DEFLATE", "INTERLEAVE=PIXEL"};
    std::mt19937 rng(type == GDT_Byte ? 17 : 19);
    std::vector<std::uint16_t> samples = random_samples(spec, rng, type == GDT_Byte ? 255 : 4000);
    std::bernoulli_distribution nodata(0.04);
    for (auto& sample : samples)
      if (nodata(rng)) sample = 7;
    const std::string path = dir.file(type == GDT_Byte ? "byte.tif" : "uint16.tif");
    write_tiff(path, spec, samples);

    TileReader one(path, 1), several(path, 3);
    RgbBlock expected, block;
    std::size_t invalid = 0;
    for (const BlockWindow& window : plan_blocks(spec.width, spec.height, 96, 9)) {
      one.read(window, expected);
      several.read(window, block);
      ASSERT_EQ(block.rgb, expected.rgb) << GDALGetDataTypeName(type);
      ASSERT_EQ(block.valid, expected.valid) << GDALGetDataTypeName(type);
      for (const std::uint8_t v : block.valid) invalid += v ? 0 : 1;
    }
    EXPECT_GT(invalid, 0u);  // the nodata masks were exercised
  }
}

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
  EXPECT_FALSE(info.resampled);
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

// A grey tile's nodata value masks exactly the pixels that hold it: the one band stands for all three.
TEST(GeoTiffReader, GreyBandNodataMasksItsPixels) {
  TempDir dir;
  TiffSpec spec;
  spec.width = 41;
  spec.height = 19;
  spec.bands = 1;
  spec.has_nodata = true;
  spec.nodata = 9;
  std::mt19937 rng(41);
  std::vector<std::uint16_t> samples = random_samples(spec, rng, 255);
  std::bernoulli_distribution hole(0.1);
  for (auto& sample : samples)
    if (hole(rng)) sample = 9;
  const std::string path = dir.file("grey_nodata.tif");
  write_tiff(path, spec, samples);
  TileReader reader(path);
  RgbBlock block;
  reader.read(BlockWindow{0, 0, 41, 19, 0, 0, 41, 19}, block);
  int masked = 0;
  for (std::size_t i = 0; i < samples.size(); ++i) {
    ASSERT_EQ(block.valid[i], samples[i] == 9 ? 0 : 1) << "pixel " << i;
    masked += samples[i] == 9;
  }
  EXPECT_GT(masked, 0);
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

// Every 16-bit sample maps to the integer nearest 255 * sample / stretch_max (halves up), clipped at 255: checked
// exactly, in integers, as -m <= 2 * (255 * v - t * m) < m.
TEST(SampleStretch, EverySampleGoesToTheNearestLevel) {
  for (const unsigned stretch_max : {1u, 2u, 255u, 256u, 1000u, 2997u, 4095u, 65534u, 65535u}) {
    const SampleStretch stretch(stretch_max);
    for (unsigned v = 0; v <= 65535; ++v) {
      const long long t = stretch(static_cast<std::uint16_t>(v));
      if (v >= stretch_max) {
        ASSERT_EQ(t, 255) << "stretch_max " << stretch_max << ", sample " << v;
        continue;
      }
      const long long m = stretch_max, twice_error = 2 * (255LL * v - t * m);
      ASSERT_TRUE(-m <= twice_error && twice_error < m) << "stretch_max " << stretch_max << ", sample " << v;
    }
  }
  EXPECT_THROW(SampleStretch(0), std::invalid_argument);
}

TEST(SampleStretch, SamplesToRgbTakesTheFirstThreeBandsOrRepeatsGrey) {
  std::mt19937 rng(271);
  std::uniform_int_distribution<int> sample(0, 65535);
  const SampleStretch stretch(3001);
  for (const int stride : {1, 2, 3, 4, 5}) {
    for (const std::size_t pixels : {std::size_t{0}, std::size_t{1}, std::size_t{7}, std::size_t{1001}}) {
      const bool grey = stride < 3;
      std::vector<std::uint16_t> wide(pixels * stride);
      for (auto& v : wide) v = static_cast<std::uint16_t>(sample(rng));
      std::vector<std::uint8_t> narrow(wide.size());
      for (std::size_t i = 0; i < wide.size(); ++i) narrow[i] = static_cast<std::uint8_t>(wide[i] >> 8);
      std::vector<std::uint8_t> rgb16(pixels * 3, 0xAB), rgb8(pixels * 3, 0xAB);
      samples_to_rgb(wide.data(), stride, grey, pixels, stretch, rgb16.data());
      samples_to_rgb(narrow.data(), stride, grey, pixels, rgb8.data());
      for (std::size_t i = 0; i < pixels; ++i) {
        for (int c = 0; c < 3; ++c) {
          const std::size_t from = i * stride + (grey ? 0 : c);
          ASSERT_EQ(rgb16[i * 3 + c], stretch(wide[from])) << "stride " << stride << ", pixel " << i;
          ASSERT_EQ(rgb8[i * 3 + c], narrow[from]) << "stride " << stride << ", pixel " << i;
        }
      }
    }
  }
}

// A scene with shadows as dark as 20 is read as it is; the same scene under haze (40% of a pale grey-blue blended
// in, as the hard profile draws it) has its darkest half percent lifted past 90 and is read with the veil above 60
// taken off: one mapping per channel for the whole tile, whatever window is read, increasing, and the unimaged
// margin (0, the nodata value) left out of the measure.
TEST(GeoTiffReader, HazeIsTakenOffWithOneMappingPerTile) {
  TempDir dir;
  TiffSpec spec;
  spec.width = 211;
  spec.height = 157;
  spec.has_nodata = true;
  spec.nodata = 0;
  std::mt19937 rng(4242);
  std::uniform_int_distribution<int> scene(20, 235);
  const std::size_t band_size = static_cast<std::size_t>(spec.width) * spec.height;
  std::vector<std::uint16_t> clear(3 * band_size);
  for (auto& sample : clear) sample = static_cast<std::uint16_t>(scene(rng));
  std::vector<std::uint16_t> hazy(clear.size());
  const int haze[3] = {200, 208, 220};
  for (int c = 0; c < 3; ++c)
    for (std::size_t i = 0; i < band_size; ++i)
      hazy[c * band_size + i] = static_cast<std::uint16_t>(std::lround(0.6 * clear[c * band_size + i] + 0.4 * haze[c]));
  for (std::size_t i = 0; i < band_size; i += 7)  // an unimaged seventh: nodata
    for (int c = 0; c < 3; ++c) clear[c * band_size + i] = hazy[c * band_size + i] = 0;
  const std::string clear_path = dir.file("clear.tif"), hazy_path = dir.file("hazy.tif");
  write_tiff(clear_path, spec, clear);
  write_tiff(hazy_path, spec, hazy);
  const BlockWindow whole{0, 0, spec.width, spec.height, 0, 0, spec.width, spec.height};

  RgbBlock read_clear;
  TileReader(clear_path).read(whole, read_clear);
  for (std::size_t i = 0; i < band_size; ++i)
    for (int c = 0; c < 3; ++c) ASSERT_EQ(read_clear.rgb[i * 3 + c], clear[c * band_size + i]) << i;

  RgbBlock read_hazy;
  TileReader hazy_reader(hazy_path);
  hazy_reader.read(whole, read_hazy);
  for (int c = 0; c < 3; ++c) {
    // Sample value -> value read, over the whole tile: one mapping, increasing, 255 kept.
    int mapped[256];
    std::fill(std::begin(mapped), std::end(mapped), -1);
    std::vector<int> read_values;
    for (std::size_t i = 0; i < band_size; ++i) {
      if (!read_hazy.valid[i]) continue;
      const int sample = hazy[c * band_size + i], value = read_hazy.rgb[i * 3 + c];
      ASSERT_TRUE(mapped[sample] < 0 || mapped[sample] == value) << "channel " << c << " sample " << sample;
      mapped[sample] = value;
      read_values.push_back(value);
    }
    int last = -1;
    for (int v = 0; v < 256; ++v) {
      if (mapped[v] < 0) continue;
      EXPECT_GT(mapped[v], last) << "channel " << c << " sample " << v;
      last = mapped[v];
    }
    // The darkest half percent of the imaged pixels (above 90 in the file) loses the veil above 60 and is stretched
    // with the rest by 255 / (255 - veil): 69 here. The spread widens by as much.
    std::sort(read_values.begin(), read_values.end());
    const int dark = read_values[read_values.size() / 200];
    EXPECT_GE(dark, 60) << "channel " << c;
    EXPECT_LE(dark, 72) << "channel " << c;
    EXPECT_GT(read_values.back() - read_values.front(), 1.1 * 0.6 * (235 - 20)) << "channel " << c;
  }
  // Any window of the tile reads through the same mapping, whether the whole tile was read first (the haze
  // measured on its samples) or not (measured on the file's histograms); so too for a 12-bit delivery whose
  // unimaged margin holds a nodata value other than 0, which shares its 8-bit level with imaged samples.
  TiffSpec spec16 = spec;
  spec16.type = GDT_UInt16;
  spec16.nodata = 4095;
  std::vector<std::uint16_t> hazy16(hazy.size());
  for (std::size_t i = 0; i < hazy.size(); ++i)
    hazy16[i] = static_cast<std::uint16_t>(hazy[i] == 0 ? 4095 : 16 * hazy[i] + static_cast<int>(i % 16));
  const std::string hazy16_path = dir.file("hazy16.tif");
  write_tiff(hazy16_path, spec16, hazy16);
  const BlockWindow window{37, 21, 64, 48, 37, 21, 64, 48};
  for (const std::string& path : {clear_path, hazy_path, hazy16_path}) {
    RgbBlock whole_first, part_after_whole, part_first;
    TileReader whole_reader(path);
    whole_reader.read(whole, whole_first);
    whole_reader.read(window, part_after_whole);
    TileReader(path).read(window, part_first);
    for (int y = 0; y < 48; ++y)
      for (int x = 0; x < 64; ++x)
        for (int c = 0; c < 3; ++c) {
          const std::size_t i = (static_cast<std::size_t>(y) * 64 + x) * 3 + c;
          const int in_whole = whole_first.rgb[(static_cast<std::size_t>(y + 21) * spec.width + x + 37) * 3 + c];
          ASSERT_EQ(part_after_whole.rgb[i], in_whole) << path;
          ASSERT_EQ(part_first.rgb[i], in_whole) << path;
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

// ---- tiles resampled onto square UTM pixels ----

// Metres per degree of latitude and of longitude on the WGS84 ellipsoid.
void wgs84_metres_per_degree(double lat_deg, double& per_lat, double& per_lon) {
  const double a = 6378137.0;
  const double f = 1.0 / 298.257223563;
  const double e2 = f * (2.0 - f);
  const double phi = lat_deg * M_PI / 180.0;
  const double w = std::sqrt(1.0 - e2 * std::sin(phi) * std::sin(phi));
  per_lat = M_PI / 180.0 * a * (1.0 - e2) / (w * w * w);
  per_lon = M_PI / 180.0 * a * std::cos(phi) / w;
}

std::string authority_code(const std::string& wkt) {
  OGRSpatialReference crs;
  if (crs.importFromWkt(wkt.c_str()) != OGRERR_NONE) return "unreadable WKT";
  const char* code = crs.GetAuthorityCode(nullptr);
  return code ? code : "none";
}

// The whole resampled grid, assembled from blocks read in `plan` order; every pixel must lie in exactly one core.
void read_all(TileReader& reader, int block, int halo, std::vector<std::uint8_t>& rgb, std::vector<std::uint8_t>& valid) {
  const TileInfo& info = reader.info();
  const std::size_t size = static_cast<std::size_t>(info.width) * info.height;
  rgb.assign(size * 3, 0);
  valid.assign(size, 2);
  RgbBlock data;
  for (const BlockWindow& window : plan_blocks(info.width, info.height, block, halo)) {
    reader.read(window, data);
    ASSERT_EQ(data.rgb.size(), static_cast<std::size_t>(window.width) * window.height * 3);
    ASSERT_EQ(data.valid.size(), static_cast<std::size_t>(window.width) * window.height);
    for (int y = window.core_y0; y < window.core_y0 + window.core_height; ++y) {
      for (int x = window.core_x0; x < window.core_x0 + window.core_width; ++x) {
        const std::size_t local = static_cast<std::size_t>(y - window.y0) * window.width + (x - window.x0);
        const std::size_t global = static_cast<std::size_t>(y) * info.width + x;
        ASSERT_EQ(valid[global], 2) << "pixel " << x << "," << y << " in two cores";
        valid[global] = data.valid[local];
        for (int c = 0; c < 3; ++c) rgb[global * 3 + c] = data.rgb[local * 3 + c];
      }
    }
  }
  for (std::size_t i = 0; i < size; ++i) ASSERT_NE(valid[i], 2) << "pixel " << i << " in no core";
}

struct ResampledCounts {
  long outside = 0;     // pixels whose centre falls outside the file's footprint
  long nodata = 0;      // inside, on a file pixel that is not imaged
  long imaged = 0;      // inside, on an imaged file pixel
  long ambiguous = 0;   // within a small fraction of a pixel of a file pixel border: not checked
};

// Each resampled pixel is valid exactly when the file pixel nearest its centre (found through lon/lat, independently
// of the reader's warp) lies inside the file and is imaged. `file_valid` is row-major over the file.
ResampledCounts check_nearest_validity(const TileReader& reader, const TiffSpec& spec,
                                       const std::vector<std::uint8_t>& file_valid,
                                       const std::vector<std::uint8_t>& valid) {
  ResampledCounts counts;
  const TileInfo& info = reader.info();
  for (int y = 0; y < info.height; ++y) {
    for (int x = 0; x < info.width; ++x) {
      double lon = 0.0, lat = 0.0;
      reader.pixel_to_lonlat(x + 0.5, y + 0.5, lon, lat);
      const double fx = (lon - spec.gt[0]) / spec.gt[1];
      const double fy = (lat - spec.gt[3]) / spec.gt[5];
      constexpr double kMargin = 0.15;  // the warp's transform is approximate to 1/8 pixel
      if (std::floor(fx - kMargin) != std::floor(fx + kMargin) || std::floor(fy - kMargin) != std::floor(fy + kMargin)) {
        ++counts.ambiguous;
        continue;
      }
      const int v = valid[static_cast<std::size_t>(y) * info.width + x];
      if (fx < 0.0 || fy < 0.0 || fx >= spec.width || fy >= spec.height) {
        ++counts.outside;
        EXPECT_EQ(v, 0) << "pixel " << x << "," << y << " lies outside the footprint (file " << fx << "," << fy << ")";
        continue;
      }
      const bool expected = file_valid[static_cast<std::size_t>(fy) * spec.width + static_cast<std::size_t>(fx)];
      (expected ? counts.imaged : counts.nodata) += 1;
      EXPECT_EQ(v, expected ? 1 : 0) << "pixel " << x << "," << y << " on file pixel " << fx << "," << fy;
      if (v != (expected ? 1 : 0)) return counts;  // one message, not thousands
    }
  }
  return counts;
}

// A tile in EPSG:4326 at 36N with pixels square in degrees is about 0.81:1 on the ground. It is read on a square
// UTM 37N grid with the ground sampling distance of its centre, and keeps shapes, positions and validity.
TEST(GeoTiffReader, GeographicTileIsResampledOntoSquareUtmPixels) {
  TempDir dir;
  TiffSpec spec;
  spec.width = 301;
  spec.height = 211;
  spec.epsg = 4326;
  const double degrees = 0.5 / 110960.0;  // about 0.5 m of latitude at 36N
  // 2.6 degrees west of the zone's central meridian, so the UTM grid is turned about 1.5 degrees against the file.
  const double gt[6] = {36.4, degrees, 0.0, 36.2, 0.0, -degrees};
  std::copy(gt, gt + 6, spec.gt);
  spec.has_nodata = true;
  spec.nodata = 0;
  std::mt19937 rng(36);
  std::uniform_int_distribution<int> background(20, 120);
  std::vector<std::uint16_t> samples(static_cast<std::size_t>(spec.width) * spec.height * 3);
  for (auto& sample : samples) sample = static_cast<std::uint16_t>(background(rng));
  const std::size_t band_size = static_cast<std::size_t>(spec.width) * spec.height;
  auto at = [&](int band, int x, int y) -> std::uint16_t& {
    return samples[band * band_size + static_cast<std::size_t>(y) * spec.width + x];
  };
  // A bright roof 74 x 40 file pixels: about 30 m east-west by 20 m north-south.
  const int roof_x0 = 90, roof_y0 = 50, roof_w = 74, roof_h = 40;
  auto in_roof = [&](int x, int y, int margin) {
    return x >= roof_x0 - margin && x < roof_x0 + roof_w + margin && y >= roof_y0 - margin &&
           y < roof_y0 + roof_h + margin;
  };
  for (int y = roof_y0; y < roof_y0 + roof_h; ++y)
    for (int x = roof_x0; x < roof_x0 + roof_w; ++x)
      for (int b = 0; b < 3; ++b) at(b, x, y) = 250;
  // A nodata hole, scattered nodata pixels, and pixels with nodata in one band only (also not imaged).
  for (int y = 120; y < 171; ++y)
    for (int x = 200; x < 251; ++x)
      for (int b = 0; b < 3; ++b) at(b, x, y) = 0;
  std::bernoulli_distribution all_bands(0.03), one_band(0.02);
  std::uniform_int_distribution<int> band(0, 2);
  for (int y = 0; y < spec.height; ++y) {
    for (int x = 0; x < spec.width; ++x) {
      if (in_roof(x, y, 2)) continue;
      if (all_bands(rng)) {
        for (int b = 0; b < 3; ++b) at(b, x, y) = 0;
      } else if (one_band(rng)) {
        at(band(rng), x, y) = 0;
      }
    }
  }
  std::vector<std::uint8_t> file_valid(band_size);
  for (int y = 0; y < spec.height; ++y)
    for (int x = 0; x < spec.width; ++x)
      file_valid[static_cast<std::size_t>(y) * spec.width + x] = at(0, x, y) && at(1, x, y) && at(2, x, y);
  const std::string path = dir.file("geographic.tif");
  write_tiff(path, spec, samples);

  TileReader reader(path);
  const TileInfo& info = reader.info();
  EXPECT_TRUE(info.resampled);
  EXPECT_EQ(authority_code(info.crs_wkt), "32637");
  double per_lat = 0.0, per_lon = 0.0;
  wgs84_metres_per_degree(36.2 - 0.5 * spec.height * degrees, per_lat, per_lon);
  const double ground_x = degrees * per_lon;  // about 0.40 m
  const double ground_y = degrees * per_lat;  // about 0.50 m
  EXPECT_NEAR(info.gsd_m, std::sqrt(ground_x * ground_y), 1e-3 * info.gsd_m);
  EXPECT_GT(info.gsd_m, 0.44);
  EXPECT_LT(info.gsd_m, 0.46);
  EXPECT_EQ(info.transform.gt[1], info.gsd_m);
  EXPECT_EQ(info.transform.gt[5], -info.gsd_m);
  EXPECT_EQ(info.transform.gt[2], 0.0);
  EXPECT_EQ(info.transform.gt[4], 0.0);
  // The footprint's bounding box: the file's ground size, widened by the turn of the grid.
  const double turn = 1.55 * M_PI / 180.0;
  EXPECT_NEAR(info.width * info.gsd_m,
              spec.width * ground_x * std::cos(turn) + spec.height * ground_y * std::sin(turn), 3 * info.gsd_m);
  EXPECT_NEAR(info.height * info.gsd_m,
              spec.height * ground_y * std::cos(turn) + spec.width * ground_x * std::sin(turn), 3 * info.gsd_m);

  std::vector<std::uint8_t> rgb, valid;
  read_all(reader, 64, 7, rgb, valid);
  if (HasFatalFailure()) return;

  const ResampledCounts counts = check_nearest_validity(reader, spec, file_valid, valid);
  EXPECT_GT(counts.outside, 1000);  // the turned footprint leaves corners of the grid empty
  EXPECT_GT(counts.nodata, 2000);
  EXPECT_GT(counts.imaged, 20000);
  EXPECT_LT(counts.ambiguous, static_cast<long>(valid.size() * 6 / 10));

  // Colours are interpolated between the imaged file pixels around each point, never pulled towards nodata.
  // The roof: bright pixels span its ground size and sit where it is on the ground.
  const double roof_lon = gt[0] + (roof_x0 + 0.5 * roof_w) * degrees;
  const double roof_lat = gt[3] - (roof_y0 + 0.5 * roof_h) * degrees;
  double min_e = 1e9, max_e = -1e9, min_n = 1e9, max_n = -1e9, sum_e = 0.0, sum_n = 0.0;
  long bright = 0;
  for (int y = 0; y < info.height; ++y) {
    for (int x = 0; x < info.width; ++x) {
      const std::size_t i = static_cast<std::size_t>(y) * info.width + x;
      if (!valid[i]) continue;
      double lon = 0.0, lat = 0.0;
      reader.pixel_to_lonlat(x + 0.5, y + 0.5, lon, lat);
      const int fx = static_cast<int>(std::floor((lon - gt[0]) / degrees));
      const int fy = static_cast<int>(std::floor((gt[3] - lat) / degrees));
      for (int c = 0; c < 3; ++c) {
        int lowest = 255, highest = 0;
        for (int ny = std::max(0, fy - 1); ny <= std::min(spec.height - 1, fy + 1); ++ny) {
          for (int nx = std::max(0, fx - 1); nx <= std::min(spec.width - 1, fx + 1); ++nx) {
            const int sample = at(c, nx, ny);
            if (sample == 0) continue;
            lowest = std::min(lowest, sample);
            highest = std::max(highest, sample);
          }
        }
        ASSERT_GE(rgb[i * 3 + c] + 1, lowest) << "pixel " << x << "," << y << " band " << c;
        ASSERT_LE(rgb[i * 3 + c], highest + 1) << "pixel " << x << "," << y << " band " << c;
        if (in_roof(fx, fy, -1)) {
          ASSERT_EQ(rgb[i * 3 + c], 250) << "pixel " << x << "," << y;
        }
      }
      if (rgb[i * 3] > 185) {  // halfway between the background and the roof
        const double e = (lon - roof_lon) * per_lon;
        const double n = (lat - roof_lat) * per_lat;
        min_e = std::min(min_e, e);
        max_e = std::max(max_e, e);
        min_n = std::min(min_n, n);
        max_n = std::max(max_n, n);
        sum_e += e;
        sum_n += n;
        ++bright;
      }
    }
  }
  const double gsd = info.gsd_m;
  ASSERT_GT(bright, 0);
  // Pixel centres span the roof less about one pixel; the turn of the grid adds a little on each axis.
  EXPECT_NEAR(max_e - min_e, roof_w * ground_x - gsd, 2 * gsd);
  EXPECT_NEAR(max_n - min_n, roof_h * ground_y - gsd, 2 * gsd);
  EXPECT_NEAR(bright * gsd * gsd, roof_w * ground_x * roof_h * ground_y,
              2 * (roof_w * ground_x + roof_h * ground_y) * gsd);
  EXPECT_NEAR(sum_e / bright, 0.0, 0.5 * gsd);
  EXPECT_NEAR(sum_n / bright, 0.0, 0.5 * gsd);

  // Lon/lat and pixels agree both ways on the resampled grid.
  std::uniform_real_distribution<double> px(0.0, info.width), py(0.0, info.height);
  for (int i = 0; i < 50; ++i) {
    const double x = px(rng), y = py(rng);
    double lon = 0.0, lat = 0.0, back_x = 0.0, back_y = 0.0;
    reader.pixel_to_lonlat(x, y, lon, lat);
    reader.lonlat_to_pixel(lon, lat, back_x, back_y);
    EXPECT_NEAR(back_x, x, 1e-6);
    EXPECT_NEAR(back_y, y, 1e-6);
  }

  // The warp runs per block on demand; another block layout on another reader gives the same bytes.
  TileReader second(path);
  std::vector<std::uint8_t> rgb2, valid2;
  read_all(second, 37, 0, rgb2, valid2);
  EXPECT_EQ(rgb, rgb2);
  EXPECT_EQ(valid, valid2);
  EXPECT_FALSE(fs::exists(path + ".aux.xml"));
}

// A southern-hemisphere UInt16 RGB + alpha tile near the equator: still resampled (a degree is not a metre), into
// UTM south, with alpha carried to validity.
TEST(GeoTiffReader, GeographicAlphaTileSouthOfTheEquator) {
  TempDir dir;
  TiffSpec spec;
  spec.width = 67;
  spec.height = 59;
  spec.bands = 4;
  spec.type = GDT_UInt16;
  spec.band4 = GCI_AlphaBand;
  spec.epsg = 4326;
  spec.options = {"PHOTOMETRIC=RGB", "ALPHA=YES"};
  const double degrees = 0.5 / 110574.0;
  const double gt[6] = {39.2, degrees, 0.0, -2.0, 0.0, -degrees};
  std::copy(gt, gt + 6, spec.gt);
  std::mt19937 rng(4326);
  std::vector<std::uint16_t> samples = random_samples(spec, rng, 2000);
  const std::size_t band_size = static_cast<std::size_t>(spec.width) * spec.height;
  std::bernoulli_distribution transparent(0.1);
  std::vector<std::uint8_t> file_valid(band_size);
  for (std::size_t i = 0; i < band_size; ++i) {
    const bool opaque = i % spec.width >= 9 && !transparent(rng);  // a strip never imaged on the west side
    samples[3 * band_size + i] = opaque ? 65535 : 0;
    file_valid[i] = opaque;
  }
  const std::string path = dir.file("south.tif");
  write_tiff(path, spec, samples);
  TileReader reader(path);
  const TileInfo& info = reader.info();
  EXPECT_TRUE(info.resampled);
  EXPECT_EQ(authority_code(info.crs_wkt), "32737");
  EXPECT_NEAR(info.gsd_m, 0.5, 0.005);
  std::vector<std::uint8_t> rgb, valid;
  read_all(reader, 40, 5, rgb, valid);
  if (HasFatalFailure()) return;
  const ResampledCounts counts = check_nearest_validity(reader, spec, file_valid, valid);
  EXPECT_GT(counts.nodata, 500);
  EXPECT_GT(counts.imaged, 2000);
  double lon = 0.0, lat = 0.0;
  reader.pixel_to_lonlat(0.5 * info.width, 0.5 * info.height, lon, lat);
  EXPECT_NEAR(lon, gt[0] + 0.5 * spec.width * degrees, 2 * degrees);
  EXPECT_NEAR(lat, gt[3] - 0.5 * spec.height * degrees, 2 * degrees);
}

// Web Mercator keeps pixels square, but at 36N its metre is 0.81 ground metres: the GSD must be the ground's.
TEST(GeoTiffReader, WebMercatorTileGetsGroundGsd) {
  TempDir dir;
  TiffSpec spec;
  spec.width = 53;
  spec.height = 47;
  spec.epsg = 3857;
  const double radius = 6378137.0;
  spec.gt[0] = radius * 39.5 * M_PI / 180.0;
  spec.gt[3] = radius * std::log(std::tan(M_PI / 4 + 36.0 * M_PI / 360.0));
  spec.gt[1] = 0.5;
  spec.gt[5] = -0.5;
  std::mt19937 rng(3857);
  const std::string path = dir.file("mercator.tif");
  write_tiff(path, spec, random_samples(spec, rng, 255));
  TileReader reader(path);
  EXPECT_TRUE(reader.info().resampled);
  EXPECT_EQ(authority_code(reader.info().crs_wkt), "32637");
  EXPECT_NEAR(reader.info().gsd_m, 0.5 * std::cos(36.0 * M_PI / 180.0), 0.005);
  double lon = 0.0, lat = 0.0;
  reader.pixel_to_lonlat(0.0, 0.0, lon, lat);
  EXPECT_NEAR(lon, 39.5, 1e-4);
  EXPECT_NEAR(lat, 36.0, 1e-4);
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
  TiffSpec nearly_square = spec;
  nearly_square.gt[5] = -0.504;  // within the 1% tolerance: read as it is
  const TileReader nearly(make("nearly.tif", nearly_square));
  EXPECT_FALSE(nearly.info().resampled);
  EXPECT_NEAR(nearly.info().gsd_m, 0.502, 1e-9);
  TiffSpec oblong = spec;
  oblong.gt[5] = -0.506;  // beyond it: resampled onto square pixels (UTM scale 0.9996 near the central meridian)
  const TileReader oblong_reader(make("oblong.tif", oblong));
  EXPECT_TRUE(oblong_reader.info().resampled);
  EXPECT_NEAR(oblong_reader.info().gsd_m, std::sqrt(0.5 * 0.506) / 0.9996, 2e-4);
  EXPECT_EQ(authority_code(oblong_reader.info().crs_wkt), "32637");
  EXPECT_NEAR(oblong_reader.info().width, 21 * 0.5 / 0.503, 1.0);
  EXPECT_NEAR(oblong_reader.info().height, 13 * 0.506 / 0.503, 1.0);

  TiffSpec off_the_globe = spec;
  off_the_globe.epsg = 4326;
  off_the_globe.gt[0] = 39.0;
  off_the_globe.gt[1] = 1e-5;
  off_the_globe.gt[3] = 95.0;
  off_the_globe.gt[5] = -1e-5;
  expect_tile_error(make("off.tif", off_the_globe), "has no lon/lat on Earth");
  TiffSpec whole_world = spec;  // far too big for one UTM zone
  whole_world.epsg = 4326;
  whole_world.gt[0] = -180.0;
  whole_world.gt[1] = 360.0 / 21;
  whole_world.gt[3] = 80.0;
  whole_world.gt[5] = -160.0 / 13;
  expect_tile_error(make("world.tif", whole_world), "footprint is too large to resample onto one grid in UTM zone");
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

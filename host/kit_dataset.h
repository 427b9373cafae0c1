// Real aerial imagery with labelled vehicles (KIT AIS, Munich; see shared/data/kit-ais-munich/README.md) turned into
// what the pipeline reads: georeferenced satellite-like GeoTIFF tiles, a manifest and a truth file.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "campscope/types.h"

namespace campscope {

// Ground-sample distance of the KIT AIS Munich mosaics, from the data set's README.
constexpr double kKitSourceGsdM = 0.13;
// Date written into the manifest and the truth: the mosaics carry none, and all scenes share one so that the
// evaluation pools them.
constexpr const char* kKitDate = "2020-01-01";

struct KitScene {
  std::string name;       // the mosaic's file stem, e.g. "MunichStreet02-MOS74"
  std::string tile_path;  // the written GeoTIFF, out_dir/tiles/<name>.tif
  std::vector<Detection> truth;  // vehicles only (cyclists are skipped); tile = the path as written in the manifest
};

// For every MunichStreet*.png in `kit_dir` (sorted by name) with its YOLO label file (<stem>.txt, lines
// "class cx cy w h" normalised to the image; class names from classes.txt): resamples the image (cv::INTER_AREA)
// from kKitSourceGsdM to `target_gsd_m`, writes it as an RGB GeoTIFF in UTM 32N (EPSG:32632) near Munich, each
// scene at its own place so no two overlap, and turns car/truck/bus/minibus boxes into vehicle truth at the box
// centre. Writes out_dir/tiles/*.tif, out_dir/manifest.json (tiles only, date kKitDate) and out_dir/truth.geojson,
// so that `campscope run out_dir/manifest.json` and `campscope eval --truth out_dir/truth.geojson` work on them.
// Throws InputError naming the file for a missing or malformed label file, classes file or image, and for a
// target_gsd_m that is not positive and finite. With `take_scene`, only the mosaics whose name it accepts are
// written (each still at its own place).
std::vector<KitScene> prepare_kit_scenes(const std::string& kit_dir, const std::string& out_dir,
                                         double target_gsd_m = 0.4,
                                         const std::function<bool(const std::string&)>& take_scene = nullptr);

// The mosaics the built-in vehicle look model learnt from (bench/train_builtin_model.sh): MunichStreet02-MOS74 to
// MOS87, the first 14 along the street. The last six, MOS88 to MOS93, are held out to measure it.
bool kit_scene_trains_builtin_model(const std::string& name);

}  // namespace campscope

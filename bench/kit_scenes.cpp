// Writes the KIT AIS Munich mosaics (../shared/data/kit-ais-munich) as pipeline input: GeoTIFF tiles, a manifest and
// the vehicle truth, at a chosen GSD; all of them, or only those the built-in vehicle look model learns from or
// only those held out to measure it (kit_scene_trains_builtin_model). bench/train_builtin_model.sh runs it.
//
//   kit_scenes KIT_DIR OUT_DIR [--gsd 0.4] [--part all|builtin-training|held-out]
#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>
#include <string>

#include "kit_dataset.h"

int main(int argc, char** argv) {
  CLI::App app{"KIT AIS Munich mosaics as campscope input"};
  std::string kit_dir, out_dir, part = "all";
  double gsd_m = 0.4;
  app.add_option("kit_dir", kit_dir, "Folder of MunichStreet*.png and their label files")->required();
  app.add_option("out_dir", out_dir, "Where tiles/, manifest.json and truth.geojson are written")->required();
  app.add_option("--gsd", gsd_m, "Ground-sample distance of the written tiles, metres");
  app.add_option("--part", part, "Which mosaics")->check(CLI::IsMember({"all", "builtin-training", "held-out"}));
  CLI11_PARSE(app, argc, argv);
  try {
    const auto take = [&](const std::string& name) {
      return part == "all" || campscope::kit_scene_trains_builtin_model(name) == (part == "builtin-training");
    };
    const auto scenes = campscope::prepare_kit_scenes(kit_dir, out_dir, gsd_m, take);
    std::printf("kit_scenes: %zu mosaics written to %s\n", scenes.size(), out_dir.c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "kit_scenes: %s\n", e.what());
    return 1;
  }
  return 0;
}

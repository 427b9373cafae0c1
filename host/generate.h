// Synthetic sample generator: GeoTIFF tiles with a known truth, so the whole pipeline can be run and scored
// without real imagery.
#pragma once
#include <cstdint>
#include <string>

namespace campscope {

struct GenerateOptions {
  std::string scenario = "idlib-border";  // the only scenario; anything else -> InputError
  // "default" or "hard"; anything else -> InputError. "hard" adds what real deliveries bring: GSDs 0.3-1.0 m,
  // haze, colour shifts, JPEG artefacts, 16-bit RGB + NIR files, low sun, cloud shadows, packed low-contrast tents
  // and block shelters, walls with cars parked along them, and more dark vehicles and queues.
  std::string profile = "default";
  std::string out_dir;
  std::uint64_t seed = 1;
};

// tents and vehicles count the features of truth.geojson: one per object per date on which it is visible.
struct GenerateSummary { int tiles = 0; long long tents = 0; long long vehicles = 0; };

// Writes tiles/*.tif, manifest.json, camps.geojson, reported.csv, truth.geojson and truth_population.csv into
// options.out_dir (created if missing). The same options always give the same bytes. Throws InputError for an
// unknown scenario or profile, an empty out_dir, or an output that cannot be written.
GenerateSummary generate_scenario(const GenerateOptions& options);

}  // namespace campscope

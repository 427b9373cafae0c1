// A generated sample (`campscope generate`) written into a test's scratch directory.
#pragma once
#include <cstdint>
#include <string>

#include "generate.h"
#include "temp_dir.h"

namespace campscope::testing {

// Generates the default-profile sample of `seed` into dir/name and returns that folder.
inline std::string generate_scene(const TempDir& dir, const std::string& name, std::uint64_t seed) {
  GenerateOptions generate;
  generate.out_dir = dir.file(name);
  generate.seed = seed;
  generate_scenario(generate);
  return generate.out_dir;
}

}  // namespace campscope::testing

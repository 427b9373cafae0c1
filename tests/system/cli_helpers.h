// Running the campscope binary from tests and reading what it wrote.
#pragma once
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace campscope::testing {

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The CLI under test: the build's own binary, or CAMPSCOPE_BIN from the environment when the tests run from a
// bundle on another machine (bench/gpu_check.sh).
inline std::string campscope_binary() {
  const char* overridden = std::getenv("CAMPSCOPE_BIN");
  return overridden && *overridden ? overridden : CAMPSCOPE_BIN;
}

// Runs `campscope <arguments>` with stdout and stderr captured to files in `scratch`.
inline CommandResult run_campscope(const std::string& arguments, const std::filesystem::path& scratch) {
  std::filesystem::create_directories(scratch);
  const auto out = scratch / "stdout.txt";
  const auto err = scratch / "stderr.txt";
  const std::string command = campscope_binary() + " " + arguments + " >" + out.string() + " 2>" +
                              err.string() + " </dev/null";
  const int status = std::system(command.c_str());
  CommandResult result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  result.out = read_file(out);
  result.err = read_file(err);
  return result;
}

inline std::filesystem::path fresh_temp_dir(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() / ("campscope-test-" + name + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

}  // namespace campscope::testing

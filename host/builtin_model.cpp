#include "builtin_model.h"

#include <zlib.h>

#include <stdexcept>
#include <string>

#include "model.h"

// The gzipped model file, placed in the binary's read-only data by the assembler (CMake passes its path and makes
// this file depend on it).
asm(".pushsection .rodata\n"
    ".balign 16\n"
    "campscope_builtin_look_begin:\n"
    ".incbin \"" CAMPSCOPE_BUILTIN_LOOK_PATH "\"\n"
    "campscope_builtin_look_end:\n"
    ".popsection\n");
extern "C" const unsigned char campscope_builtin_look_begin[];
extern "C" const unsigned char campscope_builtin_look_end[];

namespace campscope {
namespace {

std::string gunzip(const unsigned char* data, std::size_t size) {
  z_stream stream{};
  if (inflateInit2(&stream, 16 + MAX_WBITS) != Z_OK)  // 16: a gzip header, not zlib's
    throw std::runtime_error("built-in vehicle look model: cannot start zlib");
  stream.next_in = const_cast<unsigned char*>(data);
  stream.avail_in = static_cast<uInt>(size);
  std::string text;
  int status = Z_OK;
  while (status == Z_OK) {
    char chunk[1 << 16];
    stream.next_out = reinterpret_cast<unsigned char*>(chunk);
    stream.avail_out = sizeof chunk;
    status = inflate(&stream, Z_NO_FLUSH);
    text.append(chunk, sizeof chunk - stream.avail_out);
  }
  inflateEnd(&stream);
  if (status != Z_STREAM_END) throw std::runtime_error("built-in vehicle look model: corrupt gzip data in the binary");
  return text;
}

}  // namespace

std::shared_ptr<const VehicleAppearance> builtin_vehicle_appearance() {
  static const std::shared_ptr<const VehicleAppearance> model = [] {
    const std::string name = "built-in vehicle look model";
    const DetectorModel parsed = parse_detector_model(
        gunzip(campscope_builtin_look_begin,
               static_cast<std::size_t>(campscope_builtin_look_end - campscope_builtin_look_begin)),
        name);
    if (!parsed.vehicle_appearance) throw std::runtime_error(name + ": it holds no vehicle_appearance");
    return parsed.vehicle_appearance;
  }();
  return model;
}

}  // namespace campscope

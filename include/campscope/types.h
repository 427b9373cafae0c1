// Public value types shared by every stage. No CUDA headers here: this must build without nvcc.
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace campscope {

enum class ObjectClass : std::uint8_t { Tent = 0, Vehicle = 1 };

const char* class_name(ObjectClass cls);
// Throws InputError naming `context` for anything but "tent" or "vehicle".
ObjectClass parse_class(const std::string& name, const std::string& context);

// Bad user input (file, value, option): the CLI prints the message on one line and exits 2.
class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// An object found (or, in truth files, placed) on the ground.
struct Detection {
  ObjectClass cls = ObjectClass::Tent;
  double lon = 0.0;
  double lat = 0.0;
  float score = 0.0f;
  std::string date;  // YYYY-MM-DD
  std::string tile;  // tile path as written in the manifest
  bool completed = false;  // inferred from the objects about it (DetectedObject::completed), not seen on its own
};

// GDAL's affine geotransform: world = (gt0 + px*gt1 + py*gt2, gt3 + px*gt4 + py*gt5).
struct GeoTransform {
  double gt[6] = {0, 1, 0, 0, 0, -1};
  void pixel_to_world(double px, double py, double& x, double& y) const {
    x = gt[0] + px * gt[1] + py * gt[2];
    y = gt[3] + px * gt[4] + py * gt[5];
  }
  // Throws std::runtime_error when the transform is not invertible.
  void world_to_pixel(double x, double y, double& px, double& py) const;
};

}  // namespace campscope

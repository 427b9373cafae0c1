#include "campscope/types.h"

#include <cmath>

namespace campscope {

const char* class_name(ObjectClass cls) { return cls == ObjectClass::Vehicle ? "vehicle" : "tent"; }

ObjectClass parse_class(const std::string& name, const std::string& context) {
  if (name == "tent") return ObjectClass::Tent;
  if (name == "vehicle") return ObjectClass::Vehicle;
  throw InputError(context + ": unknown class '" + name + "' (expected tent or vehicle)");
}

void GeoTransform::world_to_pixel(double x, double y, double& px, double& py) const {
  const double det = gt[1] * gt[5] - gt[2] * gt[4];
  if (std::abs(det) < 1e-300) throw std::runtime_error("geotransform is not invertible");
  const double dx = x - gt[0];
  const double dy = y - gt[3];
  px = (gt[5] * dx - gt[2] * dy) / det;
  py = (gt[1] * dy - gt[4] * dx) / det;
}

}  // namespace campscope

// The built-in vehicle look model, compiled into the binary: what `campscope run` uses without --model (and a model
// file that names no `vehicle_appearance`).
#pragma once
#include <memory>

#include "vehicle_appearance.h"

namespace campscope {

// A forest over VehicleAppearance features that adds to the rules' vehicles those they miss (adds_to_rules), from
// host/models/vehicle_look.yml.gz. Trained by bench/train_builtin_model.sh on 14 of the 20 KIT AIS Munich mosaics
// (real aerial imagery, CC-BY 3.0, Karlsruhe Institute of Technology; kit_scene_trains_builtin_model: MOS88-93 are
// held out), weighted twice, and on generated scenes of seeds 11-13 of both profiles (seeds 1-10 are kept to
// measure it). Read once, on first use; the same object every call.
std::shared_ptr<const VehicleAppearance> builtin_vehicle_appearance();

}  // namespace campscope

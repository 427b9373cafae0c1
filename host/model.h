// Detector model files: the detector's free parameters as YAML (OpenCV FileStorage), written by `campscope
// calibrate` and read by `campscope run --model`.
#pragma once
#include <string>

#include "campscope/detect.h"

namespace campscope {

// Every field of DetectorParams under its own name. Keys missing from the file keep their built-in default, so a
// hand-written file may set only what it changes; an unknown key or a value of the wrong type is an InputError
// naming the file and the key, as is a file that is not YAML.
DetectorParams load_detector_model(const std::string& path);

// Writes all fields, atomically (temporary file, then rename).
void save_detector_model(const DetectorParams& params, const std::string& path);

}  // namespace campscope

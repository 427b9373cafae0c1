#pragma once
#include <string>

namespace campscope {

enum class Backend { Cpu, Cuda };

// True when this build has the CUDA backend and a CUDA device is usable.
bool cuda_device_available();
// Name of device 0 ("" when none).
std::string cuda_device_name();
// "auto" picks CUDA when a device is present; "cuda" without a device throws InputError.
Backend resolve_backend(const std::string& name);
const char* backend_name(Backend backend);

}  // namespace campscope

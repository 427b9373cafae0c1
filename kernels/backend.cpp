#include "campscope/backend.h"

#include "campscope/types.h"

#ifdef CAMPSCOPE_WITH_CUDA
#include <cuda_runtime.h>
#endif

namespace campscope {

bool cuda_device_available() {
#ifdef CAMPSCOPE_WITH_CUDA
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    cudaGetLastError();  // clear the sticky "no device" error so later calls start clean
    return false;
  }
  return count > 0;
#else
  return false;
#endif
}

std::string cuda_device_name() {
#ifdef CAMPSCOPE_WITH_CUDA
  if (!cuda_device_available()) return "";
  cudaDeviceProp prop{};
  if (cudaGetDeviceProperties(&prop, 0) != cudaSuccess) return "";
  return prop.name;
#else
  return "";
#endif
}

Backend resolve_backend(const std::string& name) {
  if (name == "cpu") return Backend::Cpu;
  if (name == "cuda") {
    if (!cuda_device_available()) {
#ifdef CAMPSCOPE_WITH_CUDA
      throw InputError("--backend cuda: no CUDA device is available on this machine");
#else
      throw InputError("--backend cuda: this build has no CUDA backend (nvcc was not found at configure time)");
#endif
    }
    return Backend::Cuda;
  }
  if (name == "auto") return cuda_device_available() ? Backend::Cuda : Backend::Cpu;
  throw InputError("--backend: unknown backend '" + name + "' (expected auto, cpu or cuda)");
}

const char* backend_name(Backend backend) { return backend == Backend::Cuda ? "cuda" : "cpu"; }

}  // namespace campscope

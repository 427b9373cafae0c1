#pragma once
#include <cstdint>

#include "cuda_check.cuh"
#include "parallel_for.h"

namespace campscope {

template <typename Body>
__global__ void parallel_for_kernel(std::int64_t count, Body body) {
  const std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i < count) body(i);
}

template <typename Body>
void parallel_for_cuda(std::int64_t count, const Body& body, cudaStream_t stream) {
  if (count <= 0) return;
  constexpr unsigned int threads = 256;
  parallel_for_kernel<<<cuda::blocks_for(static_cast<std::size_t>(count), threads), threads, 0, stream>>>(count, body);
  CAMPSCOPE_CUDA_CHECK_LAUNCH();
}

// For a functor that knows its own index count, `items()`.
template <typename Body>
void parallel_for_cuda(const Body& body, cudaStream_t stream) {
  parallel_for_cuda(body.items(), body, stream);
}

}  // namespace campscope

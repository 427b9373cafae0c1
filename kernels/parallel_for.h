// One body, two backends: a functor with `__host__ __device__ void operator()(std::int64_t i) const`
// runs on OpenMP threads here, or one CUDA thread per index through parallel_for_cuda (parallel_for.cuh).
#pragma once
#include <cstdint>

#if defined(__CUDACC__)
#define CAMPSCOPE_HD __host__ __device__ inline
#else
#define CAMPSCOPE_HD inline
#endif

namespace campscope {

template <typename Body>
void parallel_for_cpu(std::int64_t count, const Body& body) {
#pragma omp parallel for schedule(static)
  for (std::int64_t i = 0; i < count; ++i) body(i);
}

// For a functor that knows its own index count, `items()`.
template <typename Body>
void parallel_for_cpu(const Body& body) {
  parallel_for_cpu(body.items(), body);
}

}  // namespace campscope

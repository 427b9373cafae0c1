// One body, two backends: a functor with `__host__ __device__ void operator()(std::int64_t i) const`
// runs on the CPU threads here, or one CUDA thread per index through parallel_for_cuda (parallel_for.cuh).
#pragma once
#include <cstdint>
#include <memory>

#if defined(__CUDACC__)
#define CAMPSCOPE_HD __host__ __device__ inline
#else
#define CAMPSCOPE_HD inline
#endif

// Kept out of line on the CPU: the costly path of a function whose cheap path is meant to inline into its callers,
// which the host compiler would otherwise make a call of by inlining the costly path into it. The device compiler
// decides for itself.
#if defined(__CUDA_ARCH__)
#define CAMPSCOPE_CPU_NOINLINE
#else
#define CAMPSCOPE_CPU_NOINLINE __attribute__((noinline))
#endif

// The CPU loops are compiled twice on x86-64, for the baseline and for x86-64-v3 (AVX2), and the loader picks the
// one the processor runs, as OpenCV dispatches its filters: the contrast response, integral and density passes
// vectorise twice as wide there. Contraction stays off in both (-ffp-contract=off), and a vector lane computes what
// a scalar iteration does, so both give the same numbers.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__CUDACC__) && defined(__has_attribute)
#if __has_attribute(target_clones)
#define CAMPSCOPE_CPU_CLONES __attribute__((target_clones("arch=x86-64-v3", "default"), flatten))
#endif
#endif
#ifndef CAMPSCOPE_CPU_CLONES
#define CAMPSCOPE_CPU_CLONES
#endif

namespace campscope {
namespace detail {

using ChunkTask = void (*)(const void* body, std::int64_t begin, std::int64_t end);

// Runs task(body, begin, end) over [0, count) in chunks of `chunk` indices, on the calling thread and up to
// omp_get_max_threads() - 1 helper threads (parallel_for.cpp). Bodies must not throw, as in an OpenMP loop.
void run_chunks(std::int64_t count, std::int64_t chunk, ChunkTask task, const void* body);

template <typename Body>
CAMPSCOPE_CPU_CLONES void run_indices(const Body& body, std::int64_t begin, std::int64_t end) {
  for (std::int64_t i = begin; i < end; ++i) body(i);
}

}  // namespace detail

// Indices go out in about 64 chunks, first come first served, and the call returns once every chunk is done:
// on a machine shared with other work, a helper the system has not scheduled yet neither holds a share of the
// work nor has to be waited for, as it would at an OpenMP barrier.
template <typename Body>
void parallel_for_cpu(std::int64_t count, const Body& body) {
  if (count <= 0) return;
  const std::int64_t chunk = count / 64 > 1 ? count / 64 : 1;
  detail::run_chunks(
      count, chunk,
      [](const void* erased, std::int64_t begin, std::int64_t end) noexcept {
        detail::run_indices(*static_cast<const Body*>(erased), begin, end);
      },
      &body);
}

// For a functor that knows its own index count, `items()`.
template <typename Body>
void parallel_for_cpu(const Body& body) {
  parallel_for_cpu(body.items(), body);
}

// Scratch memory a CPU backend keeps from call to call on one thread (thread_local), as the CUDA backends keep
// their device buffers: a large fresh allocation costs a page fault per 4 KiB on first touch. It only grows; grown
// memory starts zeroed, and after that holds whatever its last user left.
template <typename T>
class ScratchBuffer {
 public:
  T* get(std::int64_t count) {
    if (count > capacity_) {
      data_.reset(new T[static_cast<std::size_t>(count)]());
      capacity_ = count;
    }
    return data_.get();
  }

 private:
  std::unique_ptr<T[]> data_;
  std::int64_t capacity_ = 0;
};

}  // namespace campscope

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

// Threads per block for `count` indices: 256, or fewer, down to 4, while the multiprocessors would get under four
// blocks each. A block of imagery has a few thousand candidates, each a long serial region analysis whose paths
// diverge (ncu on an H200: 6.6 of a warp's 32 threads active on average), so a warp takes about as long as its
// threads' paths one after another. Blocks of 256 kept 11 of 132 multiprocessors busy; blocks of 4 threads, a warp
// each with 4 lanes, keep every multiprocessor busy with several warps. The detect stage of a 1-Mpix tile on one
// H200: 7.4 ms with blocks shrunk to 32 threads for one block per multiprocessor, 5.6 ms as here (on another H200,
// 8.0 ms with blocks of 256 and 6.4 ms with the blocks of 32).
inline unsigned int threads_per_block_for(std::int64_t count) {
  constexpr unsigned int kMostThreads = 256, kFewestThreads = 4;
  constexpr int kBlocksPerMultiprocessor = 4;
  static const int multiprocessors = [] {
    int device = 0, found = 0;
    CAMPSCOPE_CUDA_CHECK(cudaGetDevice(&device));
    CAMPSCOPE_CUDA_CHECK(cudaDeviceGetAttribute(&found, cudaDevAttrMultiProcessorCount, device));
    return found;
  }();
  unsigned int threads = kMostThreads;
  while (threads > kFewestThreads &&
         count < static_cast<std::int64_t>(threads) * multiprocessors * kBlocksPerMultiprocessor)
    threads /= 2;
  return threads;
}

template <typename Body>
void parallel_for_cuda(std::int64_t count, const Body& body, cudaStream_t stream) {
  if (count <= 0) return;
  const unsigned int threads = threads_per_block_for(count);
  parallel_for_kernel<<<cuda::blocks_for(static_cast<std::size_t>(count), threads), threads, 0, stream>>>(count, body);
  CAMPSCOPE_CUDA_CHECK_LAUNCH();
}

// For a functor that knows its own index count, `items()`.
template <typename Body>
void parallel_for_cuda(const Body& body, cudaStream_t stream) {
  parallel_for_cuda(body.items(), body, stream);
}

// Pixel stencils (a functor with `pixels_of_row(int x0, int x1, int y)`): a thread takes one pixel in each of
// kPixelRowsPerThread consecutive rows, in blocks of 32 x 4 threads, so a block covers 32 x 16 pixels. The rows
// above and below that a stencil reads are then shared through the cache by the whole block, not fetched again by
// every row of threads, and there is no 64-bit index division per pixel (about a quarter faster than one thread per
// index for the contrast response on an H200).
constexpr int kPixelBlockWidth = 32;
constexpr int kPixelBlockRows = 4;
constexpr int kPixelRowsPerThread = 4;

template <typename Body>
__global__ void __launch_bounds__(kPixelBlockWidth* kPixelBlockRows)
    for_each_pixel_kernel(int width, int height, int grid_first_row, Body body) {
  const int x = blockIdx.x * kPixelBlockWidth + threadIdx.x;
  const int first_row = grid_first_row + (blockIdx.y * kPixelBlockRows + threadIdx.y) * kPixelRowsPerThread;
  if (x >= width) return;
  const int end_row = first_row + kPixelRowsPerThread < height ? first_row + kPixelRowsPerThread : height;
  for (int y = first_row; y < end_row; ++y) body.pixels_of_row(x, x + 1, y);
}

// A CUDA grid has at most this many blocks along y; taller work goes in several launches of at most this many rows
// of blocks.
constexpr unsigned int kMaxGridRows = 65535;

template <typename Body>
void for_each_pixel_cuda(int width, int height, const Body& body, cudaStream_t stream) {
  if (width <= 0 || height <= 0) return;
  constexpr int rows_per_block = kPixelBlockRows * kPixelRowsPerThread;
  constexpr int rows_per_launch = static_cast<int>(kMaxGridRows) * rows_per_block;
  for (int first_row = 0; first_row < height; first_row += rows_per_launch) {
    const int rows = height - first_row < rows_per_launch ? height - first_row : rows_per_launch;
    const dim3 grid(cuda::blocks_for(static_cast<std::size_t>(width), kPixelBlockWidth),
                    cuda::blocks_for(static_cast<std::size_t>(rows), rows_per_block));
    for_each_pixel_kernel<<<grid, dim3(kPixelBlockWidth, kPixelBlockRows), 0, stream>>>(width, height, first_row,
                                                                                       body);
    CAMPSCOPE_CUDA_CHECK_LAUNCH();
  }
}

}  // namespace campscope

#include "integral_cuda.h"

#include <algorithm>
#include <stdexcept>
#include <vector>

#include "cuda_check.cuh"
#include "detect_backends.h"
#include "detect_pixels_impl.h"

namespace campscope::detect {
namespace {

constexpr unsigned int kWarp = 32;
constexpr unsigned int kAllLanes = 0xffffffffu;
constexpr unsigned int kRowsThreads = 256;  // 8 warps: 8 (row, channel) pairs per CUDA block
// A warp loads this many 32-pixel chunks of its row before it scans them, so several loads are in flight at once.
constexpr int kChunksPerStep = 4;
// Rows per chunk of the column sums: chunks give the column pass a thread per (chunk, column) rather than one per
// column, which left most of the GPU idle.
constexpr int kColumnChunkRows = 64;
constexpr unsigned int kColumnThreads = 256;

// One warp per channel of one integral row, 32 pixels at a time: a warp-wide inclusive scan of each chunk plus the
// running total of the chunks before it. Loads and stores of a chunk are 32 consecutive words.
__global__ void integral_rows_kernel(const std::uint8_t* rgb, const std::uint8_t* valid, int width, int height,
                                     std::uint32_t* integral) {
  const std::int64_t warp = (static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x) / kWarp;
  const unsigned int lane = threadIdx.x % kWarp;
  const int y = static_cast<int>(warp / kChannels);
  const int c = static_cast<int>(warp % kChannels);
  if (y > height) return;  // the same for the whole warp
  std::uint32_t* row = integral + integral_index(width, c, 0, y);
  if (lane == 0) row[0] = 0;
  const std::int64_t first_pixel = static_cast<std::int64_t>(y - 1) * width;
  std::uint32_t carry = 0;
  for (int x0 = 0; x0 < width; x0 += kChunksPerStep * kWarp) {
    std::uint32_t value[kChunksPerStep];
#pragma unroll
    for (int k = 0; k < kChunksPerStep; ++k) {
      const int x = x0 + k * kWarp + lane;
      value[k] = y > 0 && x < width ? masked_channel(rgb, valid, first_pixel + x, c) : 0u;
    }
#pragma unroll
    for (int k = 0; k < kChunksPerStep; ++k) {
      std::uint32_t sum = value[k];
#pragma unroll
      for (unsigned int d = 1; d < kWarp; d <<= 1) {
        const std::uint32_t before = __shfl_up_sync(kAllLanes, sum, d);
        if (lane >= d) sum += before;
      }
      const int x = x0 + k * kWarp + lane;
      if (x < width) row[x + 1] = carry + sum;
      carry += __shfl_sync(kAllLanes, sum, kWarp - 1);
    }
  }
}

// Row 0's entry of column word j, the words being columns 1..width of each channel: j = c * width + (x - 1).
__device__ std::int64_t column_word(int width, std::int64_t j) {
  return integral_index(width, static_cast<int>(j / width), static_cast<int>(j % width) + 1, 0);
}

// Pass 1: each chunk's sum of row sums, per column word.
__global__ void column_chunk_sums_kernel(const std::uint32_t* integral, int width, int height, int chunks,
                                         std::uint32_t* sums) {
  const std::int64_t words = static_cast<std::int64_t>(width) * kChannels;
  const std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= words * chunks) return;
  const int chunk = static_cast<int>(i / words);
  const std::int64_t j = i % words;
  const std::int64_t pitch = integral_pitch(width);
  const std::uint32_t* word = integral + column_word(width, j);
  const int y0 = 1 + chunk * kColumnChunkRows, y1 = std::min(height + 1, y0 + kColumnChunkRows);
  std::uint32_t sum = 0;
#pragma unroll 8
  for (int y = y0; y < y1; ++y) sum += word[y * pitch];
  sums[i] = sum;
}

// Pass 2: per column word, the sums turned into the total of all chunks above each chunk.
__global__ void column_chunk_offsets_kernel(int width, int chunks, std::uint32_t* sums) {
  const std::int64_t words = static_cast<std::int64_t>(width) * kChannels;
  const std::int64_t j = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (j >= words) return;
  std::uint32_t above = 0;
  for (int chunk = 0; chunk < chunks; ++chunk) {
    const std::uint32_t own = sums[chunk * words + j];
    sums[chunk * words + j] = above;
    above += own;
  }
}

// Pass 3: each chunk's rows summed down from the chunk's offset. Eight rows are loaded before any is stored, so
// their loads overlap.
__global__ void column_chunk_prefix_kernel(std::uint32_t* integral, int width, int height, int chunks,
                                           const std::uint32_t* offsets) {
  constexpr int kRowsAtOnce = 8;
  const std::int64_t words = static_cast<std::int64_t>(width) * kChannels;
  const std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= words * chunks) return;
  const int chunk = static_cast<int>(i / words);
  const std::int64_t pitch = integral_pitch(width);
  std::uint32_t* word = integral + column_word(width, i % words);
  const int y0 = 1 + chunk * kColumnChunkRows, y1 = std::min(height + 1, y0 + kColumnChunkRows);
  std::uint32_t running = offsets[i];
  int y = y0;
  for (; y + kRowsAtOnce <= y1; y += kRowsAtOnce) {
    std::uint32_t value[kRowsAtOnce];
#pragma unroll
    for (int k = 0; k < kRowsAtOnce; ++k) value[k] = word[(y + k) * pitch];
#pragma unroll
    for (int k = 0; k < kRowsAtOnce; ++k) {
      running += value[k];
      word[(y + k) * pitch] = running;
    }
  }
  for (; y < y1; ++y) {
    running += word[y * pitch];
    word[y * pitch] = running;
  }
}

int column_chunks(int height) { return std::max(1, (height + kColumnChunkRows - 1) / kColumnChunkRows); }

}  // namespace

void integral_rows_cuda(const std::uint8_t* rgb, const std::uint8_t* valid, int width, int height,
                        std::uint32_t* integral, cudaStream_t stream) {
  if (width < 0 || height < 0) throw std::invalid_argument("integral_rows_cuda: negative size");
  const std::size_t threads = static_cast<std::size_t>(height + 1) * kChannels * kWarp;
  integral_rows_kernel<<<cuda::blocks_for(threads, kRowsThreads), kRowsThreads, 0, stream>>>(rgb, valid, width, height,
                                                                                             integral);
  CAMPSCOPE_CUDA_CHECK_LAUNCH();
}

std::int64_t prefix_columns_scratch_words(int width, int height) {
  return static_cast<std::int64_t>(width) * kChannels * column_chunks(height);
}

void prefix_columns_cuda(std::uint32_t* integral, int width, int height, std::uint32_t* scratch,
                         cudaStream_t stream) {
  const std::int64_t words = static_cast<std::int64_t>(width) * kChannels;
  if (words == 0 || height == 0) return;
  const int chunks = column_chunks(height);
  const std::size_t items = static_cast<std::size_t>(words * chunks);
  column_chunk_sums_kernel<<<cuda::blocks_for(items, kColumnThreads), kColumnThreads, 0, stream>>>(
      integral, width, height, chunks, scratch);
  CAMPSCOPE_CUDA_CHECK_LAUNCH();
  column_chunk_offsets_kernel<<<cuda::blocks_for(static_cast<std::size_t>(words), kColumnThreads), kColumnThreads,
                                0, stream>>>(width, chunks, scratch);
  CAMPSCOPE_CUDA_CHECK_LAUNCH();
  column_chunk_prefix_kernel<<<cuda::blocks_for(items, kColumnThreads), kColumnThreads, 0, stream>>>(
      integral, width, height, chunks, scratch);
  CAMPSCOPE_CUDA_CHECK_LAUNCH();
}

std::vector<std::uint32_t> integral_images_cuda(const std::uint8_t* rgb, const std::uint8_t* valid, int width,
                                                int height) {
  const std::int64_t pixels = static_cast<std::int64_t>(width) * height;
  cuda::Stream stream;
  cuda::DeviceBuffer<std::uint8_t> d_rgb(static_cast<std::size_t>(pixels * 3 + 1)),
      d_valid(static_cast<std::size_t>(pixels + 1));
  cuda::DeviceBuffer<std::uint32_t> d_integral(static_cast<std::size_t>(integral_size(width, height))),
      d_scratch(static_cast<std::size_t>(prefix_columns_scratch_words(width, height)));
  CAMPSCOPE_CUDA_CHECK(cudaMemcpyAsync(d_rgb.data(), rgb, pixels * 3, cudaMemcpyHostToDevice, stream.get()));
  CAMPSCOPE_CUDA_CHECK(cudaMemcpyAsync(d_valid.data(), valid, pixels, cudaMemcpyHostToDevice, stream.get()));
  integral_rows_cuda(d_rgb.data(), d_valid.data(), width, height, d_integral.data(), stream.get());
  prefix_columns_cuda(d_integral.data(), width, height, d_scratch.data(), stream.get());
  std::vector<std::uint32_t> integral(static_cast<std::size_t>(integral_size(width, height)));
  CAMPSCOPE_CUDA_CHECK(cudaMemcpyAsync(integral.data(), d_integral.data(), integral.size() * sizeof(std::uint32_t),
                                       cudaMemcpyDeviceToHost, stream.get()));
  stream.synchronize();
  return integral;
}

}  // namespace campscope::detect

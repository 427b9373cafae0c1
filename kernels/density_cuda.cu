#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "cuda_check.cuh"
#include "density_cuda.h"
#include "density_impl.h"
#include "density_passes_cuda.h"
#include "parallel_for.cuh"

namespace campscope {
namespace {

// Unsigned because CUDA's 64-bit atomicAdd is defined on unsigned long long; micro-persons are never negative and
// their total was checked on the host to fit in int64, so the bits read back as the same int64 values.
__global__ void splat_micro_persons_kernel(const WeightedPoint* points, const std::int64_t* micro_persons,
                                           std::int64_t count, DensityGeometry geometry, unsigned long long* cells) {
  const std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= count) return;
  const std::int64_t cell = density_cell_of(points[i].x, points[i].y, geometry);
  if (cell < 0) return;
  atomicAdd(&cells[cell], static_cast<unsigned long long>(micro_persons[i]));
}

void splat_micro_persons(const WeightedPoint* points, const std::int64_t* micro_persons, std::int64_t count,
                         const DensityGeometry& geometry, unsigned long long* cells, cudaStream_t stream) {
  if (count <= 0) return;
  constexpr unsigned int threads = 256;
  splat_micro_persons_kernel<<<cuda::blocks_for(static_cast<std::size_t>(count), threads), threads, 0, stream>>>(
      points, micro_persons, count, geometry, cells);
  CAMPSCOPE_CUDA_CHECK_LAUNCH();
}

// The row pass as in cuda-samples' convolutionSeparable: a block copies one segment of a row and its halo (reflected
// at the grid's edges, as DensityRowPass reflects) into shared memory, then each thread smooths kRowCellsPerThread
// cells of it, kRowThreads apart so the stores are coalesced. A tap's weight is read once for all of a thread's
// cells: shared-memory loads, not DRAM, bound this kernel (on an H200 this took it from 0.081 to 0.069 ms on a
// 4096 x 4096 grid).
constexpr int kRowThreads = 64;
constexpr int kRowCellsPerThread = 8;
constexpr int kRowSegment = kRowThreads * kRowCellsPerThread;

__global__ void __launch_bounds__(kRowThreads)
    density_row_pass_kernel(const float* in, float* out, const float* weights, int radius, int width,
                            int grid_first_row) {
  extern __shared__ float shared[];
  const int taps = 2 * radius + 1;
  float* tap_weights = shared;
  float* cells = shared + taps;
  const int y = grid_first_row + static_cast<int>(blockIdx.y);
  const int x0 = blockIdx.x * kRowSegment;
  for (int i = threadIdx.x; i < taps; i += kRowThreads) tap_weights[i] = weights[i];
  const float* row = in + static_cast<std::int64_t>(y) * width;
  const int segment = min(kRowSegment, width - x0);
  for (int i = threadIdx.x; i < segment + 2 * radius; i += kRowThreads)
    cells[i] = row[reflect_index(x0 - radius + i, width)];
  __syncthreads();
  // Cells past the segment's end sum halo values and are not stored.
  float sum[kRowCellsPerThread];
#pragma unroll
  for (int m = 0; m < kRowCellsPerThread; ++m) sum[m] = 0.0f;
  for (int k = 0; k < taps; ++k) {
    const float weight = tap_weights[k];
#pragma unroll
    for (int m = 0; m < kRowCellsPerThread; ++m)
      sum[m] = add_tap(sum[m], weight, cells[threadIdx.x + m * kRowThreads + k]);
  }
  float* result = out + static_cast<std::int64_t>(y) * width + x0;
#pragma unroll
  for (int m = 0; m < kRowCellsPerThread; ++m) {
    const int x = threadIdx.x + m * kRowThreads;
    if (x < segment) result[x] = sum[m];
  }
}

// The column pass: each thread smooths kColumnCells consecutive cells of one column, walking down it with the
// cells its taps need in a window of registers, so a cell is loaded (kColumnCells + 2 radius) / kColumnCells times
// rather than 2 radius + 1; a warp's loads are 32 neighbouring columns of one row.
constexpr int kColumnThreadsX = 32;
constexpr int kColumnThreadsY = 4;
constexpr int kColumnCells = 16;

__global__ void __launch_bounds__(kColumnThreadsX* kColumnThreadsY)
    density_column_pass_kernel(const float* in, float* out, const float* weights, int radius, int width,
                               int height, float per_km2, int grid_first_row) {
  extern __shared__ float tap_weights[];
  const int taps = 2 * radius + 1;
  for (int i = threadIdx.y * kColumnThreadsX + threadIdx.x; i < taps; i += kColumnThreadsX * kColumnThreadsY)
    tap_weights[i] = weights[i];
  __syncthreads();
  const int x = blockIdx.x * kColumnThreadsX + threadIdx.x;
  const int y0 = grid_first_row + (static_cast<int>(blockIdx.y) * kColumnThreadsY + threadIdx.y) * kColumnCells;
  if (x >= width || y0 >= height) return;
  // Rows beyond the grid reflect back into it, as in DensityColumnPass.
  const bool reflects = y0 - radius < 0 || y0 + kColumnCells + radius > height;
  const auto cell = [&](int row) {
    return in[static_cast<std::int64_t>(reflects ? reflect_index(row, height) : row) * width + x];
  };
  float window[kColumnCells], sum[kColumnCells];
#pragma unroll
  for (int j = 0; j < kColumnCells; ++j) {
    sum[j] = 0.0f;
    window[j] = cell(y0 - radius + j);
  }
  for (int k = 0; k < taps; ++k) {
    const float weight = tap_weights[k];
#pragma unroll
    for (int j = 0; j < kColumnCells; ++j) sum[j] = add_tap(sum[j], weight, window[j]);
#pragma unroll
    for (int j = 0; j + 1 < kColumnCells; ++j) window[j] = window[j + 1];
    if (k + 1 < taps) window[kColumnCells - 1] = cell(y0 - radius + kColumnCells + k);
  }
#pragma unroll
  for (int j = 0; j < kColumnCells; ++j)
    if (y0 + j < height) out[static_cast<std::int64_t>(y0 + j) * width + x] = sum[j] * per_km2;
}

// Shared memory the tiled passes need, and what a block may have without opting in to more.
constexpr std::size_t kSharedBytesPerBlock = 48 * 1024;
std::size_t row_pass_shared_bytes(int radius) {
  return (4 * static_cast<std::size_t>(radius) + 1 + kRowSegment) * sizeof(float);
}
std::size_t column_pass_shared_bytes(int radius) { return (2 * static_cast<std::size_t>(radius) + 1) * sizeof(float); }

}  // namespace

// Beyond what a tile holds (radius above about 2,900 cells for the rows, 6,100 for the columns), the passes'
// functors, one cell per thread.
void density_row_pass_cuda(const float* in, float* out, const float* weights, int radius, int width, int height,
                           cudaStream_t stream) {
  if (width <= 0 || height <= 0) return;
  if (row_pass_shared_bytes(radius) > kSharedBytesPerBlock) {
    for_each_pixel_cuda(width, height, DensityRowPass{in, out, weights, radius, width, height, 1, nullptr, nullptr},
                        stream);
    return;
  }
  for (int first_row = 0; first_row < height; first_row += static_cast<int>(kMaxGridRows)) {
    const dim3 grid(cuda::blocks_for(static_cast<std::size_t>(width), kRowSegment),
                    static_cast<unsigned int>(std::min(height - first_row, static_cast<int>(kMaxGridRows))));
    density_row_pass_kernel<<<grid, kRowThreads, row_pass_shared_bytes(radius), stream>>>(in, out, weights, radius,
                                                                                        width, first_row);
    CAMPSCOPE_CUDA_CHECK_LAUNCH();
  }
}

void density_column_pass_cuda(const float* in, float* out, const float* weights, int radius, int width, int height,
                              float per_km2, cudaStream_t stream) {
  if (width <= 0 || height <= 0) return;
  if (column_pass_shared_bytes(radius) > kSharedBytesPerBlock) {
    for_each_pixel_cuda(width, height,
                        DensityColumnPass{in, out, weights, radius, width, height, per_km2, 1, nullptr}, stream);
    return;
  }
  constexpr int rows_per_block = kColumnThreadsY * kColumnCells;
  constexpr int rows_per_launch = static_cast<int>(kMaxGridRows) * rows_per_block;
  for (int first_row = 0; first_row < height; first_row += rows_per_launch) {
    const int rows = std::min(height - first_row, rows_per_launch);
    const dim3 grid(cuda::blocks_for(static_cast<std::size_t>(width), kColumnThreadsX),
                    cuda::blocks_for(static_cast<std::size_t>(rows), rows_per_block));
    density_column_pass_kernel<<<grid, dim3(kColumnThreadsX, kColumnThreadsY), column_pass_shared_bytes(radius),
                                 stream>>>(in, out, weights, radius, width, height, per_km2, first_row);
    CAMPSCOPE_CUDA_CHECK_LAUNCH();
  }
}

std::vector<float> density_map_cuda(const DensityPlan& plan, const std::vector<WeightedPoint>& points,
                                    const std::vector<std::int64_t>& micro_persons) {
  const DensityGeometry& g = plan.geometry;
  const std::int64_t cells = static_cast<std::int64_t>(g.width) * g.height;
  const std::size_t cell_count = static_cast<std::size_t>(cells);
  cuda::Stream stream;

  cuda::DeviceBuffer<WeightedPoint> device_points;
  cuda::DeviceBuffer<std::int64_t> device_micro_persons;
  cuda::DeviceBuffer<float> device_weights;
  cuda::upload(points, device_points, stream.get());
  cuda::upload(micro_persons, device_micro_persons, stream.get());
  cuda::upload(plan.weights, device_weights, stream.get());

  cuda::DeviceBuffer<unsigned long long> micro_cells(cell_count);
  CAMPSCOPE_CUDA_CHECK(cudaMemsetAsync(micro_cells.data(), 0, cell_count * sizeof(unsigned long long), stream.get()));
  splat_micro_persons(device_points.data(), device_micro_persons.data(), static_cast<std::int64_t>(points.size()), g,
                      micro_cells.data(), stream.get());

  cuda::DeviceBuffer<float> persons(cell_count);
  cuda::DeviceBuffer<float> smoothed_rows(cell_count);
  parallel_for_cuda(cells, DensityCellsToPersons{reinterpret_cast<const std::int64_t*>(micro_cells.data()),
                                                 persons.data()},
                    stream.get());
  // No spans: every cell is summed.
  density_row_pass_cuda(persons.data(), smoothed_rows.data(), device_weights.data(), plan.radius(), g.width, g.height,
                        stream.get());
  density_column_pass_cuda(smoothed_rows.data(), persons.data(), device_weights.data(), plan.radius(), g.width,
                           g.height, plan.per_km2, stream.get());

  std::vector<float> result(cell_count);
  CAMPSCOPE_CUDA_CHECK(
      cudaMemcpyAsync(result.data(), persons.data(), cell_count * sizeof(float), cudaMemcpyDeviceToHost, stream.get()));
  stream.synchronize();
  return result;
}

}  // namespace campscope

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
// consecutive cells of it. Its taps' cells slide through a ring of registers, one shared-memory load per tap for all
// of its cells. Cell i of the segment lives at skewed(i), one spare word after every kRowCellsPerThread, so the 32
// threads of a warp, kRowCellsPerThread cells apart, read 32 different banks. Away from the grid's edges the
// segment comes in, and its cells go out, as float4: on an H200, for a 4096 x 4096 grid and radius 10, 0.065 ms
// against 0.075 ms for one float per thread either way (bench/cuda_kernels.cu measures it).
constexpr int kRowThreads = 128;
constexpr int kRowCellsPerThread = 8;
constexpr int kRowSegment = kRowThreads * kRowCellsPerThread;
static_assert(kRowCellsPerThread % 4 == 0, "a thread stores its cells as float4");

// A pass's taps in shared memory, rounded up to whole rounds of taps (zeros past the last): within a round the
// compiler loads several weights at once, past the last tap too (compute-sanitizer's memcheck caught the column
// pass reading beyond its shared memory).
template <typename Count>
__host__ __device__ constexpr Count taps_in_rounds(Count radius, Count round) {
  return (2 * radius + 1 + round - 1) / round * round;
}
__device__ __forceinline__ void load_tap_weights(const float* weights, int radius, int round, int thread, int threads,
                                                 float* tap_weights) {
  const int taps = 2 * radius + 1;
  for (int i = thread; i < taps_in_rounds(radius, round); i += threads) tap_weights[i] = i < taps ? weights[i] : 0.0f;
}

__device__ __forceinline__ int skewed(int i) { return i + i / kRowCellsPerThread; }
__device__ __forceinline__ bool float4_aligned(const float* p) {
  return reinterpret_cast<std::uintptr_t>(p) % sizeof(float4) == 0;
}

// Cells [first, first + count) of the grid into cells[skewed(0 .. count - 1)] by the float4s that hold them, when
// those lie inside the grid's buffer [grid, grid_end); false, loading nothing, when they do not.
__device__ __forceinline__ bool load_as_float4(const float* grid, const float* grid_end, const float* first, int count,
                                               float* cells) {
  const int shift = static_cast<int>(reinterpret_cast<std::uintptr_t>(first) / sizeof(float) % 4);
  const int quads = (shift + count + 3) / 4;
  const float* start = first - shift;
  if (!float4_aligned(grid) || start < grid || start + 4 * quads > grid_end) return false;
  const float4* source = reinterpret_cast<const float4*>(start);
  for (int q = threadIdx.x; q < quads; q += kRowThreads) {
    const float4 quad = source[q];
    const float values[4] = {quad.x, quad.y, quad.z, quad.w};
#pragma unroll
    for (int j = 0; j < 4; ++j) {
      const int i = 4 * q + j - shift;
      if (i >= 0 && i < count) cells[skewed(i)] = values[j];
    }
  }
  return true;
}

__global__ void __launch_bounds__(kRowThreads)
    density_row_pass_kernel(const float* in, float* out, const float* weights, int radius, int width, int height,
                            int grid_first_row) {
  extern __shared__ float shared[];
  const int taps = 2 * radius + 1;
  float* tap_weights = shared;
  float* cells = shared + taps_in_rounds(radius, kRowCellsPerThread);
  const int y = grid_first_row + static_cast<int>(blockIdx.y);
  const int x0 = blockIdx.x * kRowSegment;
  load_tap_weights(weights, radius, kRowCellsPerThread, threadIdx.x, kRowThreads, tap_weights);
  const float* row = in + static_cast<std::int64_t>(y) * width;
  const int segment = min(kRowSegment, width - x0);
  const int halo_segment = segment + 2 * radius;
  const bool inside = x0 - radius >= 0 && x0 + segment + radius <= width;
  if (!inside ||
      !load_as_float4(in, in + static_cast<std::int64_t>(width) * height, row + x0 - radius, halo_segment, cells)) {
    for (int i = threadIdx.x; i < halo_segment; i += kRowThreads)
      cells[skewed(i)] = row[reflect_index(x0 - radius + i, width)];
  }
  __syncthreads();
  // Cells past the segment's end sum halo values, or whatever the shared memory held, and are not stored.
  const int first = threadIdx.x * kRowCellsPerThread;
  float sum[kRowCellsPerThread], ring[kRowCellsPerThread];
#pragma unroll
  for (int m = 0; m < kRowCellsPerThread; ++m) {
    sum[m] = 0.0f;
    ring[m] = cells[skewed(first + m)];
  }
  // At tap k cell m takes the value at first + m + k, kept in ring[(m + k) % kRowCellsPerThread]. A round of
  // kRowCellsPerThread taps, unrolled, makes every ring index a constant, so the ring stays in registers, and the
  // round's loads are consecutive in the skewed layout. Its last load may be one cell past the segment's halo,
  // still inside the shared memory.
  int round = 0;
  const auto smooth_round = [&](int steps) {
    const float* next = cells + skewed(first + kRowCellsPerThread + round);
#pragma unroll
    for (int step = 0; step < kRowCellsPerThread; ++step) {
      if (step >= steps) break;
      const float weight = tap_weights[round + step];
#pragma unroll
      for (int m = 0; m < kRowCellsPerThread; ++m)
        sum[m] = add_tap(sum[m], weight, ring[(m + step) % kRowCellsPerThread]);
      ring[step] = next[step];
    }
  };
  for (; round + kRowCellsPerThread <= taps; round += kRowCellsPerThread) smooth_round(kRowCellsPerThread);
  smooth_round(taps - round);
  float* result = out + static_cast<std::int64_t>(y) * width + x0;
  if (segment == kRowSegment && float4_aligned(result)) {
    float4* quads = reinterpret_cast<float4*>(result + first);
#pragma unroll
    for (int m = 0; m < kRowCellsPerThread; m += 4)
      quads[m / 4] = make_float4(sum[m], sum[m + 1], sum[m + 2], sum[m + 3]);
    return;
  }
  // Otherwise back through shared memory, so that the stores are coalesced.
  __syncthreads();
#pragma unroll
  for (int m = 0; m < kRowCellsPerThread; ++m) cells[skewed(first + m)] = sum[m];
  __syncthreads();
  for (int i = threadIdx.x; i < segment; i += kRowThreads) result[i] = cells[skewed(i)];
}

// The column pass: each thread smooths kColumnCells consecutive cells of one column, walking down it with the
// cells its taps need in a ring of registers, as the row pass does, so a cell is loaded (kColumnCells + 2 radius) /
// kColumnCells times rather than 2 radius + 1; a warp's loads are 32 neighbouring columns of one row.
constexpr int kColumnThreadsX = 32;
constexpr int kColumnThreadsY = 4;
constexpr int kColumnCells = 16;

// Cells y0 .. y0 + kColumnCells - 1 of column x. Rounds of taps as in the row pass; away from the grid's borders
// (Reflects false) a round's rows are width apart, so its loads step through one pointer.
template <bool Reflects>
__device__ __forceinline__ void smooth_column(const float* in, float* out, const float* tap_weights, int radius,
                                              int width, int height, float per_km2, int x, int y0) {
  const int taps = 2 * radius + 1;
  const auto row_at = [&](int row) {
    return in + static_cast<std::int64_t>(Reflects ? reflect_index(row, height) : row) * width + x;
  };
  float ring[kColumnCells], sum[kColumnCells];
#pragma unroll
  for (int j = 0; j < kColumnCells; ++j) {
    sum[j] = 0.0f;
    ring[j] = *row_at(y0 - radius + j);
  }
  int round = 0;
  const auto smooth_round = [&](int steps) {
    const int next = y0 - radius + kColumnCells + round;
    const float* below = row_at(next);
#pragma unroll
    for (int step = 0; step < kColumnCells; ++step) {
      if (step >= steps) break;
      const float weight = tap_weights[round + step];
#pragma unroll
      for (int j = 0; j < kColumnCells; ++j) sum[j] = add_tap(sum[j], weight, ring[(j + step) % kColumnCells]);
      if (Reflects) {
        ring[step] = *row_at(next + step);
      } else {
        ring[step] = *below;
        below += width;
      }
    }
  };
  for (; round + kColumnCells <= taps; round += kColumnCells) smooth_round(kColumnCells);
  smooth_round(taps - round);
#pragma unroll
  for (int j = 0; j < kColumnCells; ++j)
    if (y0 + j < height) out[static_cast<std::int64_t>(y0 + j) * width + x] = sum[j] * per_km2;
}

__global__ void __launch_bounds__(kColumnThreadsX* kColumnThreadsY)
    density_column_pass_kernel(const float* in, float* out, const float* weights, int radius, int width,
                               int height, float per_km2, int grid_first_row) {
  extern __shared__ float tap_weights[];
  load_tap_weights(weights, radius, kColumnCells, threadIdx.y * kColumnThreadsX + threadIdx.x,
                   kColumnThreadsX * kColumnThreadsY, tap_weights);
  __syncthreads();
  const int x = blockIdx.x * kColumnThreadsX + threadIdx.x;
  const int y0 = grid_first_row + (static_cast<int>(blockIdx.y) * kColumnThreadsY + threadIdx.y) * kColumnCells;
  if (x >= width || y0 >= height) return;
  // Rows beyond the grid reflect back into it, as in DensityColumnPass. The last round loads one row past the
  // taps, which counts as beyond.
  if (y0 - radius < 0 || y0 + kColumnCells + radius >= height) {
    smooth_column<true>(in, out, tap_weights, radius, width, height, per_km2, x, y0);
  } else {
    smooth_column<false>(in, out, tap_weights, radius, width, height, per_km2, x, y0);
  }
}

// Shared memory the tiled passes need, and what a block may have without opting in to more.
constexpr std::size_t kSharedBytesPerBlock = 48 * 1024;
std::size_t row_pass_shared_bytes(int radius) {
  const std::size_t taps = taps_in_rounds<std::size_t>(radius, kRowCellsPerThread);
  const std::size_t segment_cells = kRowSegment + 2 * static_cast<std::size_t>(radius);
  return (taps + segment_cells + segment_cells / kRowCellsPerThread + 1) * sizeof(float);
}
std::size_t column_pass_shared_bytes(int radius) {
  return taps_in_rounds<std::size_t>(radius, kColumnCells) * sizeof(float);
}

}  // namespace

// Beyond what a tile holds (radius above about 2,600 cells for the rows, 6,100 for the columns), the passes'
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
                                                                                        width, height, first_row);
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

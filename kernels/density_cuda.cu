#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <type_traits>
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

// The passes' radius is a template parameter up to kMaxTiledRadius (the default 25 m bandwidth on 10 m cells takes
// 10): each thread then holds the window of cells its taps read in registers, indexed by constants, and sums each
// of its cells in symmetric_sum's order. Wider kernels take the functors, one cell per thread.
constexpr int kMaxTiledRadius = 24;

// The Gaussian's taps from the outermost to the centre (weights[0 .. R]), into registers.
template <int R>
__device__ __forceinline__ void load_half_weights(const float* weights, float* half) {
#pragma unroll
  for (int k = 0; k <= R; ++k) half[k] = weights[k];
}

// Cells m = 0 .. C - 1 of a window holding cells m - R .. m + R at win[m .. m + 2R].
template <int C, int R>
__device__ __forceinline__ void symmetric_sums(const float* half, const float* win, float* sum) {
#pragma unroll
  for (int m = 0; m < C; ++m) {
    float s = 0.0f;
#pragma unroll
    for (int k = R; k >= 1; --k) s = add_tap(s, half[R - k], win[m + R - k] + win[m + R + k]);
    sum[m] = add_tap(s, half[R], win[m + R]);
  }
}

__device__ __forceinline__ bool float4_aligned(const float* p) {
  return reinterpret_cast<std::uintptr_t>(p) % sizeof(float4) == 0;
}

// The row pass: each thread smooths kRowCells consecutive cells of a row, reading its window of kRowCells + 2R cells
// straight from global memory as the aligned float4s that hold it; the warp's neighbouring windows overlap in L1.
// On an H200 (4096 x 4096 grid, radius 10) 0.050 ms against 0.065 ms for cuda-samples' convolutionSeparable layout
// (a row segment staged in shared memory, 128 or 256 threads of 4-16 cells each: none faster), and 0.058 ms with the
// window read from such a segment.
constexpr int kRowThreads = 128;
constexpr int kRowCells = 8;
static_assert(kRowCells % 4 == 0, "a thread stores its cells as float4");

// The float4s holding a window that starts `Shift` cells into quads[0].
template <int R, int Shift>
constexpr int row_window_quads() {
  return (Shift + kRowCells + 2 * R + 3) / 4;
}

template <int R, int Shift>
__device__ __forceinline__ void load_row_window(const float4* quads, float* win) {
  constexpr int kQuads = row_window_quads<R, Shift>();
  float raw[4 * kQuads];
#pragma unroll
  for (int q = 0; q < kQuads; ++q) {
    const float4 v = quads[q];
    raw[4 * q] = v.x;
    raw[4 * q + 1] = v.y;
    raw[4 * q + 2] = v.z;
    raw[4 * q + 3] = v.w;
  }
#pragma unroll
  for (int j = 0; j < kRowCells + 2 * R; ++j) win[j] = raw[j + Shift];
}

template <int R>
__global__ void __launch_bounds__(kRowThreads)
    density_row_pass_kernel(const float* in, float* out, const float* weights, int width,
                            std::int64_t cells_in_grid, int grid_first_row) {
  const int x = (static_cast<int>(blockIdx.x) * kRowThreads + static_cast<int>(threadIdx.x)) * kRowCells;
  if (x >= width) return;
  const std::int64_t row = static_cast<std::int64_t>(grid_first_row + static_cast<int>(blockIdx.y)) * width;
  float half[R + 1], win[kRowCells + 2 * R], sum[kRowCells];
  load_half_weights<R>(weights, half);
  const std::int64_t first = row + x - R;  // the window's first cell
  // The window's float4s, when they lie inside the grid's buffer: the last may reach up to three cells past the
  // window, and past the buffer's end.
  const std::int64_t quads_end = (first & ~static_cast<std::int64_t>(3)) + 4 * row_window_quads<R, 3>();
  if (x - R >= 0 && x + kRowCells + R <= width && float4_aligned(in) && quads_end <= cells_in_grid) {
    const float4* quads = reinterpret_cast<const float4*>(in + (first & ~static_cast<std::int64_t>(3)));
    switch (static_cast<int>(first & 3)) {
      case 0: load_row_window<R, 0>(quads, win); break;
      case 1: load_row_window<R, 1>(quads, win); break;
      case 2: load_row_window<R, 2>(quads, win); break;
      default: load_row_window<R, 3>(quads, win); break;
    }
  } else {
#pragma unroll
    for (int j = 0; j < kRowCells + 2 * R; ++j) win[j] = in[row + reflect_index(x - R + j, width)];
  }
  symmetric_sums<kRowCells, R>(half, win, sum);
  float* result = out + row + x;
  if (x + kRowCells <= width && float4_aligned(result)) {
#pragma unroll
    for (int m = 0; m < kRowCells; m += 4)
      reinterpret_cast<float4*>(result)[m / 4] = make_float4(sum[m], sum[m + 1], sum[m + 2], sum[m + 3]);
  } else {
#pragma unroll
    for (int m = 0; m < kRowCells; ++m)
      if (x + m < width) result[m] = sum[m];
  }
}

// The column pass: each thread smooths kColumnCells consecutive cells of one column from its window of
// kColumnCells + 2R cells; a warp's loads are 32 neighbouring columns of one row. Rows beyond the grid reflect back
// into it, as in DensityColumnPass. 0.046 ms against 0.058 ms for the taps in a ring of registers (H200, as above).
constexpr int kColumnThreadsX = 32;
constexpr int kColumnThreadsY = 4;
constexpr int kColumnCells = 16;

template <int R>
__global__ void __launch_bounds__(kColumnThreadsX* kColumnThreadsY)
    density_column_pass_kernel(const float* in, float* out, const float* weights, int width, int height,
                               float per_km2, int grid_first_row) {
  const int x = static_cast<int>(blockIdx.x) * kColumnThreadsX + static_cast<int>(threadIdx.x);
  const int y0 = grid_first_row + (static_cast<int>(blockIdx.y) * kColumnThreadsY + static_cast<int>(threadIdx.y)) *
                                      kColumnCells;
  if (x >= width || y0 >= height) return;
  float half[R + 1], win[kColumnCells + 2 * R], sum[kColumnCells];
  load_half_weights<R>(weights, half);
  if (y0 - R < 0 || y0 + kColumnCells + R > height) {
#pragma unroll
    for (int j = 0; j < kColumnCells + 2 * R; ++j)
      win[j] = in[static_cast<std::int64_t>(reflect_index(y0 - R + j, height)) * width + x];
  } else {
    const float* column = in + static_cast<std::int64_t>(y0 - R) * width + x;
#pragma unroll
    for (int j = 0; j < kColumnCells + 2 * R; ++j) win[j] = column[static_cast<std::int64_t>(j) * width];
  }
  symmetric_sums<kColumnCells, R>(half, win, sum);
#pragma unroll
  for (int m = 0; m < kColumnCells; ++m)
    if (y0 + m < height) out[static_cast<std::int64_t>(y0 + m) * width + x] = sum[m] * per_km2;
}

// Calls launch(std::integral_constant<int, R>{}) for the template radius R == radius; false when radius is beyond
// kMaxTiledRadius.
template <int R = 0, typename Launch>
bool with_tiled_radius(int radius, const Launch& launch) {
  if constexpr (R > kMaxTiledRadius) {
    return false;
  } else {
    if (radius == R) {
      launch(std::integral_constant<int, R>{});
      return true;
    }
    return with_tiled_radius<R + 1>(radius, launch);
  }
}

}  // namespace

void density_row_pass_cuda(const float* in, float* out, const float* weights, int radius, int width, int height,
                           cudaStream_t stream) {
  if (width <= 0 || height <= 0) return;
  const bool tiled = with_tiled_radius(radius, [&](auto r) {
    constexpr int R = decltype(r)::value;
    for (int first_row = 0; first_row < height; first_row += static_cast<int>(kMaxGridRows)) {
      const dim3 grid(cuda::blocks_for(static_cast<std::size_t>(width), kRowThreads * kRowCells),
                      static_cast<unsigned int>(std::min(height - first_row, static_cast<int>(kMaxGridRows))));
      density_row_pass_kernel<R><<<grid, kRowThreads, 0, stream>>>(
          in, out, weights, width, static_cast<std::int64_t>(width) * height, first_row);
      CAMPSCOPE_CUDA_CHECK_LAUNCH();
    }
  });
  if (!tiled)
    for_each_pixel_cuda(width, height, DensityRowPass{in, out, weights, radius, width, height, 1, nullptr, nullptr},
                        stream);
}

void density_column_pass_cuda(const float* in, float* out, const float* weights, int radius, int width, int height,
                              float per_km2, cudaStream_t stream) {
  if (width <= 0 || height <= 0) return;
  const bool tiled = with_tiled_radius(radius, [&](auto r) {
    constexpr int R = decltype(r)::value;
    constexpr int rows_per_block = kColumnThreadsY * kColumnCells;
    constexpr int rows_per_launch = static_cast<int>(kMaxGridRows) * rows_per_block;
    for (int first_row = 0; first_row < height; first_row += rows_per_launch) {
      const int rows = std::min(height - first_row, rows_per_launch);
      const dim3 grid(cuda::blocks_for(static_cast<std::size_t>(width), kColumnThreadsX),
                      cuda::blocks_for(static_cast<std::size_t>(rows), rows_per_block));
      density_column_pass_kernel<R><<<grid, dim3(kColumnThreadsX, kColumnThreadsY), 0, stream>>>(
          in, out, weights, width, height, per_km2, first_row);
      CAMPSCOPE_CUDA_CHECK_LAUNCH();
    }
  });
  if (!tiled)
    for_each_pixel_cuda(width, height,
                        DensityColumnPass{in, out, weights, radius, width, height, per_km2, 1, nullptr}, stream);
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

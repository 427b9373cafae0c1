#include <cstddef>
#include <cstdint>
#include <vector>

#include "cuda_check.cuh"
#include "density_cuda.h"
#include "density_impl.h"
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


}  // namespace

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
  // One cell per thread (run 1), so neighbouring threads read neighbouring cells; no spans, every cell is summed.
  parallel_for_cuda(DensityRowPass{persons.data(), smoothed_rows.data(), device_weights.data(), plan.radius(), g.width,
                                   g.height, 1, nullptr, nullptr},
                    stream.get());
  parallel_for_cuda(DensityColumnPass{smoothed_rows.data(), persons.data(), device_weights.data(), plan.radius(),
                                      g.width, g.height, plan.per_km2, 1, nullptr},
                    stream.get());

  std::vector<float> result(cell_count);
  CAMPSCOPE_CUDA_CHECK(
      cudaMemcpyAsync(result.data(), persons.data(), cell_count * sizeof(float), cudaMemcpyDeviceToHost, stream.get()));
  stream.synchronize();
  return result;
}

}  // namespace campscope

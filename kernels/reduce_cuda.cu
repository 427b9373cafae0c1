#include <thrust/copy.h>
#include <thrust/device_vector.h>
#include <thrust/execution_policy.h>
#include <thrust/iterator/constant_iterator.h>
#include <thrust/iterator/zip_iterator.h>
#include <thrust/reduce.h>
#include <thrust/sort.h>
#include <thrust/transform.h>
#include <thrust/tuple.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "cuda_check.cuh"
#include "parallel_for.cuh"
#include "reduce_cuda.h"
#include "reduce_impl.h"

namespace campscope {
namespace {


struct CampClassKey {
  __host__ __device__ std::int32_t operator()(const thrust::tuple<std::int32_t, std::uint8_t>& camp_and_class) const {
    return camp_class_key(thrust::get<0>(camp_and_class), thrust::get<1>(camp_and_class));
  }
};

}  // namespace

std::vector<std::int32_t> assign_camps_cuda(const PreparedCamps& camps, const std::vector<ReducePoint>& points) {
  std::vector<std::int32_t> camp_of_point(points.size());
  if (points.empty()) return camp_of_point;
  const CampPolygons& polygons = *camps.polygons;
  cuda::Stream stream;
  cuda::DeviceBuffer<double> xs, ys, boxes;
  cuda::DeviceBuffer<std::int32_t> ring_offsets, camp_rings, device_camp_of_point(points.size());
  cuda::DeviceBuffer<ReducePoint> device_points;
  cuda::upload(polygons.xs, xs, stream.get());
  cuda::upload(polygons.ys, ys, stream.get());
  cuda::upload(camps.boxes, boxes, stream.get());
  cuda::upload(polygons.ring_offsets, ring_offsets, stream.get());
  cuda::upload(polygons.camp_rings, camp_rings, stream.get());
  cuda::upload(points, device_points, stream.get());

  const CampPolygonView view{xs.data(), ys.data(), ring_offsets.data(), camp_rings.data(), boxes.data(),
                             polygons.camp_count()};
  parallel_for_cuda(static_cast<std::int64_t>(points.size()),
                    AssignCampsBody{view, device_points.data(), device_camp_of_point.data()}, stream.get());
  CAMPSCOPE_CUDA_CHECK(cudaMemcpyAsync(camp_of_point.data(), device_camp_of_point.data(),
                                       points.size() * sizeof(std::int32_t), cudaMemcpyDeviceToHost, stream.get()));
  stream.synchronize();
  return camp_of_point;
}

std::vector<CampTotals> reduce_by_camp_cuda(const std::vector<ReducePoint>& points,
                                            const std::vector<std::int32_t>& camp_of_point, int camp_count) {
  std::vector<CampTotals> totals(static_cast<std::size_t>(camp_count));
  if (points.empty() || camp_count == 0) return totals;
  std::vector<std::uint8_t> classes(points.size());
  for (std::size_t i = 0; i < points.size(); ++i) classes[i] = static_cast<std::uint8_t>(points[i].cls);

  const thrust::device_vector<std::int32_t> camps(camp_of_point.begin(), camp_of_point.end());
  const thrust::device_vector<std::uint8_t> device_classes(classes.begin(), classes.end());
  thrust::device_vector<std::int32_t> keys(points.size());
  thrust::transform(thrust::device, thrust::make_zip_iterator(thrust::make_tuple(camps.begin(), device_classes.begin())),
                    thrust::make_zip_iterator(thrust::make_tuple(camps.end(), device_classes.end())), keys.begin(),
                    CampClassKey{});
  thrust::sort(thrust::device, keys.begin(), keys.end());

  // At most two keys per camp plus the -1 group of points outside every camp.
  const std::size_t max_groups = 2 * static_cast<std::size_t>(camp_count) + 1;
  thrust::device_vector<std::int32_t> group_keys(max_groups);
  thrust::device_vector<unsigned long long> group_counts(max_groups);
  const auto ends = thrust::reduce_by_key(thrust::device, keys.begin(), keys.end(),
                                          thrust::make_constant_iterator<unsigned long long>(1ULL),
                                          group_keys.begin(), group_counts.begin());
  const std::size_t groups = static_cast<std::size_t>(ends.first - group_keys.begin());
  std::vector<std::int32_t> host_keys(groups);
  std::vector<unsigned long long> host_counts(groups);
  thrust::copy(group_keys.begin(), group_keys.begin() + groups, host_keys.begin());
  thrust::copy(group_counts.begin(), group_counts.begin() + groups, host_counts.begin());
  CAMPSCOPE_CUDA_CHECK(cudaDeviceSynchronize());

  for (std::size_t g = 0; g < groups; ++g) {
    if (host_keys[g] < 0) continue;
    CampTotals& camp = totals[static_cast<std::size_t>(host_keys[g] / 2)];
    const std::int64_t count = static_cast<std::int64_t>(host_counts[g]);
    if (host_keys[g] % 2 == static_cast<std::int32_t>(ObjectClass::Vehicle)) {
      camp.vehicles = count;
    } else {
      camp.tents = count;
    }
  }
  return totals;
}

}  // namespace campscope

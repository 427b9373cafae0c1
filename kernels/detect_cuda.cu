#include <thrust/copy.h>
#include <thrust/execution_policy.h>
#include <thrust/iterator/counting_iterator.h>

#include <cstdint>
#include <vector>

#include "cuda_check.cuh"
#include "detect_backends.h"
#include "detect_pixels_impl.h"
#include "detect_regions_impl.h"
#include "parallel_for.cuh"

namespace campscope::detect {
namespace {

struct IsFlagged {
  const std::uint8_t* flags;
  __host__ __device__ bool operator()(std::int32_t i) const { return flags[i] != 0; }
};

// Buffers reused across blocks, so steady-state processing does no cudaMalloc per tile.
struct Workspace {
  cuda::Stream stream;
  cuda::DeviceBuffer<std::uint8_t> rgb, valid, is_candidate;
  cuda::DeviceBuffer<std::uint32_t> integral;
  cuda::DeviceBuffer<std::uint16_t> response;
  cuda::DeviceBuffer<std::int32_t> candidates;
  cuda::DeviceBuffer<CandidateResult> results;
};

Workspace& thread_workspace() {
  thread_local Workspace workspace;
  return workspace;
}

}  // namespace

std::vector<CandidateResult> analyse_block_cuda(const RgbBlock& block, const PixelParams& params) {
  const int w = block.width;
  const int h = block.height;
  const std::int64_t pixels = static_cast<std::int64_t>(w) * h;
  if (pixels == 0) return {};
  Workspace& ws = thread_workspace();
  cudaStream_t stream = ws.stream.get();
  ws.rgb.reserve(pixels * 3);
  ws.valid.reserve(pixels);
  ws.is_candidate.reserve(pixels);
  ws.response.reserve(pixels);
  ws.candidates.reserve(pixels);
  ws.integral.reserve(static_cast<std::size_t>(integral_size(w, h)));

  CAMPSCOPE_CUDA_CHECK(cudaMemcpyAsync(ws.rgb.data(), block.rgb.data(), pixels * 3, cudaMemcpyHostToDevice, stream));
  CAMPSCOPE_CUDA_CHECK(cudaMemcpyAsync(ws.valid.data(), block.valid.data(), pixels, cudaMemcpyHostToDevice, stream));

  // Contrast and maxima take one pixel per thread (run 1), so neighbouring threads read neighbouring words.
  parallel_for_cuda(IntegralRows{ws.rgb.data(), ws.valid.data(), ws.integral.data(), w, h}, stream);
  parallel_for_cuda(PrefixColumns{ws.integral.data(), w, h}, stream);
  parallel_for_cuda(ContrastResponse{ws.integral.data(), ws.response.data(), w, h, params, 1}, stream);
  parallel_for_cuda(LocalMaxima{ws.response.data(), ws.is_candidate.data(), w, h, params.nms_radius,
                                params.physical.min_contrast, 1},
                    stream);

  // Stream compaction keeps row-major order, so candidates come out in the same order as on the CPU.
  std::int32_t* end = thrust::copy_if(thrust::cuda::par.on(stream), thrust::counting_iterator<std::int32_t>(0),
                                      thrust::counting_iterator<std::int32_t>(static_cast<std::int32_t>(pixels)),
                                      ws.candidates.data(), IsFlagged{ws.is_candidate.data()});
  CAMPSCOPE_CUDA_CHECK_LAUNCH();
  const std::int64_t count = end - ws.candidates.data();

  std::vector<CandidateResult> results(count);
  if (count > 0) {
    ws.results.reserve(count);
    parallel_for_cuda(count,
                      AnalyseCandidates{ws.rgb.data(), ws.valid.data(), ws.candidates.data(), ws.results.data(), w,
                                        h, params},
                      stream);
    CAMPSCOPE_CUDA_CHECK(cudaMemcpyAsync(results.data(), ws.results.data(), count * sizeof(CandidateResult),
                                         cudaMemcpyDeviceToHost, stream));
  }
  ws.stream.synchronize();
  return results;
}

}  // namespace campscope::detect

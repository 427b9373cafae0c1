#include <thrust/iterator/counting_iterator.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <cub/device/device_select.cuh>
#include <memory>
#include <mutex>
#include <vector>

#include "contrast_cuda.h"
#include "cuda_check.cuh"
#include "detect_backends.h"
#include "detect_pixels_impl.h"
#include "detect_regions_impl.h"
#include "integral_cuda.h"
#include "parallel_for.cuh"

namespace campscope::detect {
namespace {

struct IsFlagged {
  const std::uint8_t* flags;
  __host__ __device__ bool operator()(std::int32_t i) const { return flags[i] != 0; }
};

// Buffers reused across blocks, so steady-state processing does no cudaMalloc (or cudaMallocHost) per tile.
struct Workspace {
  cuda::Stream stream;
  cuda::PinnedBuffer<std::uint8_t> staged_rgb, staged_valid;  // page-locked, so copies run asynchronously
  cuda::PinnedBuffer<CandidateResult> staged_results;
  cuda::DeviceBuffer<std::uint8_t> rgb, valid, is_candidate;
  // Only for boxes too large for tiled_contrast_cuda; column_sums is prefix_columns_cuda's scratch.
  cuda::DeviceBuffer<std::uint32_t> integral, column_sums;
  cuda::DeviceBuffer<std::uint16_t> response;
  cuda::DeviceBuffer<std::int32_t> candidates;
  cuda::PinnedBuffer<std::int32_t> staged_candidates;  // the neighbours of found tents, on their way up
  cuda::DeviceBuffer<int> candidate_count;
  cuda::PinnedBuffer<int> staged_count;
  cuda::DeviceBuffer<std::uint8_t> scratch;  // CUB's temporary storage
  cuda::DeviceBuffer<CandidateResult> results;
  Workspace() {
    candidate_count.reserve(1);
    staged_count.reserve(1);
  }
};

// Workspaces outlive the threads that use them (the pipeline detects each tile on a thread of its own), so steady
// state allocates nothing: a block borrows a free workspace and gives it back.
class WorkspacePool {
 public:
  std::unique_ptr<Workspace> borrow() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (free_.empty()) return std::make_unique<Workspace>();
    std::unique_ptr<Workspace> workspace = std::move(free_.back());
    free_.pop_back();
    return workspace;
  }
  void give_back(std::unique_ptr<Workspace> workspace) {
    std::lock_guard<std::mutex> lock(mutex_);
    free_.push_back(std::move(workspace));
  }

 private:
  std::mutex mutex_;
  std::vector<std::unique_ptr<Workspace>> free_;
};

WorkspacePool& workspace_pool() {
  static WorkspacePool pool;
  return pool;
}

// A workspace for the duration of one block.
struct BorrowedWorkspace {
  std::unique_ptr<Workspace> workspace = workspace_pool().borrow();
  ~BorrowedWorkspace() { workspace_pool().give_back(std::move(workspace)); }
};

// The contrast response of the block already on the device: tiled from the pixels where the boxes fit a tile,
// otherwise from integral images of the whole block, as the CPU computes it.
void contrast_response_on_device(Workspace& ws, int w, int h, const PixelParams& params) {
  cudaStream_t stream = ws.stream.get();
  if (tiled_contrast_fits(params)) {
    tiled_contrast_cuda(ws.rgb.data(), ws.valid.data(), w, h, params, ws.response.data(), stream);
    return;
  }
  ws.integral.reserve(static_cast<std::size_t>(integral_size(w, h)));
  ws.column_sums.reserve(static_cast<std::size_t>(prefix_columns_scratch_words(w, h)));
  integral_rows_cuda(ws.rgb.data(), ws.valid.data(), w, h, ws.integral.data(), stream);
  prefix_columns_cuda(ws.integral.data(), w, h, ws.column_sums.data(), stream);
  for_each_pixel_cuda(w, h, ContrastResponse{ws.integral.data(), ws.response.data(), w, h, params, 1}, stream);
}

// AnalyseCandidates over the first `count` of ws.candidates; the results come back into `out`.
void analyse_on_device(Workspace& ws, int w, int h, const PixelParams& params, std::int64_t count,
                       CandidateResult* out) {
  cudaStream_t stream = ws.stream.get();
  ws.results.reserve(count);
  parallel_for_cuda(count,
                    AnalyseCandidates{ws.rgb.data(), ws.valid.data(), ws.candidates.data(), ws.results.data(), w, h,
                                      params},
                    stream);
  ws.staged_results.reserve(count);
  CAMPSCOPE_CUDA_CHECK(cudaMemcpyAsync(ws.staged_results.data(), ws.results.data(), count * sizeof(CandidateResult),
                                       cudaMemcpyDeviceToHost, stream));
  ws.stream.synchronize();
  std::copy(ws.staged_results.data(), ws.staged_results.data() + count, out);
}

// Stages the block in pinned memory and sends it up on the workspace's stream.
void upload_block(Workspace& ws, const std::uint8_t* rgb, const std::uint8_t* valid, std::int64_t pixels) {
  ws.rgb.reserve(pixels * 3);
  ws.valid.reserve(pixels);
  ws.staged_rgb.reserve(pixels * 3);
  ws.staged_valid.reserve(pixels);
  std::memcpy(ws.staged_rgb.data(), rgb, pixels * 3);
  std::memcpy(ws.staged_valid.data(), valid, pixels);
  CAMPSCOPE_CUDA_CHECK(
      cudaMemcpyAsync(ws.rgb.data(), ws.staged_rgb.data(), pixels * 3, cudaMemcpyHostToDevice, ws.stream.get()));
  CAMPSCOPE_CUDA_CHECK(
      cudaMemcpyAsync(ws.valid.data(), ws.staged_valid.data(), pixels, cudaMemcpyHostToDevice, ws.stream.get()));
}

}  // namespace

std::vector<std::uint16_t> contrast_response_cuda(const std::uint8_t* rgb, const std::uint8_t* valid, int width,
                                                  int height, const PixelParams& params) {
  const std::int64_t pixels = static_cast<std::int64_t>(width) * height;
  std::vector<std::uint16_t> response(static_cast<std::size_t>(pixels));
  if (pixels == 0) return response;
  BorrowedWorkspace borrowed;
  Workspace& ws = *borrowed.workspace;
  upload_block(ws, rgb, valid, pixels);
  ws.response.reserve(pixels);
  contrast_response_on_device(ws, width, height, params);
  CAMPSCOPE_CUDA_CHECK(cudaMemcpyAsync(response.data(), ws.response.data(), pixels * sizeof(std::uint16_t),
                                       cudaMemcpyDeviceToHost, ws.stream.get()));
  ws.stream.synchronize();
  return response;
}

std::vector<CandidateResult> analyse_block_cuda(const RgbBlock& block, const PixelParams& params) {
  const int w = block.width;
  const int h = block.height;
  const std::int64_t pixels = static_cast<std::int64_t>(w) * h;
  if (pixels == 0) return {};
  BorrowedWorkspace borrowed;
  Workspace& ws = *borrowed.workspace;
  cudaStream_t stream = ws.stream.get();
  ws.is_candidate.reserve(pixels);
  ws.response.reserve(pixels);
  ws.candidates.reserve(pixels);
  upload_block(ws, block.rgb.data(), block.valid.data(), pixels);
  contrast_response_on_device(ws, w, h, params);
  for_each_pixel_cuda(w, h,
                      LocalMaxima{ws.response.data(), ws.is_candidate.data(), w, h, params.nms_radius,
                                  params.physical.min_contrast, 1},
                      stream);

  // Stream compaction keeps row-major order, so candidates come out in the same order as on the CPU. CUB with a
  // reused scratch buffer rather than thrust::copy_if, which allocates its scratch on every call.
  const thrust::counting_iterator<std::int32_t> indices(0);
  std::size_t scratch_bytes = 0;
  CAMPSCOPE_CUDA_CHECK(cub::DeviceSelect::If(nullptr, scratch_bytes, indices, ws.candidates.data(),
                                             ws.candidate_count.data(), static_cast<int>(pixels),
                                             IsFlagged{ws.is_candidate.data()}, stream));
  ws.scratch.reserve(scratch_bytes);
  CAMPSCOPE_CUDA_CHECK(cub::DeviceSelect::If(ws.scratch.data(), scratch_bytes, indices, ws.candidates.data(),
                                             ws.candidate_count.data(), static_cast<int>(pixels),
                                             IsFlagged{ws.is_candidate.data()}, stream));
  CAMPSCOPE_CUDA_CHECK(cudaMemcpyAsync(ws.staged_count.data(), ws.candidate_count.data(), sizeof(int),
                                       cudaMemcpyDeviceToHost, stream));
  ws.stream.synchronize();
  const std::int64_t count = *ws.staged_count.data();

  std::vector<CandidateResult> results(count);
  if (count > 0) analyse_on_device(ws, w, h, params, count, results.data());
  // ws.candidates holds a whole block's pixels, and follow_tent_neighbours names each pixel at most once.
  follow_tent_neighbours(w, h, params, results, [&](const std::vector<std::int32_t>& pixels_to_analyse,
                                                    CandidateResult* out) {
    const std::int64_t n = static_cast<std::int64_t>(pixels_to_analyse.size());
    ws.staged_candidates.reserve(n);
    std::copy(pixels_to_analyse.begin(), pixels_to_analyse.end(), ws.staged_candidates.data());
    CAMPSCOPE_CUDA_CHECK(cudaMemcpyAsync(ws.candidates.data(), ws.staged_candidates.data(), n * sizeof(std::int32_t),
                                         cudaMemcpyHostToDevice, stream));
    analyse_on_device(ws, w, h, params, n, out);
  });
  return results;
}

}  // namespace campscope::detect

#include <cub/device/device_select.cuh>
#include <thrust/iterator/counting_iterator.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <vector>

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

// A block goes up in this many bands of rows, alternating between two streams, so one band's copy overlaps the
// row sums of the band before it.
constexpr int kUploadBands = 4;

// Buffers reused across blocks, so steady-state processing does no cudaMalloc (or cudaMallocHost) per tile.
struct Workspace {
  cuda::Stream stream, upload_stream;
  cuda::Event uploaded;
  cuda::PinnedBuffer<std::uint8_t> staged_rgb, staged_valid;  // page-locked, so copies run asynchronously
  cuda::PinnedBuffer<CandidateResult> staged_results;
  cuda::DeviceBuffer<std::uint8_t> rgb, valid, is_candidate;
  cuda::DeviceBuffer<std::uint32_t> integral, column_sums;  // column_sums: prefix_columns_cuda's scratch
  cuda::DeviceBuffer<std::uint16_t> response;
  cuda::DeviceBuffer<std::int32_t> candidates;
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

}  // namespace

std::vector<CandidateResult> analyse_block_cuda(const RgbBlock& block, const PixelParams& params) {
  const int w = block.width;
  const int h = block.height;
  const std::int64_t pixels = static_cast<std::int64_t>(w) * h;
  if (pixels == 0) return {};
  BorrowedWorkspace borrowed;
  Workspace& ws = *borrowed.workspace;
  cudaStream_t stream = ws.stream.get();
  ws.rgb.reserve(pixels * 3);
  ws.valid.reserve(pixels);
  ws.is_candidate.reserve(pixels);
  ws.response.reserve(pixels);
  ws.candidates.reserve(pixels);
  ws.integral.reserve(static_cast<std::size_t>(integral_size(w, h)));
  ws.column_sums.reserve(static_cast<std::size_t>(prefix_columns_scratch_words(w, h)));

  ws.staged_rgb.reserve(pixels * 3);
  ws.staged_valid.reserve(pixels);

  // Band by band: stage the rows in pinned memory (the host copy of the next band overlaps this band's upload),
  // send them up, and take their integral rows; integral row y + 1 needs only image row y.
  const int band_rows = (h + kUploadBands - 1) / kUploadBands;
  for (int band = 0, y0 = 0; y0 < h; ++band, y0 += band_rows) {
    const int y1 = std::min(h, y0 + band_rows);
    cudaStream_t band_stream = band % 2 == 0 ? stream : ws.upload_stream.get();
    const std::int64_t first = static_cast<std::int64_t>(y0) * w, count = static_cast<std::int64_t>(y1 - y0) * w;
    std::memcpy(ws.staged_rgb.data() + first * 3, block.rgb.data() + first * 3, count * 3);
    std::memcpy(ws.staged_valid.data() + first, block.valid.data() + first, count);
    CAMPSCOPE_CUDA_CHECK(cudaMemcpyAsync(ws.rgb.data() + first * 3, ws.staged_rgb.data() + first * 3, count * 3,
                                         cudaMemcpyHostToDevice, band_stream));
    CAMPSCOPE_CUDA_CHECK(cudaMemcpyAsync(ws.valid.data() + first, ws.staged_valid.data() + first, count,
                                         cudaMemcpyHostToDevice, band_stream));
    // Integral row 0 (all zero) goes with the first band.
    integral_rows_cuda(ws.rgb.data(), ws.valid.data(), w, h, y0 == 0 ? 0 : y0 + 1, y1 + 1, ws.integral.data(),
                       band_stream);
  }
  ws.uploaded.record(ws.upload_stream.get());
  ws.uploaded.make_wait(stream);
  prefix_columns_cuda(ws.integral.data(), w, h, ws.column_sums.data(), stream);

  // Contrast and maxima take one pixel per thread, so neighbouring threads read neighbouring words.
  for_each_pixel_cuda(w, h, ContrastResponse{ws.integral.data(), ws.response.data(), w, h, params, 1}, stream);
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
  if (count > 0) {
    ws.results.reserve(count);
    parallel_for_cuda(count,
                      AnalyseCandidates{ws.rgb.data(), ws.valid.data(), ws.candidates.data(), ws.results.data(), w,
                                        h, params},
                      stream);
    ws.staged_results.reserve(count);
    CAMPSCOPE_CUDA_CHECK(cudaMemcpyAsync(ws.staged_results.data(), ws.results.data(),
                                         count * sizeof(CandidateResult), cudaMemcpyDeviceToHost, stream));
  }
  ws.stream.synchronize();
  std::copy(ws.staged_results.data(), ws.staged_results.data() + count, results.begin());
  return results;
}

}  // namespace campscope::detect

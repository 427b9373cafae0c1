// The one CUDA error-check macro and RAII holders for device memory, pinned host memory and streams.
#pragma once
#include <cuda_runtime.h>

#include <cstddef>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace campscope::cuda {

[[noreturn]] inline void throw_cuda_error(cudaError_t err, const char* what, const char* file, int line) {
  throw std::runtime_error(std::string("CUDA error in ") + what + " at " + file + ":" + std::to_string(line) + ": " +
                           cudaGetErrorName(err) + " (" + cudaGetErrorString(err) + ")");
}

#define CAMPSCOPE_CUDA_CHECK(call)                                                            \
  do {                                                                                        \
    cudaError_t campscope_cuda_err_ = (call);                                                 \
    if (campscope_cuda_err_ != cudaSuccess)                                                   \
      ::campscope::cuda::throw_cuda_error(campscope_cuda_err_, #call, __FILE__, __LINE__);   \
  } while (0)

// Checks the launch itself; asynchronous faults surface at the next synchronising call's check.
#define CAMPSCOPE_CUDA_CHECK_LAUNCH() CAMPSCOPE_CUDA_CHECK(cudaGetLastError())

// Device array of T that grows but never shrinks, so steady-state tiles reuse it without cudaMalloc.
template <typename T>
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  explicit DeviceBuffer(std::size_t count) { reserve(count); }
  ~DeviceBuffer() { release(); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  DeviceBuffer(DeviceBuffer&& other) noexcept { swap(other); }
  DeviceBuffer& operator=(DeviceBuffer&& other) noexcept {
    swap(other);
    return *this;
  }

  void reserve(std::size_t count) {
    if (count <= capacity_) return;
    release();
    CAMPSCOPE_CUDA_CHECK(cudaMalloc(reinterpret_cast<void**>(&data_), count * sizeof(T)));
    capacity_ = count;
  }
  T* data() const { return data_; }
  std::size_t capacity() const { return capacity_; }

 private:
  void release() noexcept {
    if (data_) cudaFree(data_);
    data_ = nullptr;
    capacity_ = 0;
  }
  void swap(DeviceBuffer& other) noexcept {
    std::swap(data_, other.data_);
    std::swap(capacity_, other.capacity_);
  }
  T* data_ = nullptr;
  std::size_t capacity_ = 0;
};

// Page-locked host array, so copies to and from the device run asynchronously on a stream.
template <typename T>
class PinnedBuffer {
 public:
  PinnedBuffer() = default;
  ~PinnedBuffer() { release(); }
  PinnedBuffer(const PinnedBuffer&) = delete;
  PinnedBuffer& operator=(const PinnedBuffer&) = delete;

  void reserve(std::size_t count) {
    if (count <= capacity_) return;
    release();
    CAMPSCOPE_CUDA_CHECK(cudaMallocHost(reinterpret_cast<void**>(&data_), count * sizeof(T)));
    capacity_ = count;
  }
  T* data() const { return data_; }
  std::size_t capacity() const { return capacity_; }

 private:
  void release() noexcept {
    if (data_) cudaFreeHost(data_);
    data_ = nullptr;
    capacity_ = 0;
  }
  T* data_ = nullptr;
  std::size_t capacity_ = 0;
};

// Copies `host` into `device` (growing it as needed) on `stream`.
template <typename T>
void upload(const std::vector<T>& host, DeviceBuffer<T>& device, cudaStream_t stream) {
  device.reserve(host.size());
  if (host.empty()) return;
  CAMPSCOPE_CUDA_CHECK(
      cudaMemcpyAsync(device.data(), host.data(), host.size() * sizeof(T), cudaMemcpyHostToDevice, stream));
}

class Stream {
 public:
  Stream() { CAMPSCOPE_CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking)); }
  ~Stream() {
    if (stream_) cudaStreamDestroy(stream_);
  }
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  cudaStream_t get() const { return stream_; }
  void synchronize() const { CAMPSCOPE_CUDA_CHECK(cudaStreamSynchronize(stream_)); }

 private:
  cudaStream_t stream_ = nullptr;
};

// Marks a point in one stream's work that another stream can wait for.
class Event {
 public:
  Event() { CAMPSCOPE_CUDA_CHECK(cudaEventCreateWithFlags(&event_, cudaEventDisableTiming)); }
  ~Event() {
    if (event_) cudaEventDestroy(event_);
  }
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;
  void record(cudaStream_t stream) { CAMPSCOPE_CUDA_CHECK(cudaEventRecord(event_, stream)); }
  void make_wait(cudaStream_t stream) const { CAMPSCOPE_CUDA_CHECK(cudaStreamWaitEvent(stream, event_, 0)); }

 private:
  cudaEvent_t event_ = nullptr;
};

// Grid size for one thread per element.
inline unsigned int blocks_for(std::size_t count, unsigned int threads) {
  return static_cast<unsigned int>((count + threads - 1) / threads);
}

}  // namespace campscope::cuda

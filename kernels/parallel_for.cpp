#include "parallel_for.h"

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace campscope::detail {
namespace {

// Helper threads that sleep between jobs. A job's chunks are claimed through one atomic word holding the job's
// generation (high half) and the next chunk (low half), so a helper that wakes late, after its job is over or
// another has begun, claims nothing that is not its own.
class ChunkPool {
 public:
  ~ChunkPool() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    for (std::thread& helper : helpers_) helper.join();
  }

  void run(std::int64_t count, std::int64_t chunk, ChunkTask task, const void* body, int threads) {
    // One job at a time: a second caller, or a body that itself calls parallel_for_cpu, runs on its own thread.
    std::unique_lock<std::mutex> in_use(in_use_, std::try_to_lock);
    if (!in_use.owns_lock() || threads <= 1 || count <= chunk) {
      task(body, 0, count);
      return;
    }
    while (static_cast<int>(helpers_.size()) < threads - 1) {
      const int index = static_cast<int>(helpers_.size());
      helpers_.emplace_back([this, index] { help(index); });
    }
    Job job{task, body, count, chunk, (count + chunk - 1) / chunk, threads - 1};
    std::uint32_t generation;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      generation = ++generation_;
      job_ = job;
      claims_.store(static_cast<std::uint64_t>(generation) << 32, std::memory_order_relaxed);
      done_.store(0, std::memory_order_relaxed);
    }
    wake_.notify_all();
    work(job, generation);
    while (done_.load(std::memory_order_acquire) < job.chunks) std::this_thread::yield();
  }

 private:
  struct Job {
    ChunkTask task = nullptr;
    const void* body = nullptr;
    std::int64_t count = 0, chunk = 0, chunks = 0;
    int helpers = 0;
  };

  void work(const Job& job, std::uint32_t generation) {
    for (;;) {
      std::uint64_t claim = claims_.load(std::memory_order_relaxed);
      do {
        if (static_cast<std::uint32_t>(claim >> 32) != generation) return;
        if (static_cast<std::int64_t>(claim & 0xffffffffu) >= job.chunks) return;
      } while (!claims_.compare_exchange_weak(claim, claim + 1, std::memory_order_acquire,
                                              std::memory_order_relaxed));
      const std::int64_t begin = static_cast<std::int64_t>(claim & 0xffffffffu) * job.chunk;
      job.task(job.body, begin, std::min(begin + job.chunk, job.count));
      done_.fetch_add(1, std::memory_order_release);
    }
  }

  void help(int index) {
    std::uint32_t seen = 0;
    for (;;) {
      Job job;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [&] { return stopping_ || generation_ != seen; });
        if (stopping_) return;
        seen = generation_;
        job = job_;
      }
      if (index < job.helpers) work(job, seen);
    }
  }

  std::mutex in_use_;
  std::vector<std::thread> helpers_;
  std::mutex mutex_;
  std::condition_variable wake_;
  Job job_;
  std::uint32_t generation_ = 0;
  bool stopping_ = false;
  std::atomic<std::uint64_t> claims_{0};
  std::atomic<std::int64_t> done_{0};
};

}  // namespace

void run_chunks(std::int64_t count, std::int64_t chunk, ChunkTask task, const void* body) {
  static ChunkPool pool;
  pool.run(count, chunk, task, body, omp_get_max_threads());
}

}  // namespace campscope::detail

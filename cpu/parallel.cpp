#include "cpu/parallel.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/error.h"

namespace lockstep {
namespace {

int threads_from_environment() {
  if (const char* env = std::getenv("LOCKSTEP_THREADS"); env && *env) {
    char* end = nullptr;
    const long n = std::strtol(env, &end, 10);
    LS_CHECK(end && *end == '\0' && n >= 1 && n <= 4096, Error,
             "LOCKSTEP_THREADS: expected an integer in [1, 4096], got '", env, "'");
    return static_cast<int>(n);
  }
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

// A pool of persistent workers. Job k of a parallel_for goes to worker k-1; the caller runs job 0.
class Pool {
 public:
  explicit Pool(int threads) { resize(threads); }
  ~Pool() { stop(); }

  // Read without any lock: a parallel body may ask while its region holds g_pool_mutex.
  int size() const { return size_.load(std::memory_order_relaxed); }

  void resize(int threads) {
    stop();
    stopping_ = false;
    // A new worker has seen every job so far: it must wait for the next generation.
    for (int i = 1; i < threads; ++i) workers_.emplace_back([this, i, g = generation_] { loop(i, g); });
    size_.store(threads, std::memory_order_relaxed);
  }

  void run(int jobs, const std::function<void(int)>& job) {
    std::unique_lock<std::mutex> lock(mutex_);
    job_ = &job;
    jobs_ = jobs;
    remaining_ = jobs - 1;
    error_ = nullptr;
    ++generation_;
    lock.unlock();
    wake_.notify_all();
    try {
      job(0);
    } catch (...) {
      std::lock_guard<std::mutex> g(mutex_);
      if (!error_) error_ = std::current_exception();
    }
    lock.lock();
    done_.wait(lock, [this] { return remaining_ == 0; });
    job_ = nullptr;
    if (error_) std::rethrow_exception(error_);
  }

 private:
  void loop(int index, unsigned long seen) {
    for (;;) {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || generation_ != seen; });
      if (stopping_) return;
      seen = generation_;
      if (index >= jobs_) continue;
      const std::function<void(int)>* job = job_;
      lock.unlock();
      try {
        (*job)(index);
      } catch (...) {
        std::lock_guard<std::mutex> g(mutex_);
        if (!error_) error_ = std::current_exception();
      }
      lock.lock();
      if (--remaining_ == 0) done_.notify_one();
    }
  }

  void stop() {
    {
      std::lock_guard<std::mutex> g(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    for (auto& t : workers_) t.join();
    workers_.clear();
  }

  std::vector<std::thread> workers_;
  std::atomic<int> size_{1};
  std::mutex mutex_;
  std::condition_variable wake_, done_;
  const std::function<void(int)>* job_ = nullptr;
  int jobs_ = 0, remaining_ = 0;
  unsigned long generation_ = 0;
  bool stopping_ = false;
  std::exception_ptr error_;
};

// Held for a whole parallel region (one parallel_for at a time; nested calls run inline) and
// for a resize; num_threads() does not take it, so a body may call it.
std::mutex g_pool_mutex;
Pool& pool() {
  static Pool p(threads_from_environment());
  return p;
}
thread_local bool t_inside_parallel = false;

}  // namespace

int num_threads() { return pool().size(); }

void set_num_threads(int n) {
  LS_CHECK(n >= 1 && n <= 4096, Error, "set_num_threads: expected a count in [1, 4096], got ", n);
  // Why an error: the region running this body holds the pool, so waiting for it never ends.
  LS_CHECK(!t_inside_parallel, Error, "set_num_threads: called from inside a parallel_for body, expected outside");
  std::lock_guard<std::mutex> g(g_pool_mutex);
  if (pool().size() != n) pool().resize(n);
}

namespace cpu {

void parallel_for(std::int64_t n, std::int64_t grain, const std::function<void(std::int64_t, std::int64_t)>& body) {
  if (n <= 0) return;
  grain = std::max<std::int64_t>(grain, 1);
  if (t_inside_parallel) {
    body(0, n);
    return;
  }
  std::unique_lock<std::mutex> lock(g_pool_mutex);
  const std::int64_t max_jobs = std::min<std::int64_t>(pool().size(), (n + grain - 1) / grain);
  if (max_jobs <= 1) {
    lock.unlock();
    body(0, n);
    return;
  }
  const int jobs = static_cast<int>(max_jobs);
  pool().run(jobs, [&](int j) {
    const std::int64_t begin = n * j / jobs, end = n * (j + 1) / jobs;
    t_inside_parallel = true;
    try {
      if (begin < end) body(begin, end);
    } catch (...) {
      t_inside_parallel = false;
      throw;
    }
    t_inside_parallel = false;
  });
}

}  // namespace cpu
}  // namespace lockstep

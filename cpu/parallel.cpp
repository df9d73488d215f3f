#include "cpu/parallel.h"

#include <algorithm>
#include <atomic>
#include <chrono>
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

// Waits up to kSpinTime for done() without blocking; false when it gave up (the caller then
// blocks on a condition variable). Why: a training step is ~40 parallel regions a few
// microseconds apart, and a worker woken through the kernel took 10-40 us each time on a
// 2-core VM, more than many of the kernels themselves. After a few pause instructions the
// wait yields the core, so a thread it waits for that shares the core (another process
// running, more threads than cores) still gets to run.
constexpr auto kSpinTime = std::chrono::microseconds(300);
constexpr int kPauseSpins = 256;

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

template <class Done>
bool spin_until(const Done& done) {
  for (int i = 0; i < kPauseSpins; ++i) {
    if (done()) return true;
    cpu_relax();
  }
  const auto deadline = std::chrono::steady_clock::now() + kSpinTime;
  for (int i = 0;; ++i) {
    if (done()) return true;
    if ((i & 15) == 15 && std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::yield();
  }
}

// A pool of persistent workers. Job k of a parallel_for goes to worker k-1; the caller runs
// job 0. Workers and the caller spin briefly (spin_until) before they block on the condition
// variables; the generation and the count of jobs left are atomics for that, and every
// wait that blocks re-checks them under the mutex, so no wake-up is lost.
class Pool {
 public:
  explicit Pool(int threads) { resize(threads); }
  ~Pool() { stop(); }

  // Read without any lock: a parallel body may ask while its region holds g_pool_mutex.
  int size() const { return size_.load(std::memory_order_relaxed); }

  void resize(int threads) {
    stop();
    stopping_.store(false);
    // A new worker has seen every job so far: it must wait for the next generation.
    const unsigned long seen = generation_.load();
    for (int i = 1; i < threads; ++i) workers_.emplace_back([this, i, seen] { loop(i, seen); });
    size_.store(threads, std::memory_order_relaxed);
  }

  void run(int jobs, const std::function<void(int)>& job) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      job_ = &job;
      jobs_ = jobs;
      remaining_.store(jobs - 1);
      error_ = nullptr;
      generation_.fetch_add(1);
    }
    wake_.notify_all();
    try {
      job(0);
    } catch (...) {
      std::lock_guard<std::mutex> g(mutex_);
      if (!error_) error_ = std::current_exception();
    }
    const auto all_done = [this] { return remaining_.load() == 0; };
    std::unique_lock<std::mutex> lock(mutex_, std::defer_lock);
    if (!spin_until(all_done)) {
      lock.lock();
      done_.wait(lock, all_done);
    } else {
      lock.lock();
    }
    job_ = nullptr;
    if (error_) std::rethrow_exception(error_);
  }

 private:
  void loop(int index, unsigned long seen) {
    for (;;) {
      spin_until([&] { return stopping_.load() || generation_.load() != seen; });
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return stopping_.load() || generation_.load() != seen; });
      if (stopping_.load()) return;
      seen = generation_.load();
      if (index >= jobs_) continue;
      const std::function<void(int)>* job = job_;
      lock.unlock();
      try {
        (*job)(index);
      } catch (...) {
        std::lock_guard<std::mutex> g(mutex_);
        if (!error_) error_ = std::current_exception();
      }
      if (remaining_.fetch_sub(1) == 1) {  // the last job: a caller that blocked needs the notify
        std::lock_guard<std::mutex> g(mutex_);
        done_.notify_one();
      }
    }
  }

  void stop() {
    {
      std::lock_guard<std::mutex> g(mutex_);
      stopping_.store(true);
    }
    wake_.notify_all();
    for (auto& t : workers_) t.join();
    workers_.clear();
  }

  std::vector<std::thread> workers_;
  std::atomic<int> size_{1};
  std::mutex mutex_;
  std::condition_variable wake_, done_;
  const std::function<void(int)>* job_ = nullptr;  // guarded by mutex_
  int jobs_ = 0;                                   // guarded by mutex_
  std::atomic<int> remaining_{0};
  std::atomic<unsigned long> generation_{0};
  std::atomic<bool> stopping_{false};
  std::exception_ptr error_;  // guarded by mutex_
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

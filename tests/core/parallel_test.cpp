// The CPU thread pool: a parallel body may ask for the thread count (it must not deadlock),
// and the ranges a parallel_for hands out are fixed by (n, grain, thread count) alone.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "core/error.h"
#include "cpu/parallel.h"
#include "tests/support/threads.h"

namespace lockstep {
namespace {

// Runs f on its own thread; a deadlock ends the process with a message instead of hanging
// ctest (the stuck thread cannot be joined, so there is no clean way back into the test).
template <class F>
auto within_seconds(int seconds, const char* what, F f) {
  std::packaged_task<decltype(f())()> task(std::move(f));
  auto result = task.get_future();
  std::thread(std::move(task)).detach();
  if (result.wait_for(std::chrono::seconds(seconds)) != std::future_status::ready) {
    std::fprintf(stderr, "FAILED: %s did not finish within %d s (deadlock)\n", what, seconds);
    std::fflush(stderr);
    std::_Exit(1);
  }
  return result.get();
}

TEST(Parallel, BodyMayAskForTheThreadCount) {
  test::ThreadCountGuard threads(3);
  const std::vector<int> seen = within_seconds(20, "num_threads() inside parallel_for", [] {
    std::vector<int> counts(3, 0);
    cpu::parallel_for(3, 1, [&](std::int64_t begin, std::int64_t end) {
      for (std::int64_t i = begin; i < end; ++i) counts[static_cast<size_t>(i)] = num_threads();
    });
    return counts;
  });
  EXPECT_EQ(seen, std::vector<int>({3, 3, 3}));
}

TEST(Parallel, SetNumThreadsInsideABodyIsAnError) {
  test::ThreadCountGuard threads(2);
  const bool threw = within_seconds(20, "set_num_threads() inside parallel_for", [] {
    try {
      cpu::parallel_for(2, 1, [](std::int64_t, std::int64_t) { set_num_threads(1); });
    } catch (const Error&) {
      return true;
    }
    return false;
  });
  EXPECT_TRUE(threw);
  EXPECT_EQ(num_threads(), 2);
}

// The split is part of no result (each range is independent work), but the kernels' grains
// were tuned for it; it is (n*j/jobs, n*(j+1)/jobs) with jobs = min(threads, ceil(n/grain)).
TEST(Parallel, RangesDependOnlyOnCountGrainAndThreads) {
  test::ThreadCountGuard threads(4);
  const auto ranges_of = [](std::int64_t n, std::int64_t grain) {
    std::mutex m;
    std::vector<std::pair<std::int64_t, std::int64_t>> r;
    cpu::parallel_for(n, grain, [&](std::int64_t b, std::int64_t e) {
      std::lock_guard<std::mutex> g(m);
      r.emplace_back(b, e);
    });
    std::sort(r.begin(), r.end());
    return r;
  };
  using R = std::vector<std::pair<std::int64_t, std::int64_t>>;
  EXPECT_EQ(ranges_of(10, 1), R({{0, 2}, {2, 5}, {5, 7}, {7, 10}}));
  EXPECT_EQ(ranges_of(10, 4), R({{0, 3}, {3, 6}, {6, 10}}));
  EXPECT_EQ(ranges_of(10, 10), R({{0, 10}}));
}

}  // namespace
}  // namespace lockstep

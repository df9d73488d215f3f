// Runs a computation at several thread counts and restores the previous count.
#pragma once

#include <vector>

#include "cpu/thread_count_guard.h"

namespace lockstep::test {

inline const std::vector<int> kThreadCounts = {1, 2, 3, 7, 16};

using lockstep::ThreadCountGuard;

// result(t) for every t in kThreadCounts.
template <class F>
auto at_each_thread_count(F f) {
  std::vector<decltype(f())> results;
  for (int t : kThreadCounts) {
    ThreadCountGuard g(t);
    results.push_back(f());
  }
  return results;
}

}  // namespace lockstep::test

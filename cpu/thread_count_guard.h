// Sets the CPU thread count for a scope and restores the previous count on leaving it
// (as ModeGuard does for the mode): the tests, benchmarks and study vary the count.
#pragma once

#include "cpu/parallel.h"

namespace lockstep {

class ThreadCountGuard {
 public:
  explicit ThreadCountGuard(int n) : previous_(num_threads()) { set_num_threads(n); }
  ~ThreadCountGuard() { set_num_threads(previous_); }
  ThreadCountGuard(const ThreadCountGuard&) = delete;
  ThreadCountGuard& operator=(const ThreadCountGuard&) = delete;

 private:
  int previous_;
};

}  // namespace lockstep

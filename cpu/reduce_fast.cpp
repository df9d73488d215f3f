// CPU full-tensor sum, fast mode: each thread sums its range with Eigen's vectorised
// reduction and the partials are added in completion order. Registered for Mode::Fast only.
//
// Nondeterministic because: Eigen's .sum() uses a SIMD-width-dependent tree (bits change with
// the -march level), the ranges follow the thread count, and the partials are added in the
// order the threads finish (bits change from run to run).
#include "cpu/eigen_fast.h"

#include <mutex>

namespace lockstep::cpu {

void sum_fast(const float* x, i64 n, float* y) {
  float total = 0.0f;
  std::mutex combine;
  parallel_for(n, 1 << 16, [&](i64 lo, i64 hi) {
    const float part = Eigen::Map<const Eigen::VectorXf>(x + lo, hi - lo).sum();
    std::lock_guard<std::mutex> lock(combine);
    total += part;
  });
  *y = total;
}

}  // namespace lockstep::cpu

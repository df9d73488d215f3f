// Per-output accumulation record of the float64 references: the value, the sum of |terms|
// (for error bounds, test::chain_bound) and the number of terms.
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

namespace lockstep::ref {

// value[i] = sum of terms; abs_sum[i] = sum of |terms|; terms[i] = how many terms.
struct RefSums {
  std::vector<double> value, abs_sum;
  std::vector<std::int64_t> terms;
  explicit RefSums(std::int64_t n)
      : value(static_cast<size_t>(n), 0.0), abs_sum(static_cast<size_t>(n), 0.0), terms(static_cast<size_t>(n), 0) {}
  void add(std::int64_t i, double t) {
    value[static_cast<size_t>(i)] += t;
    abs_sum[static_cast<size_t>(i)] += std::fabs(t);
    ++terms[static_cast<size_t>(i)];
  }
};

}  // namespace lockstep::ref

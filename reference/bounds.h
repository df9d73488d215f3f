// Error bounds for a float32 result checked against a float64 reference (reference/*_ref.h):
// each element's bound follows from its chain length and the reference's sum of |terms|.
// Shared by the GoogleTest assertions (tests/support/compare.h), the benchmarks' validation
// and the study.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <functional>
#include <vector>

#include "reference/ref_sums.h"

namespace lockstep::test {

// Unit roundoff of float32.
inline constexpr double kF32Unit = 5.9604644775390625e-08;  // 2^-24

// Error bound for a float32 chain of n roundings whose terms have absolute sum abs_sum
// (Higham, Accuracy and Stability of Numerical Algorithms, eq. 3.5: |err| <= gamma_n * sum|terms|,
// gamma_n = n u / (1 - n u)); we use 2 n u, valid while n u < 1/2, plus one rounding of the input.
inline double chain_bound(double n_roundings, double abs_sum) { return 2.0 * n_roundings * kF32Unit * abs_sum; }

// bound[i] = chain_bound(n_roundings(i), sum|terms_i|) for every output of the reference.
inline std::vector<double> ref_bounds(const ref::RefSums& r, const std::function<double(size_t)>& n_roundings) {
  std::vector<double> bound(r.value.size());
  for (size_t i = 0; i < bound.size(); ++i) bound[i] = chain_bound(n_roundings(i), r.abs_sum[i]);
  return bound;
}

// The largest |got - ref| / bound over the elements with a positive bound: how much of the
// bound is used, so its slack is visible in a log.
inline double worst_bound_ratio(const std::vector<float>& got, const std::vector<double>& ref,
                                const std::vector<double>& bound) {
  double worst = 0;
  for (size_t i = 0; i < bound.size(); ++i) {
    const double err = i < got.size() ? std::fabs(double(got[i]) - ref[i]) : 0.0;
    if (bound[i] > 0) worst = std::max(worst, err / bound[i]);
  }
  return worst;
}

}  // namespace lockstep::test

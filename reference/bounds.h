// Element-wise comparison of a float32 result with a float64 reference (tests/reference/),
// with each bound derived from the chain length and the reference's sum of |terms|.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "reference/ref_sums.h"
#include "tests/support/compare.h"

namespace lockstep::test {

// |got - ref| <= chain_bound(n_roundings(i), sum|terms_i|) per element; prints the largest
// error/bound ratio so the slack of the bound is visible in the log.
inline ::testing::AssertionResult within_ref(const std::vector<float>& got, const ref::RefSums& r,
                                             const std::function<double(size_t)>& n_roundings,
                                             const std::string& what) {
  std::vector<double> bound(r.value.size());
  double worst = 0;
  for (size_t i = 0; i < bound.size(); ++i) {
    bound[i] = chain_bound(n_roundings(i), r.abs_sum[i]);
    const double err = i < got.size() ? std::fabs(double(got[i]) - r.value[i]) : 0.0;
    if (bound[i] > 0) worst = std::max(worst, err / bound[i]);
  }
  std::printf("  %-60s max |err|/bound = %.3g\n", what.c_str(), worst);
  return within_bounds(got, r.value, bound, what);
}

}  // namespace lockstep::test

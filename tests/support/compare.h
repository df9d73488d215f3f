// GoogleTest assertions: bitwise equality with a useful failure report (index, both values
// in %a, ULP distance, mismatch count), and element-wise bounds against a float64 reference.
// What they count and bound lives in reference/ (mismatch.h, bounds.h), shared with the
// benchmarks.
#pragma once

#include <gtest/gtest.h>

#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "reference/bounds.h"
#include "reference/data.h"
#include "reference/mismatch.h"
#include "reference/ref_sums.h"

namespace lockstep::test {

inline ::testing::AssertionResult bitwise_equal(const std::vector<float>& got, const std::vector<float>& want,
                                                const std::string& what = "") {
  if (got.size() != want.size())
    return ::testing::AssertionFailure() << what << ": sizes differ, " << got.size() << " vs " << want.size();
  const Mismatches m = bitwise_mismatches(got, want);
  if (m.count == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << what << ": " << m.count << " of " << got.size()
                                       << " elements differ; first at flat index " << m.first << ": got "
                                       << hexfloat(got[m.first]) << ", want " << hexfloat(want[m.first]) << " ("
                                       << ulp_distance(got[m.first], want[m.first]) << " ulp)";
}

// |got - ref| <= bound, element by element; the reference supplies each bound.
inline ::testing::AssertionResult within_bounds(const std::vector<float>& got, const std::vector<double>& ref,
                                                const std::vector<double>& bound, const std::string& what = "") {
  if (got.size() != ref.size() || ref.size() != bound.size())
    return ::testing::AssertionFailure() << what << ": sizes differ";
  const Mismatches m = bound_mismatches(got, ref, bound);
  if (m.count == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << what << ": " << m.count << " of " << got.size()
                                       << " elements outside the bound; first at flat index " << m.first << ": got "
                                       << hexfloat(got[m.first]) << ", reference " << hexfloat(ref[m.first])
                                       << ", bound " << bound[m.first];
}

// |got - ref| <= chain_bound(n_roundings(i), sum|terms_i|) per element; prints the largest
// error/bound ratio so the slack of the bound is visible in the log.
inline ::testing::AssertionResult within_ref(const std::vector<float>& got, const ref::RefSums& r,
                                             const std::function<double(size_t)>& n_roundings,
                                             const std::string& what) {
  const std::vector<double> bound = ref_bounds(r, n_roundings);
  std::printf("  %-60s max |err|/bound = %.3g\n", what.c_str(), worst_bound_ratio(got, r.value, bound));
  return within_bounds(got, r.value, bound, what);
}

}  // namespace lockstep::test

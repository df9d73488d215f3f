// Comparison helpers: bitwise equality with a useful failure report (index, both values
// in %a, ULP distance, mismatch count), and element-wise bounds against a float64 reference.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace lockstep::test {

inline std::uint32_t float_bits(float f) {
  std::uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

// Distance in units in the last place between two finite floats (0 for identical bits).
inline std::int64_t ulp_distance(float a, float b) {
  auto key = [](float f) -> std::int64_t {
    const std::int64_t u = float_bits(f);
    return (u & 0x80000000u) ? -(u & 0x7fffffffu) : u;
  };
  const std::int64_t d = key(a) - key(b);
  return d < 0 ? -d : d;
}

inline std::string hexfloat(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%a", v);
  return buf;
}

inline ::testing::AssertionResult bitwise_equal(const std::vector<float>& got, const std::vector<float>& want,
                                                const std::string& what = "") {
  if (got.size() != want.size())
    return ::testing::AssertionFailure() << what << ": sizes differ, " << got.size() << " vs " << want.size();
  size_t mismatches = 0, first = 0;
  for (size_t i = 0; i < got.size(); ++i)
    if (float_bits(got[i]) != float_bits(want[i]) && !(std::isnan(got[i]) && std::isnan(want[i])))
      if (mismatches++ == 0) first = i;
  if (mismatches == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << what << ": " << mismatches << " of " << got.size()
                                       << " elements differ; first at flat index " << first << ": got "
                                       << hexfloat(got[first]) << ", want " << hexfloat(want[first]) << " ("
                                       << ulp_distance(got[first], want[first]) << " ulp)";
}

// |got - ref| <= bound, element by element; the reference supplies each bound.
inline ::testing::AssertionResult within_bounds(const std::vector<float>& got, const std::vector<double>& ref,
                                                const std::vector<double>& bound, const std::string& what = "") {
  if (got.size() != ref.size() || ref.size() != bound.size())
    return ::testing::AssertionFailure() << what << ": sizes differ";
  size_t bad = 0, first = 0;
  for (size_t i = 0; i < got.size(); ++i)
    if (!(std::fabs(static_cast<double>(got[i]) - ref[i]) <= bound[i]))
      if (bad++ == 0) first = i;
  if (bad == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << what << ": " << bad << " of " << got.size()
                                       << " elements outside the bound; first at flat index " << first << ": got "
                                       << hexfloat(got[first]) << ", reference " << hexfloat(ref[first])
                                       << ", bound " << bound[first];
}

// Unit roundoff of float32.
inline constexpr double kF32Unit = 5.9604644775390625e-08;  // 2^-24

// Error bound for a float32 chain of n roundings whose terms have absolute sum abs_sum
// (Higham, Accuracy and Stability of Numerical Algorithms, eq. 3.5: |err| <= gamma_n * sum|terms|,
// gamma_n = n u / (1 - n u)); we use 2 n u, valid while n u < 1/2, plus one rounding of the input.
inline double chain_bound(double n_roundings, double abs_sum) { return 2.0 * n_roundings * kF32Unit * abs_sum; }

// Guards against vacuous tests: data that is all zero or constant proves little.
inline double abs_sum(const std::vector<float>& v) {
  double s = 0;
  for (float f : v) s += std::fabs(f);
  return s;
}
inline bool non_constant(const std::vector<float>& v) {
  return std::any_of(v.begin(), v.end(), [&](float f) { return f != v.front(); });
}
inline std::vector<float> to_float(const std::vector<double>& v) { return std::vector<float>(v.begin(), v.end()); }

}  // namespace lockstep::test

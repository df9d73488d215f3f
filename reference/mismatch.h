// Where a float32 result departs from what it should be: bit for bit (the deterministic
// paths) or beyond an element-wise bound (the fast paths). Shared by the GoogleTest
// assertions (tests/support/compare.h) and the benchmarks' validation (bench/bench_common.h).
#pragma once

#include <cmath>
#include <cstddef>
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

// How many elements fail a check, and the flat index of the first that does.
struct Mismatches {
  size_t count = 0, first = 0;
};

// Elements whose bits differ (two NaNs count as equal); got and want have the same size.
inline Mismatches bitwise_mismatches(const std::vector<float>& got, const std::vector<float>& want) {
  Mismatches m;
  for (size_t i = 0; i < got.size(); ++i)
    if (float_bits(got[i]) != float_bits(want[i]) && !(std::isnan(got[i]) && std::isnan(want[i])))
      if (m.count++ == 0) m.first = i;
  return m;
}

// Elements with |got - ref| > bound (a NaN is always out); all three have the same size.
inline Mismatches bound_mismatches(const std::vector<float>& got, const std::vector<double>& ref,
                                   const std::vector<double>& bound) {
  Mismatches m;
  for (size_t i = 0; i < got.size(); ++i)
    if (!(std::fabs(static_cast<double>(got[i]) - ref[i]) <= bound[i]))
      if (m.count++ == 0) m.first = i;
  return m;
}

}  // namespace lockstep::test

// Deterministic test data from an integer hash (no RNG state, no dependency on lockstep's
// own Philox), so inputs are reproducible and independent of the code under test. Used by
// the tests, the benchmarks and the study (namespace test: the data the code is tested on).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "core/tensor.h"

namespace lockstep::test {

// SplitMix64 finaliser (Steele, Lea, Flood 2014).
inline std::uint64_t mix64(std::uint64_t z) {
  z += 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// Uniform in [lo, hi) with 24 random bits; exact function of (seed, i).
inline float hash_uniform(std::uint64_t seed, std::uint64_t i, float lo = -1.0f, float hi = 1.0f) {
  const double u = static_cast<double>(mix64(seed * 0x100000001B3ull + i) >> 40) / 16777216.0;
  return static_cast<float>(lo + (hi - lo) * u);
}

// Uniform in [0, 1) with 24 random bits (exact in float and double) from (seed, stream, i):
// independent streams of one seed, e.g. one per input of an experiment.
inline double stream_u24(std::uint64_t seed, std::uint64_t stream, std::uint64_t i) {
  return static_cast<double>(mix64(mix64(seed * 0x100000001B3ull + stream) + i) >> 40) / 16777216.0;
}

// Integer-valued float in [lo, hi]: sums of products stay exact in float32.
inline float hash_int(std::uint64_t seed, std::uint64_t i, int lo, int hi) {
  return static_cast<float>(lo + static_cast<int>(mix64(seed * 0x100000001B3ull + i) % std::uint64_t(hi - lo + 1)));
}

inline std::vector<float> uniform_values(std::uint64_t seed, std::int64_t n, float lo = -1.0f, float hi = 1.0f) {
  std::vector<float> v(static_cast<size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) v[static_cast<size_t>(i)] = hash_uniform(seed, static_cast<std::uint64_t>(i), lo, hi);
  return v;
}

inline std::vector<float> int_values(std::uint64_t seed, std::int64_t n, int lo, int hi) {
  std::vector<float> v(static_cast<size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) v[static_cast<size_t>(i)] = hash_int(seed, static_cast<std::uint64_t>(i), lo, hi);
  return v;
}

// n values uniform in [lo, hi) from stream `stream` of `seed`.
inline std::vector<float> stream_values(std::uint64_t seed, std::uint64_t stream, std::int64_t n, float lo, float hi) {
  std::vector<float> v(static_cast<size_t>(n));
  for (std::int64_t i = 0; i < n; ++i)
    v[static_cast<size_t>(i)] = static_cast<float>(lo + (hi - lo) * stream_u24(seed, stream, static_cast<std::uint64_t>(i)));
  return v;
}

inline Tensor uniform_tensor(std::uint64_t seed, const Shape& shape, float lo = -1.0f, float hi = 1.0f) {
  return Tensor::from_vector(uniform_values(seed, shape.numel(), lo, hi), shape);
}

inline Tensor int_tensor(std::uint64_t seed, const Shape& shape, int lo, int hi) {
  return Tensor::from_vector(int_values(seed, shape.numel(), lo, hi), shape);
}

inline std::vector<double> to_double(const std::vector<float>& v) { return std::vector<double>(v.begin(), v.end()); }
inline std::vector<float> to_float(const std::vector<double>& v) { return std::vector<float>(v.begin(), v.end()); }

// Guards against vacuous checks: data that is all zero or constant proves little.
inline double abs_sum(const std::vector<float>& v) {
  double s = 0;
  for (float f : v) s += std::fabs(f);
  return s;
}
inline bool non_constant(const std::vector<float>& v) {
  return std::any_of(v.begin(), v.end(), [&](float f) { return f != v.front(); });
}

}  // namespace lockstep::test

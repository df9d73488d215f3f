// Per-output accumulation record of the float64 references: the value, the sum of |terms|
// (for error bounds, test::chain_bound (reference/bounds.h)) and the number of terms.
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
  // Element `to` becomes a copy of element `from` of r (all three records).
  void copy_from(const RefSums& r, std::int64_t from, std::int64_t to) {
    value[static_cast<size_t>(to)] = r.value[static_cast<size_t>(from)];
    abs_sum[static_cast<size_t>(to)] = r.abs_sum[static_cast<size_t>(from)];
    terms[static_cast<size_t>(to)] = r.terms[static_cast<size_t>(from)];
  }
};

// v[i] for a signed index (the references index with std::int64_t throughout).
inline double at(const std::vector<double>& v, std::int64_t i) { return v[static_cast<size_t>(i)]; }

// f(a, b) for a < A (outer), b < B; f(a, b, c) for a < A (outermost), b < B, c < C: the loop
// nests of the references, each written once with its own loop order.
template <class F>
void for_each_2(std::int64_t A, std::int64_t B, F f) {
  for (std::int64_t a = 0; a < A; ++a)
    for (std::int64_t b = 0; b < B; ++b) f(a, b);
}
template <class F>
void for_each_3(std::int64_t A, std::int64_t B, std::int64_t C, F f) {
  for (std::int64_t a = 0; a < A; ++a) for_each_2(B, C, [&](std::int64_t b, std::int64_t c) { f(a, b, c); });
}

}  // namespace lockstep::ref

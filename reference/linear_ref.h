// Naive float64 linear reference (y = x W^T + b), independent of kernels/: each pass is a
// plain triple loop accumulating in double, in an order of its own (the reduced index
// outermost). Every result also carries, per output, the sum of |terms| and the number of
// terms, so a float32 result is checked against test::chain_bound(n, abs_sum).
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

#include "reference/ref_sums.h"

namespace lockstep::ref {

// x: (N,I), w: (O,I), b: (O), y: (N,O).
struct LinearShape {
  std::int64_t N, I, O;
};

// y[n,o] = b[o] + sum_i x[n,i] * w[o,i].
inline RefSums linear_fwd(const std::vector<double>& x, const std::vector<double>& w, const std::vector<double>& b,
                          const LinearShape& s) {
  RefSums y(s.N * s.O);
  for (std::int64_t n = 0; n < s.N; ++n)
    for (std::int64_t o = 0; o < s.O; ++o) y.add(n * s.O + o, b[static_cast<size_t>(o)]);
  for (std::int64_t i = 0; i < s.I; ++i)
    for (std::int64_t n = 0; n < s.N; ++n)
      for (std::int64_t o = 0; o < s.O; ++o)
        y.add(n * s.O + o, x[static_cast<size_t>(n * s.I + i)] * w[static_cast<size_t>(o * s.I + i)]);
  return y;
}

// dx[n,i] = sum_o dy[n,o] * w[o,i].
inline RefSums linear_bwd_data(const std::vector<double>& dy, const std::vector<double>& w, const LinearShape& s) {
  RefSums dx(s.N * s.I);
  for (std::int64_t o = 0; o < s.O; ++o)
    for (std::int64_t n = 0; n < s.N; ++n)
      for (std::int64_t i = 0; i < s.I; ++i)
        dx.add(n * s.I + i, dy[static_cast<size_t>(n * s.O + o)] * w[static_cast<size_t>(o * s.I + i)]);
  return dx;
}

// dw[o,i] = sum_n dy[n,o] * x[n,i].
inline RefSums linear_bwd_weight(const std::vector<double>& dy, const std::vector<double>& x, const LinearShape& s) {
  RefSums dw(s.O * s.I);
  for (std::int64_t n = 0; n < s.N; ++n)
    for (std::int64_t o = 0; o < s.O; ++o)
      for (std::int64_t i = 0; i < s.I; ++i)
        dw.add(o * s.I + i, dy[static_cast<size_t>(n * s.O + o)] * x[static_cast<size_t>(n * s.I + i)]);
  return dw;
}

// db[o] = sum_n dy[n,o].
inline RefSums linear_bwd_bias(const std::vector<double>& dy, const LinearShape& s) {
  RefSums db(s.O);
  for (std::int64_t n = 0; n < s.N; ++n)
    for (std::int64_t o = 0; o < s.O; ++o) db.add(o, dy[static_cast<size_t>(n * s.O + o)]);
  return db;
}

}  // namespace lockstep::ref

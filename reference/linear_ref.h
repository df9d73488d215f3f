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
  for_each_2(s.N, s.O, [&](std::int64_t n, std::int64_t o) { y.add(n * s.O + o, at(b, o)); });
  for_each_3(s.I, s.N, s.O,
             [&](std::int64_t i, std::int64_t n, std::int64_t o) { y.add(n * s.O + o, at(x, n * s.I + i) * at(w, o * s.I + i)); });
  return y;
}

// dx[n,i] = sum_o dy[n,o] * w[o,i].
inline RefSums linear_bwd_data(const std::vector<double>& dy, const std::vector<double>& w, const LinearShape& s) {
  RefSums dx(s.N * s.I);
  for_each_3(s.O, s.N, s.I,
             [&](std::int64_t o, std::int64_t n, std::int64_t i) { dx.add(n * s.I + i, at(dy, n * s.O + o) * at(w, o * s.I + i)); });
  return dx;
}

// dw[o,i] = sum_n dy[n,o] * x[n,i].
inline RefSums linear_bwd_weight(const std::vector<double>& dy, const std::vector<double>& x, const LinearShape& s) {
  RefSums dw(s.O * s.I);
  for_each_3(s.N, s.O, s.I,
             [&](std::int64_t n, std::int64_t o, std::int64_t i) { dw.add(o * s.I + i, at(dy, n * s.O + o) * at(x, n * s.I + i)); });
  return dw;
}

// db[o] = sum_n dy[n,o].
inline RefSums linear_bwd_bias(const std::vector<double>& dy, const LinearShape& s) {
  RefSums db(s.O);
  for_each_2(s.N, s.O, [&](std::int64_t n, std::int64_t o) { db.add(o, at(dy, n * s.O + o)); });
  return db;
}

}  // namespace lockstep::ref

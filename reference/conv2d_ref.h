// Naive float64 conv2d reference, independent of kernels/: it pads a copy of the input with
// explicit zeros (no bounds tests), and writes the data gradient as a scatter over the
// outputs rather than the kernels' gather over the taps. Every result also carries, per
// output, the sum of |terms| and the number of terms, so a float32 result is checked
// against test::chain_bound(n, abs_sum) (padded taps count as zero terms: a loose n).
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

#include "reference/ref_sums.h"

namespace lockstep::ref {

// x: (N,C,H,W), w: (K,C,R,S), b: (K), y: (N,K,P,Q); square stride, zero padding `pad`.
struct Conv2dShape {
  std::int64_t N, C, H, W, K, R, S, stride, pad;
  std::int64_t P() const { return (H + 2 * pad - R) / stride + 1; }
  std::int64_t Q() const { return (W + 2 * pad - S) / stride + 1; }
  std::int64_t x_size() const { return N * C * H * W; }
  std::int64_t w_size() const { return K * C * R * S; }
  std::int64_t y_size() const { return N * K * P() * Q(); }
};

namespace conv2d_detail {
// f(padded, plain) for every input element: its flat index in x zero-padded to
// (N, C, H+2pad, W+2pad), and in x.
template <class F>
void for_each_input(const Conv2dShape& s, F f) {
  const std::int64_t Hp = s.H + 2 * s.pad, Wp = s.W + 2 * s.pad;
  for_each_3(s.N * s.C, s.H, s.W, [&](std::int64_t nc, std::int64_t h, std::int64_t w) {
    f((nc * Hp + h + s.pad) * Wp + w + s.pad, (nc * s.H + h) * s.W + w);
  });
}

// x zero-padded to (N, C, H+2pad, W+2pad).
inline std::vector<double> pad_input(const std::vector<double>& x, const Conv2dShape& s) {
  std::vector<double> xp(static_cast<size_t>(s.N * s.C * (s.H + 2 * s.pad) * (s.W + 2 * s.pad)), 0.0);
  for_each_input(s, [&](std::int64_t padded, std::int64_t plain) { xp[static_cast<size_t>(padded)] = at(x, plain); });
  return xp;
}

// f(y, w, xpad) for every (output, tap) pair: the flat indices of y[n,k,p,q], w[k,c,r,t] and
// xpad[n,c,p*stride+r,q*stride+t], in the order n, k, p, q, c, r, t (taps innermost).
template <class F>
void for_each_tap(const Conv2dShape& s, F f) {
  const std::int64_t P = s.P(), Q = s.Q(), Hp = s.H + 2 * s.pad, Wp = s.W + 2 * s.pad;
  for_each_3(s.N, s.K, P * Q, [&](std::int64_t n, std::int64_t k, std::int64_t pq) {
    const std::int64_t p = pq / Q, q = pq % Q;
    for_each_3(s.C, s.R, s.S, [&](std::int64_t c, std::int64_t r, std::int64_t t) {
      f(((n * s.K + k) * P + p) * Q + q, ((k * s.C + c) * s.R + r) * s.S + t,
        ((n * s.C + c) * Hp + p * s.stride + r) * Wp + q * s.stride + t);
    });
  });
}
}  // namespace conv2d_detail

// y[n,k,p,q] = b[k] + sum_{c,r,s} xpad[n,c,p*stride+r,q*stride+s] * w[k,c,r,s]: per output the
// bias first, then the taps in (c, r, s) order.
inline RefSums conv2d_fwd(const std::vector<double>& x, const std::vector<double>& w, const std::vector<double>& b,
                          const Conv2dShape& s) {
  const std::int64_t PQ = s.P() * s.Q();
  const std::vector<double> xp = conv2d_detail::pad_input(x, s);
  RefSums y(s.y_size());
  for_each_3(s.N, s.K, PQ, [&](std::int64_t n, std::int64_t k, std::int64_t pq) { y.add((n * s.K + k) * PQ + pq, at(b, k)); });
  conv2d_detail::for_each_tap(s, [&](std::int64_t yi, std::int64_t wi, std::int64_t xi) { y.add(yi, at(xp, xi) * at(w, wi)); });
  return y;
}

// dx = the transpose of the forward map applied to dy: every output scatters dy * w onto the
// padded input it read; the padding is cropped at the end.
inline RefSums conv2d_bwd_data(const std::vector<double>& dy, const std::vector<double>& w, const Conv2dShape& s) {
  RefSums dxp(s.N * s.C * (s.H + 2 * s.pad) * (s.W + 2 * s.pad));
  conv2d_detail::for_each_tap(s, [&](std::int64_t yi, std::int64_t wi, std::int64_t xi) { dxp.add(xi, at(dy, yi) * at(w, wi)); });
  RefSums dx(s.x_size());
  conv2d_detail::for_each_input(s, [&](std::int64_t padded, std::int64_t plain) { dx.copy_from(dxp, padded, plain); });
  return dx;
}

// dw[k,c,r,s] = sum_{n,p,q} dy[n,k,p,q] * xpad[n,c,p*stride+r,q*stride+s].
inline RefSums conv2d_bwd_weight(const std::vector<double>& dy, const std::vector<double>& x, const Conv2dShape& s) {
  const std::vector<double> xp = conv2d_detail::pad_input(x, s);
  RefSums dw(s.w_size());
  conv2d_detail::for_each_tap(s, [&](std::int64_t yi, std::int64_t wi, std::int64_t xi) { dw.add(wi, at(dy, yi) * at(xp, xi)); });
  return dw;
}

// db[k] = sum_{n,p,q} dy[n,k,p,q].
inline RefSums conv2d_bwd_bias(const std::vector<double>& dy, const Conv2dShape& s) {
  const std::int64_t PQ = s.P() * s.Q();
  RefSums db(s.K);
  for_each_3(s.N, s.K, PQ, [&](std::int64_t n, std::int64_t k, std::int64_t i) { db.add(k, at(dy, (n * s.K + k) * PQ + i)); });
  return db;
}

}  // namespace lockstep::ref

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
// x zero-padded to (N, C, H+2pad, W+2pad).
inline std::vector<double> pad_input(const std::vector<double>& x, const Conv2dShape& s) {
  const std::int64_t Hp = s.H + 2 * s.pad, Wp = s.W + 2 * s.pad;
  std::vector<double> xp(static_cast<size_t>(s.N * s.C * Hp * Wp), 0.0);
  for (std::int64_t nc = 0; nc < s.N * s.C; ++nc)
    for (std::int64_t h = 0; h < s.H; ++h)
      for (std::int64_t w = 0; w < s.W; ++w)
        xp[static_cast<size_t>((nc * Hp + h + s.pad) * Wp + w + s.pad)] = x[static_cast<size_t>((nc * s.H + h) * s.W + w)];
  return xp;
}
}  // namespace conv2d_detail

// y[n,k,p,q] = b[k] + sum_{c,r,s} xpad[n,c,p*stride+r,q*stride+s] * w[k,c,r,s].
inline RefSums conv2d_fwd(const std::vector<double>& x, const std::vector<double>& w, const std::vector<double>& b,
                          const Conv2dShape& s) {
  const std::int64_t P = s.P(), Q = s.Q(), Hp = s.H + 2 * s.pad, Wp = s.W + 2 * s.pad;
  const std::vector<double> xp = conv2d_detail::pad_input(x, s);
  RefSums y(s.y_size());
  for (std::int64_t n = 0; n < s.N; ++n)
    for (std::int64_t k = 0; k < s.K; ++k)
      for (std::int64_t p = 0; p < P; ++p)
        for (std::int64_t q = 0; q < Q; ++q) {
          const std::int64_t o = ((n * s.K + k) * P + p) * Q + q;
          y.add(o, b[static_cast<size_t>(k)]);
          for (std::int64_t c = 0; c < s.C; ++c)
            for (std::int64_t r = 0; r < s.R; ++r)
              for (std::int64_t t = 0; t < s.S; ++t)
                y.add(o, xp[static_cast<size_t>(((n * s.C + c) * Hp + p * s.stride + r) * Wp + q * s.stride + t)] *
                             w[static_cast<size_t>(((k * s.C + c) * s.R + r) * s.S + t)]);
        }
  return y;
}

// dx = the transpose of the forward map applied to dy: every output scatters dy * w onto the
// padded input it read; the padding is cropped at the end.
inline RefSums conv2d_bwd_data(const std::vector<double>& dy, const std::vector<double>& w, const Conv2dShape& s) {
  const std::int64_t P = s.P(), Q = s.Q(), Hp = s.H + 2 * s.pad, Wp = s.W + 2 * s.pad;
  RefSums dxp(s.N * s.C * Hp * Wp);
  for (std::int64_t n = 0; n < s.N; ++n)
    for (std::int64_t k = 0; k < s.K; ++k)
      for (std::int64_t p = 0; p < P; ++p)
        for (std::int64_t q = 0; q < Q; ++q)
          for (std::int64_t c = 0; c < s.C; ++c)
            for (std::int64_t r = 0; r < s.R; ++r)
              for (std::int64_t t = 0; t < s.S; ++t)
                dxp.add(((n * s.C + c) * Hp + p * s.stride + r) * Wp + q * s.stride + t,
                        dy[static_cast<size_t>(((n * s.K + k) * P + p) * Q + q)] *
                            w[static_cast<size_t>(((k * s.C + c) * s.R + r) * s.S + t)]);
  RefSums dx(s.x_size());
  for (std::int64_t nc = 0; nc < s.N * s.C; ++nc)
    for (std::int64_t h = 0; h < s.H; ++h)
      for (std::int64_t x = 0; x < s.W; ++x) {
        const size_t from = static_cast<size_t>((nc * Hp + h + s.pad) * Wp + x + s.pad);
        const size_t to = static_cast<size_t>((nc * s.H + h) * s.W + x);
        dx.value[to] = dxp.value[from];
        dx.abs_sum[to] = dxp.abs_sum[from];
        dx.terms[to] = dxp.terms[from];
      }
  return dx;
}

// dw[k,c,r,s] = sum_{n,p,q} dy[n,k,p,q] * xpad[n,c,p*stride+r,q*stride+s].
inline RefSums conv2d_bwd_weight(const std::vector<double>& dy, const std::vector<double>& x, const Conv2dShape& s) {
  const std::int64_t P = s.P(), Q = s.Q(), Hp = s.H + 2 * s.pad, Wp = s.W + 2 * s.pad;
  const std::vector<double> xp = conv2d_detail::pad_input(x, s);
  RefSums dw(s.w_size());
  for (std::int64_t n = 0; n < s.N; ++n)
    for (std::int64_t k = 0; k < s.K; ++k)
      for (std::int64_t p = 0; p < P; ++p)
        for (std::int64_t q = 0; q < Q; ++q)
          for (std::int64_t c = 0; c < s.C; ++c)
            for (std::int64_t r = 0; r < s.R; ++r)
              for (std::int64_t t = 0; t < s.S; ++t)
                dw.add(((k * s.C + c) * s.R + r) * s.S + t,
                       dy[static_cast<size_t>(((n * s.K + k) * P + p) * Q + q)] *
                           xp[static_cast<size_t>(((n * s.C + c) * Hp + p * s.stride + r) * Wp + q * s.stride + t)]);
  return dw;
}

// db[k] = sum_{n,p,q} dy[n,k,p,q].
inline RefSums conv2d_bwd_bias(const std::vector<double>& dy, const Conv2dShape& s) {
  const std::int64_t PQ = s.P() * s.Q();
  RefSums db(s.K);
  for (std::int64_t n = 0; n < s.N; ++n)
    for (std::int64_t k = 0; k < s.K; ++k)
      for (std::int64_t i = 0; i < PQ; ++i) db.add(k, dy[static_cast<size_t>((n * s.K + k) * PQ + i)]);
  return db;
}

}  // namespace lockstep::ref

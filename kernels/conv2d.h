// conv2d: the canonical order of each pass, per output element (the definition, used by
// the CUDA backend one thread per output and by tests with T = double), and "row" forms
// that compute many independent outputs with exactly the same per-output chain so the
// CPU can vectorise across outputs. Tests assert row == element bitwise.
// See docs/ordering.md#conv2d-forward, #conv2d-backward-data, #conv2d-backward-weight.
#pragma once

#include "kernels/reduce.h"
#include "kernels/shapes.h"

namespace lockstep::kernels {

LS_HD i64 conv_x_index(const Conv2dGeom& g, i64 n, i64 c, i64 h, i64 w) { return ((n * g.C + c) * g.H + h) * g.W + w; }
LS_HD i64 conv_w_index(const Conv2dGeom& g, i64 k, i64 c, i64 r, i64 s) { return ((k * g.C + c) * g.R + r) * g.S + s; }
LS_HD i64 conv_y_index(const Conv2dGeom& g, i64 n, i64 k, i64 p, i64 q) { return ((n * g.K + k) * g.P + p) * g.Q + q; }

// Order: acc = b[k]; for c, r, s (nested, in order), skipping taps in the zero padding:
//   acc = fma_rn(x[n,c,p*stride-pad+r, q*stride-pad+s], w[k,c,r,s], acc).
// Why skip rather than add 0*w: identical for finite inputs, and a padded tap must not turn
// an infinite weight into NaN.
template <class T>
LS_HD T conv2d_fwd_elem(const T* x, const T* w, const T* b, const Conv2dGeom& g, i64 n, i64 k, i64 p, i64 q) {
  T acc = b[k];
  for (i64 c = 0; c < g.C; ++c)
    for (i64 r = 0; r < g.R; ++r) {
      const i64 h = p * g.stride - g.pad + r;
      if (h < 0 || h >= g.H) continue;
      for (i64 s = 0; s < g.S; ++s) {
        const i64 ww = q * g.stride - g.pad + s;
        if (ww < 0 || ww >= g.W) continue;
        acc = fma_rn(x[conv_x_index(g, n, c, h, ww)], w[conv_w_index(g, k, c, r, s)], acc);
      }
    }
  return acc;
}

// The q-range whose tap s lands inside the input row: q*stride - pad + s in [0, W).
LS_HD void conv_valid_q(const Conv2dGeom& g, i64 s, i64& q_begin, i64& q_end) {
  const i64 lo = g.pad - s;  // need q*stride >= lo
  q_begin = lo <= 0 ? 0 : (lo + g.stride - 1) / g.stride;
  const i64 hi = g.W - 1 + g.pad - s;  // need q*stride <= hi
  q_end = hi < 0 ? 0 : hi / g.stride + 1;
  if (q_end > g.Q) q_end = g.Q;
  if (q_begin > q_end) q_begin = q_end;
}

// y[n,k,p,0..Q): the forward order of conv2d_fwd_elem for every q of one output row, the
// q loop innermost so that independent outputs vectorise. Same chain per output.
template <class T>
LS_HD void conv2d_fwd_row(const T* x, const T* w, const T* b, const Conv2dGeom& g, i64 n, i64 k, i64 p, T* y_row) {
  for (i64 q = 0; q < g.Q; ++q) y_row[q] = b[k];
  for (i64 c = 0; c < g.C; ++c)
    for (i64 r = 0; r < g.R; ++r) {
      const i64 h = p * g.stride - g.pad + r;
      if (h < 0 || h >= g.H) continue;
      const T* x_row = x + conv_x_index(g, n, c, h, 0);
      for (i64 s = 0; s < g.S; ++s) {
        const T wv = w[conv_w_index(g, k, c, r, s)];
        i64 q0, q1;
        conv_valid_q(g, s, q0, q1);
        const i64 off = s - g.pad;
        for (i64 q = q0; q < q1; ++q) y_row[q] = fma_rn(x_row[q * g.stride + off], wv, y_row[q]);
      }
    }
}

// Order: acc = 0; for k, r, s (nested, in order), over the taps (p, q) that read x[n,c,h,w]
// (h + pad - r = p*stride with p in [0,P), likewise q): acc = fma_rn(dy[n,k,p,q], w[k,c,r,s], acc).
template <class T>
LS_HD T conv2d_bwd_data_elem(const T* dy, const T* w, const Conv2dGeom& g, i64 n, i64 c, i64 h, i64 ww) {
  T acc = T(0);
  for (i64 k = 0; k < g.K; ++k)
    for (i64 r = 0; r < g.R; ++r) {
      const i64 ph = h + g.pad - r;
      if (ph < 0 || ph % g.stride != 0 || ph / g.stride >= g.P) continue;
      for (i64 s = 0; s < g.S; ++s) {
        const i64 qw = ww + g.pad - s;
        if (qw < 0 || qw % g.stride != 0 || qw / g.stride >= g.Q) continue;
        acc = fma_rn(dy[conv_y_index(g, n, k, ph / g.stride, qw / g.stride)], w[conv_w_index(g, k, c, r, s)], acc);
      }
    }
  return acc;
}

// dx[n,c,h,0..W): the order of conv2d_bwd_data_elem for a whole input row, w innermost.
template <class T>
LS_HD void conv2d_bwd_data_row(const T* dy, const T* w, const Conv2dGeom& g, i64 n, i64 c, i64 h, T* dx_row) {
  for (i64 x = 0; x < g.W; ++x) dx_row[x] = T(0);
  for (i64 k = 0; k < g.K; ++k)
    for (i64 r = 0; r < g.R; ++r) {
      const i64 ph = h + g.pad - r;
      if (ph < 0 || ph % g.stride != 0 || ph / g.stride >= g.P) continue;
      const T* dy_row = dy + conv_y_index(g, n, k, ph / g.stride, 0);
      for (i64 s = 0; s < g.S; ++s) {
        const T wv = w[conv_w_index(g, k, c, r, s)];
        // Input columns x with x + pad - s = q*stride, q in [0,Q): x = q*stride + s - pad.
        i64 q0, q1;
        conv_valid_q(g, s, q0, q1);
        const i64 off = s - g.pad;
        for (i64 q = q0; q < q1; ++q) dx_row[q * g.stride + off] = fma_rn(dy_row[q], wv, dx_row[q * g.stride + off]);
      }
    }
}

// Order, for chunk j of kBatchChunk samples: partial = 0; for n in the chunk, p, q (in order),
// skipping taps in the padding: partial = fma_rn(dy[n,k,p,q], x[n,c,p*stride-pad+r, q*stride-pad+s], partial).
template <class T>
LS_HD T conv2d_bwd_weight_chunk(const T* dy, const T* x, const Conv2dGeom& g, i64 j, i64 k, i64 c, i64 r, i64 s) {
  T acc = T(0);
  const i64 n_end = (j + 1) * kBatchChunk < g.N ? (j + 1) * kBatchChunk : g.N;
  for (i64 n = j * kBatchChunk; n < n_end; ++n)
    for (i64 p = 0; p < g.P; ++p) {
      const i64 h = p * g.stride - g.pad + r;
      if (h < 0 || h >= g.H) continue;
      for (i64 q = 0; q < g.Q; ++q) {
        const i64 ww = q * g.stride - g.pad + s;
        if (ww < 0 || ww >= g.W) continue;
        acc = fma_rn(dy[conv_y_index(g, n, k, p, q)], x[conv_x_index(g, n, c, h, ww)], acc);
      }
    }
  return acc;
}

// Order: dw[k,c,r,s] = 0 + partial_0 + partial_1 + ... over the batch chunks, left to right.
template <class T>
LS_HD T conv2d_bwd_weight_elem(const T* dy, const T* x, const Conv2dGeom& g, i64 k, i64 c, i64 r, i64 s) {
  T acc = T(0);
  for (i64 j = 0; j < num_chunks(g.N, kBatchChunk); ++j) acc = acc + conv2d_bwd_weight_chunk(dy, x, g, j, k, c, r, s);
  return acc;
}

// Order, per chunk: partial = 0; for n in the chunk, p, q: partial = partial + dy[n,k,p,q];
// db[k] = 0 + partial_0 + partial_1 + ... left to right.
template <class T>
LS_HD T conv2d_bwd_bias_elem(const T* dy, const Conv2dGeom& g, i64 k) {
  T acc = T(0);
  for (i64 j = 0; j < num_chunks(g.N, kBatchChunk); ++j) {
    T part = T(0);
    const i64 n_end = (j + 1) * kBatchChunk < g.N ? (j + 1) * kBatchChunk : g.N;
    for (i64 n = j * kBatchChunk; n < n_end; ++n)
      for (i64 i = 0; i < g.P * g.Q; ++i) part = part + dy[conv_y_index(g, n, k, 0, 0) + i];
    acc = acc + part;
  }
  return acc;
}

}  // namespace lockstep::kernels

namespace lockstep::kernels {

// acc_rs[r*S+s] for every tap (r, s) of one (k, c) pair over batch chunk j: the order of
// conv2d_bwd_weight_chunk for all R*S outputs at once, (n, p, q) outermost.
template <class T>
LS_HD void conv2d_bwd_weight_chunk_rs(const T* dy, const T* x, const Conv2dGeom& g, i64 j, i64 k, i64 c, T* acc_rs) {
  for (i64 i = 0; i < g.R * g.S; ++i) acc_rs[i] = T(0);
  const i64 n_end = (j + 1) * kBatchChunk < g.N ? (j + 1) * kBatchChunk : g.N;
  for (i64 n = j * kBatchChunk; n < n_end; ++n)
    for (i64 p = 0; p < g.P; ++p)
      for (i64 q = 0; q < g.Q; ++q) {
        const T d = dy[conv_y_index(g, n, k, p, q)];
        for (i64 r = 0; r < g.R; ++r) {
          const i64 h = p * g.stride - g.pad + r;
          if (h < 0 || h >= g.H) continue;
          const T* x_row = x + conv_x_index(g, n, c, h, 0);
          for (i64 s = 0; s < g.S; ++s) {
            const i64 ww = q * g.stride - g.pad + s;
            if (ww < 0 || ww >= g.W) continue;
            acc_rs[r * g.S + s] = fma_rn(d, x_row[ww], acc_rs[r * g.S + s]);
          }
        }
      }
}

}  // namespace lockstep::kernels

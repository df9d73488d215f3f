// linear (y = x W^T + b): the canonical order of each pass per output element, and row
// forms with the same per-output chain for vectorising across outputs on the CPU.
// See docs/ordering.md#linear-forward, #linear-backward-data, #linear-backward-weight.
#pragma once

#include "kernels/reduce.h"
#include "kernels/shapes.h"

namespace lockstep::kernels {

// Order: acc = b[o]; for i in order: acc = fma_rn(x[n,i], w[o,i], acc).
template <class T>
LS_HD T linear_fwd_elem(const T* x, const T* w, const T* b, const LinearGeom& g, i64 n, i64 o) {
  T acc = b[o];
  for (i64 i = 0; i < g.I; ++i) acc = fma_rn(x[n * g.I + i], w[o * g.I + i], acc);
  return acc;
}

// y[n, 0..O) with wt = W^T laid out (I,O): the order of linear_fwd_elem, o innermost.
template <class T>
LS_HD void linear_fwd_row(const T* x, const T* wt, const T* b, const LinearGeom& g, i64 n, T* y_row) {
  for (i64 o = 0; o < g.O; ++o) y_row[o] = b[o];
  for (i64 i = 0; i < g.I; ++i) {
    const T xv = x[n * g.I + i];
    const T* wt_row = wt + i * g.O;
    for (i64 o = 0; o < g.O; ++o) y_row[o] = fma_rn(xv, wt_row[o], y_row[o]);
  }
}

// Order: acc = 0; for o in order: acc = fma_rn(dy[n,o], w[o,i], acc).
template <class T>
LS_HD T linear_bwd_data_elem(const T* dy, const T* w, const LinearGeom& g, i64 n, i64 i) {
  T acc = T(0);
  for (i64 o = 0; o < g.O; ++o) acc = fma_rn(dy[n * g.O + o], w[o * g.I + i], acc);
  return acc;
}

// dx[n, 0..I): the order of linear_bwd_data_elem, i innermost.
template <class T>
LS_HD void linear_bwd_data_row(const T* dy, const T* w, const LinearGeom& g, i64 n, T* dx_row) {
  for (i64 i = 0; i < g.I; ++i) dx_row[i] = T(0);
  for (i64 o = 0; o < g.O; ++o) {
    const T d = dy[n * g.O + o];
    const T* w_row = w + o * g.I;
    for (i64 i = 0; i < g.I; ++i) dx_row[i] = fma_rn(d, w_row[i], dx_row[i]);
  }
}

LS_HD i64 chunk_end(i64 j, i64 n) { return (j + 1) * kBatchChunk < n ? (j + 1) * kBatchChunk : n; }

// Order: dw[o,i] = 0 + partial_0 + partial_1 + ... over batch chunks, left to right, where
// partial_j = 0; for n in chunk j: partial_j = fma_rn(dy[n,o], x[n,i], partial_j).
template <class T>
LS_HD T linear_bwd_weight_elem(const T* dy, const T* x, const LinearGeom& g, i64 o, i64 i) {
  T acc = T(0);
  for (i64 j = 0; j < num_chunks(g.N, kBatchChunk); ++j) {
    T part = T(0);
    for (i64 n = j * kBatchChunk; n < chunk_end(j, g.N); ++n) part = fma_rn(dy[n * g.O + o], x[n * g.I + i], part);
    acc = acc + part;
  }
  return acc;
}

// dw[o, 0..I): the order of linear_bwd_weight_elem, i innermost; `part` is scratch of I values.
template <class T>
LS_HD void linear_bwd_weight_row(const T* dy, const T* x, const LinearGeom& g, i64 o, T* dw_row, T* part) {
  for (i64 i = 0; i < g.I; ++i) dw_row[i] = T(0);
  for (i64 j = 0; j < num_chunks(g.N, kBatchChunk); ++j) {
    for (i64 i = 0; i < g.I; ++i) part[i] = T(0);
    for (i64 n = j * kBatchChunk; n < chunk_end(j, g.N); ++n) {
      const T d = dy[n * g.O + o];
      const T* x_row = x + n * g.I;
      for (i64 i = 0; i < g.I; ++i) part[i] = fma_rn(d, x_row[i], part[i]);
    }
    for (i64 i = 0; i < g.I; ++i) dw_row[i] = dw_row[i] + part[i];
  }
}

// Order: per chunk, partial = 0; for n in the chunk: partial = partial + dy[n,o];
// db[o] = 0 + partial_0 + partial_1 + ... left to right.
template <class T>
LS_HD T linear_bwd_bias_elem(const T* dy, const LinearGeom& g, i64 o) {
  T acc = T(0);
  for (i64 j = 0; j < num_chunks(g.N, kBatchChunk); ++j) {
    T part = T(0);
    for (i64 n = j * kBatchChunk; n < chunk_end(j, g.N); ++n) part = part + dy[n * g.O + o];
    acc = acc + part;
  }
  return acc;
}

}  // namespace lockstep::kernels

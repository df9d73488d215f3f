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

// ---------------------------------------------------------------------------------------
// Register-blocked forms. See Note [Chain tiles]: an MR x NR tile of independent outputs is
// kept in registers while the shared index kk runs in order, so each output is still its
// own sequential chain, and the vector lanes only ever span different outputs. Tile sizes
// are chosen by the backend for the register file; they never change a result.
//   A(m, kk) = A[m*a_m + kk*a_k] (broadcast), B(kk, j) = B[kk*ldb + j] (vector loads),
//   C(m, j) = C[m*ldc + j] holds the chain's start value on entry and its result on exit.
// Loading and storing C between calls rounds nothing, so a chain may be split into
// consecutive kk ranges (cache blocking) without changing its bits.
namespace lockstep::kernels {

// Operand access for the tiles: A(m, kk) is broadcast, B(kk, j) is a contiguous row read as
// vectors. The layouts only decide where an operand is read, never the order of a chain.
template <class T>
struct StridedA {  // A(m, kk) = p[m*a_m + kk*a_k]
  const T* p;
  i64 a_m, a_k;
  LS_HD T operator()(int m, i64 kk) const { return p[m * a_m + kk * a_k]; }
};
template <class T, int MR>
struct GatheredA {  // A(m, kk) = p[base[m] + off[kk]]: an image read at a filter tap, say
  const T* p;
  const i64* off;
  i64 base[MR];  // held by value: loop-invariant registers rather than loads in the kk loop
  LS_HD T operator()(int m, i64 kk) const { return p[base[m] + off[kk]]; }
};
template <class T>
struct UnitRowsA {  // A(m, kk) = p[m + kk*a_k]: rows side by side, so the broadcasts of one kk
  const T* p;       // share a base and differ by constant offsets
  i64 a_k;
  LS_HD T operator()(int m, i64 kk) const { return p[m + kk * a_k]; }
};
template <class T>
struct SharedA {  // A(m, kk) = p[kk*a_k] for every m: one factor for all rows of the tile
  const T* p;
  i64 a_k;
  LS_HD T operator()(int, i64 kk) const { return p[kk * a_k]; }
};
// B(kk, j) for tile row m is row(B(kk), m)[j]: the same row for every m, except in
// OffsetRowsB, where each tile row reads its own (an image row further down, say).
template <class T>
struct StridedB {  // row kk at p + kk*ldb
  const T* p;
  i64 ldb;
  LS_HD const T* operator()(i64 kk) const { return p + kk * ldb; }
  LS_HD const T* row(const T* b, int) const { return b; }
};
template <class T>
struct IndexedB {  // row kk at p + off[kk]: a convolution's taps, which have no fixed stride
  const T* p;
  const i64* off;
  LS_HD const T* operator()(i64 kk) const { return p + off[kk]; }
  LS_HD const T* row(const T* b, int) const { return b; }
};
template <class T>
struct OffsetRowsB {  // row kk of tile row m at p + off[kk] + m*b_m
  const T* p;
  const i64* off;
  i64 b_m;
  LS_HD const T* operator()(i64 kk) const { return p + off[kk]; }
  LS_HD const T* row(const T* b, int m) const { return b + m * b_m; }
};

// Order, per output (m, j): c = C(m,j); for kk in [0, kd): c = fma_rn(A(m,kk), B(kk,j), c),
// B(kk, j) of row m being B.row(B(kk), m)[j].
// ZeroStart: the start value is +0 and C is not read (a chain that starts from zero, with no
// pass to clear C first).
template <int MR, int NR, class T, class AOp, class BOp, bool ZeroStart = false>
LS_HD_TILE void chain_tile_op(const AOp& A, const BOp& B, i64 kd, T* C, i64 ldc) {
  T acc[MR][NR];
#pragma GCC unroll 16
  for (int m = 0; m < MR; ++m)
#pragma GCC unroll 64
    for (int j = 0; j < NR; ++j) acc[m][j] = ZeroStart ? T(0) : C[m * ldc + j];
  for (i64 kk = 0; kk < kd; ++kk) {
    const T* b = B(kk);
#pragma GCC unroll 16
    for (int m = 0; m < MR; ++m) {
      const T a = A(m, kk);
      const T* bm = B.row(b, m);
#pragma GCC unroll 64
      for (int j = 0; j < NR; ++j) acc[m][j] = fma_rn(a, bm[j], acc[m][j]);
    }
  }
#pragma GCC unroll 16
  for (int m = 0; m < MR; ++m)
#pragma GCC unroll 64
    for (int j = 0; j < NR; ++j) C[m * ldc + j] = acc[m][j];
}

template <int MR, int NR, class T>
LS_HD void chain_tile(const T* A, i64 a_m, i64 a_k, const T* B, i64 ldb, i64 kd, T* C, i64 ldc) {
  chain_tile_op<MR, NR, T>(StridedA<T>{A, a_m, a_k}, StridedB<T>{B, ldb}, kd, C, ldc);
}

// The batch-chunked chain (linear_bwd_weight_elem's order) for an MR x NR tile:
// Order, per output: total = C(m,j); for each chunk [k0, k0+chunk) of [0, kd) in order:
//   part = 0; for kk in the chunk: part = fma_rn(A(m,kk), B(kk,j), part); total = total + part.
template <int MR, int NR, class T, class AOp, class BOp, bool ZeroStart = false>
LS_HD_TILE void chunked_chain_tile_op(const AOp& A, const BOp& B, i64 kd, i64 chunk, T* C, i64 ldc) {
  T total[MR][NR], part[MR][NR];
#pragma GCC unroll 16
  for (int m = 0; m < MR; ++m)
#pragma GCC unroll 64
    for (int j = 0; j < NR; ++j) total[m][j] = ZeroStart ? T(0) : C[m * ldc + j];
  for (i64 k0 = 0; k0 < kd; k0 += chunk) {
    const i64 k1 = k0 + chunk < kd ? k0 + chunk : kd;
#pragma GCC unroll 16
    for (int m = 0; m < MR; ++m)
#pragma GCC unroll 64
      for (int j = 0; j < NR; ++j) part[m][j] = T(0);
#pragma GCC unroll 8
    for (i64 kk = k0; kk < k1; ++kk) {
      const T* b = B(kk);
#pragma GCC unroll 16
      for (int m = 0; m < MR; ++m) {
        const T a = A(m, kk);
        const T* bm = B.row(b, m);
#pragma GCC unroll 64
        for (int j = 0; j < NR; ++j) part[m][j] = fma_rn(a, bm[j], part[m][j]);
      }
    }
#pragma GCC unroll 16
    for (int m = 0; m < MR; ++m)
#pragma GCC unroll 64
      for (int j = 0; j < NR; ++j) total[m][j] = total[m][j] + part[m][j];
  }
#pragma GCC unroll 16
  for (int m = 0; m < MR; ++m)
#pragma GCC unroll 64
    for (int j = 0; j < NR; ++j) C[m * ldc + j] = total[m][j];
}

template <int MR, int NR, class T>
LS_HD void chunked_chain_tile(const T* A, i64 a_m, i64 a_k, const T* B, i64 ldb, i64 kd, i64 chunk, T* C,
                              i64 ldc) {
  chunked_chain_tile_op<MR, NR, T>(StridedA<T>{A, a_m, a_k}, StridedB<T>{B, ldb}, kd, chunk, C, ldc);
}

// db[0..O): the order of linear_bwd_bias_elem for every o at once, o innermost;
// `part` is scratch of O values.
template <class T>
LS_HD void linear_bwd_bias_row(const T* dy, const LinearGeom& g, T* db, T* part) {
  for (i64 o = 0; o < g.O; ++o) db[o] = T(0);
  for (i64 j = 0; j < num_chunks(g.N, kBatchChunk); ++j) {
    for (i64 o = 0; o < g.O; ++o) part[o] = T(0);
    for (i64 n = j * kBatchChunk; n < chunk_end(j, g.N); ++n)
      for (i64 o = 0; o < g.O; ++o) part[o] = part[o] + dy[n * g.O + o];
    for (i64 o = 0; o < g.O; ++o) db[o] = db[o] + part[o];
  }
}

}  // namespace lockstep::kernels

// Note [Chain tiles]
// A GEMM-shaped pass (linear, and conv2d after im2col) is many independent chains that share
// their kk index. The canonical order fixes each chain; it says nothing about which chains run
// together. chain_tile runs MR*NR of them side by side, NR across the vector lanes, MR in
// separate registers, so one broadcast of A(m,kk) feeds NR chains and one load of B(kk,·)
// feeds MR rows. Every lane performs exactly fma_rn(a, b, c) in kk order, which is why the
// result is the same for any vector width (SSE, AVX2, AVX-512, NEON) and any MR, NR.

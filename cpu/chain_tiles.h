// CPU driver for kernels::chain_tile (Note [Chain tiles] in kernels/linear.h): tile sizes for
// this machine's vector registers, panel packing, and edge tiles through a scratch tile. The
// tile sizes only decide which independent outputs run together, never an output's order, so
// they may follow the instruction set (a wider NR where AVX-512 has 32 wide registers).
#pragma once

#include <algorithm>
#include <type_traits>
#include <utility>

#include "kernels/linear.h"

namespace lockstep::cpu {

using kernels::i64;

#if defined(__AVX512F__)
inline constexpr int kNR = 32;  // two 16-lane registers per tile row
#else
inline constexpr int kNR = 16;  // two 8-lane (AVX2) or four 4-lane (NEON) registers
#endif
inline constexpr int kMR = 6;  // 12 accumulators; leaves registers for B and broadcasts

// Direct conv2d tile sizes; they follow the register file, never an order.
// - kConvNR x kConvMR: one vector by up to kConvMR rows: the forward pass's 8-wide tiles
//   (output rows of at most 8, conv2 of the reference CNN), and backward-weight tiles with
//   output channels along the lanes, so few channels waste few lanes. With 16 registers, 12
//   rows spilled (conv2's forward ran at 52 GFLOP/s, with 8 rows at 75).
// - kConvColsNR x kConvColsMR: tiles along image columns (forward: output columns; backward
//   data: input columns) by output or input channels, or image rows. With 16 registers, 8
//   lanes by 12 rows spilled and 8 by 6 were six dependent FMA chains, too few to hide the
//   latency (conv2's backward data ran at 0.56x the fast path, the 32->64 channel forward at
//   0.69x); two registers by 5 rows keep 10 chains in registers.
// - kConvWideWeightMR: backward-weight tiles kNR wide, for many output channels: 24
//   accumulators of 16 lanes. None without AVX-512: 16 registers hold too few such rows to
//   beat the kConvNR-wide tiles.
inline constexpr int kConvColsNR = 16;
#if defined(__AVX512F__)
inline constexpr int kConvNR = 16;
inline constexpr int kConvMR = 12;
inline constexpr int kConvColsMR = 12;
inline constexpr int kConvWideWeightMR = 12;
#else
inline constexpr int kConvNR = 8;
inline constexpr int kConvMR = 8;
inline constexpr int kConvColsMR = 5;
inline constexpr int kConvWideWeightMR = 0;
#endif

// The CPU's one entry to the chain tiles: kernels::chain_tile_op, or (Chunked)
// kernels::chunked_chain_tile_op with chains cut every `chunk` kk, behind a call.
// Why noinline: inlined into callers that move the tile on (transposing or partial stores),
// GCC 12's SLP vectoriser gives up on the chains for many tile shapes (scalar FMAs, up to 10x
// slower); with the tile in memory it vectorises all. Why Chunked is a template argument: with
// both bodies in one function the plain one ran 30% slower. Why a 256-bit preference for
// narrow tiles: an x86-64-v4 build prefers 512-bit vectors and then leaves an 8-wide tile
// scalar instead of using one 256-bit register per row.
#if defined(__x86_64__) && defined(__AVX512F__)
#define LS_NARROW_TILE_TARGET __attribute__((target("prefer-vector-width=256")))
#else
#define LS_NARROW_TILE_TARGET
#endif
template <int MR, int NR, bool Chunked, bool ZeroStart, class AOp, class BOp>
__attribute__((always_inline)) inline void chain_tile_body(const AOp& A, const BOp& B, i64 kd, i64 chunk, float* C,
                                                           i64 ldc) {
  if constexpr (Chunked)
    kernels::chunked_chain_tile_op<MR, NR, float, AOp, BOp, ZeroStart>(A, B, kd, chunk, C, ldc);
  else
    kernels::chain_tile_op<MR, NR, float, AOp, BOp, ZeroStart>(A, B, kd, C, ldc);
}
template <int MR, int NR, bool Chunked, bool ZeroStart, class AOp, class BOp>
[[gnu::noinline]] void chain_tile_wide(const AOp& A, const BOp& B, i64 kd, i64 chunk, float* C, i64 ldc) {
  chain_tile_body<MR, NR, Chunked, ZeroStart>(A, B, kd, chunk, C, ldc);
}
template <int MR, int NR, bool Chunked, bool ZeroStart, class AOp, class BOp>
[[gnu::noinline]] LS_NARROW_TILE_TARGET void chain_tile_narrow(const AOp& A, const BOp& B, i64 kd, i64 chunk, float* C,
                                                               i64 ldc) {
  chain_tile_body<MR, NR, Chunked, ZeroStart>(A, B, kd, chunk, C, ldc);
}
// C(m, j) = C[m*ldc + j] holds the chains' start values (unless ZeroStart: +0, C not read) and
// receives their results.
template <int MR, int NR, bool Chunked = false, bool ZeroStart = false, class AOp, class BOp>
void chain_tile_call(const AOp& A, const BOp& B, i64 kd, float* C, i64 ldc, i64 chunk = 0) {
  if constexpr (NR <= 8)
    chain_tile_narrow<MR, NR, Chunked, ZeroStart>(A, B, kd, chunk, C, ldc);
  else
    chain_tile_wide<MR, NR, Chunked, ZeroStart>(A, B, kd, chunk, C, ldc);
}

// Calls f(std::integral_constant<int, MR>{}) with MR = min(mr, Max), mr >= 1: one switch
// from a run-time row count to a compile-time tile height.
template <int Max, class F>
void dispatch_rows(i64 mr, F&& f) {
  if constexpr (Max == 1) {
    f(std::integral_constant<int, 1>{});
  } else {
    if (mr >= Max) return f(std::integral_constant<int, Max>{});
    dispatch_rows<Max - 1>(mr, std::forward<F>(f));
  }
}

template <int MR, bool ZeroStart, class AOp>
inline void tile_call(const AOp& a, const float* B, i64 ldb, i64 kd, i64 chunk, float* C, i64 ldc) {
  const kernels::StridedB<float> b{B, ldb};
  if (chunk > 0)
    chain_tile_call<MR, kNR, true, ZeroStart>(a, b, kd, C, ldc, chunk);
  else
    chain_tile_call<MR, kNR, false, ZeroStart>(a, b, kd, C, ldc);
}

// Near-equal row tiles of at most max_rows (32 rows run as 6+6+5+5+5+5 rather than
// 6+6+6+6+6+2): a short tile has too few independent chains to hide the FMA latency.
inline i64 row_tile_count(i64 M, i64 max_rows = kMR) { return (M + max_rows - 1) / max_rows; }
inline int row_tile_height(i64 M, i64 tiles, i64 tile) {
  return static_cast<int>(M / tiles + (tile < M % tiles ? 1 : 0));
}
// One height for all blocks of at most max_rows rows (the last may be shorter): 25 rows in
// blocks of 12 run as 9 + 9 + 7 rather than 12 + 12 + 1.
inline i64 even_block_rows(i64 M, i64 max_rows) {
  const i64 blocks = row_tile_count(M, max_rows);
  return (M + blocks - 1) / blocks;
}

// Rows [0, M) against one kNR-wide panel B(kk, j) = B[kk*ldb + j] (all kNR columns readable):
// C(m, j) for j < nr holds each chain's start value (unless zero_start: +0, C not read) and
// receives its result. A(m, kk) = A[m*a_m + kk*a_k], or with a_packed, A as pack_row_tiles left
// it. chunk > 0 selects the batch-chunked chain. Edge tiles (nr < kNR) run on a scratch tile,
// so the kernel always sees a full tile.
inline void tile_rows(const float* A, i64 a_m, i64 a_k, const float* B, i64 ldb, i64 kd, i64 chunk, float* C,
                      i64 ldc, i64 M, i64 nr, bool zero_start = false, bool a_packed = false) {
  float scratch[kMR * kNR];
  const i64 tiles = row_tile_count(M);
  for (i64 tile = 0, m0 = 0; tile < tiles; ++tile) {
    const int mr = row_tile_height(M, tiles, tile);
    const float* a = a_packed ? A + m0 * kd : A + m0 * a_m;
    const i64 am = a_packed ? 1 : a_m, ak = a_packed ? mr : a_k;
    float* c = C + m0 * ldc;
    float* t = c;
    i64 ldt = ldc;
    if (nr < kNR) {
      if (!zero_start)
        for (int m = 0; m < mr; ++m)
          for (int j = 0; j < kNR; ++j) scratch[m * kNR + j] = j < nr ? c[m * ldc + j] : 0.0f;
      t = scratch, ldt = kNR;
    }
    dispatch_rows<kMR>(mr, [&](auto MR) {
      auto run = [&](const auto& a_op) {
        if (zero_start)
          tile_call<MR(), true>(a_op, B, ldb, kd, chunk, t, ldt);
        else
          tile_call<MR(), false>(a_op, B, ldb, kd, chunk, t, ldt);
      };
      if (am == 1)
        run(kernels::UnitRowsA<float>{a, ak});
      else
        run(kernels::StridedA<float>{a, am, ak});
    });
    if (nr < kNR)
      for (int m = 0; m < mr; ++m)
        for (i64 j = 0; j < nr; ++j) c[m * ldc + j] = scratch[m * kNR + j];
    m0 += mr;
  }
}

}  // namespace lockstep::cpu

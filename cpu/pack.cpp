// Why compiler vector extensions rather than intrinsics: the 8 x 8 transpose is three rounds of
// two-input shuffles (__builtin_shufflevector, which GCC >= 12 and clang both know), lowered to
// unpck/shufps/vperm2f128 on x86 and to zip/ext on ARM from one source; a scalar transposing
// copy cost as much as fc1's whole forward GEMM.
#include "cpu/pack.h"

#include <algorithm>
#include <cstring>
#include <type_traits>

#include "cpu/chain_tiles.h"

namespace lockstep::cpu {
namespace {

using v8f = float __attribute__((vector_size(32)));
using v8i = int __attribute__((vector_size(32)));

[[gnu::always_inline]] inline v8f load8(const float* p) {
  v8f v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
[[gnu::always_inline]] inline void store8(float* p, v8f v) { std::memcpy(p, &v, sizeof v); }

// r[i][j] -> r[j][i].
[[gnu::always_inline]] inline void transpose8x8(v8f r[8]) {
  v8f t[8], u[8];
  for (int k = 0; k < 8; k += 2) {
    t[k] = __builtin_shufflevector(r[k], r[k + 1], 0, 8, 1, 9, 4, 12, 5, 13);
    t[k + 1] = __builtin_shufflevector(r[k], r[k + 1], 2, 10, 3, 11, 6, 14, 7, 15);
  }
  for (int k = 0; k < 8; k += 4)
    for (int h = 0; h < 2; ++h) {
      u[k + 2 * h] = __builtin_shufflevector(t[k + h], t[k + h + 2], 0, 1, 8, 9, 4, 5, 12, 13);
      u[k + 2 * h + 1] = __builtin_shufflevector(t[k + h], t[k + h + 2], 2, 3, 10, 11, 6, 7, 14, 15);
    }
  for (int k = 0; k < 4; ++k) {
    r[k] = __builtin_shufflevector(u[k], u[k + 4], 0, 1, 2, 3, 8, 9, 10, 11);
    r[k + 4] = __builtin_shufflevector(u[k], u[k + 4], 4, 5, 6, 7, 12, 13, 14, 15);
  }
}

}  // namespace

void pack_panel(const float* src, i64 ld, i64 kd, i64 j0, i64 ncols, float* panel) {
  const i64 nr = std::min<i64>(kNR, ncols - j0);
  for (i64 kk = 0; kk < kd; ++kk) {
    const float* s = src + kk * ld + j0;
    float* d = panel + kk * kNR;
    for (i64 j = 0; j < nr; ++j) d[j] = s[j];
    for (i64 j = nr; j < kNR; ++j) d[j] = 0.0f;
  }
}

void pack_panel_transposed(const float* src, i64 ld, i64 kd, i64 j0, i64 ncols, float* panel) {
  const i64 nr = std::min<i64>(kNR, ncols - j0);
  const i64 kd8 = kd - kd % 8;
  // kk blocks outermost, so each block's kNR-wide panel rows are written whole and in order.
  for (i64 k0 = 0; k0 < kd8; k0 += 8)
    for (i64 jb = 0; jb < kNR; jb += 8) {
      const i64 rows = std::clamp<i64>(nr - jb, 0, 8);  // source rows j0+jb.. that exist
      const float* s = src + (j0 + jb) * ld + k0;
      v8f r[8];
      if (rows == 8)
        for (int j = 0; j < 8; ++j) r[j] = load8(s + j * ld);
      else
        for (int j = 0; j < 8; ++j) r[j] = j < rows ? load8(s + j * ld) : v8f{};
      transpose8x8(r);
      for (int kk = 0; kk < 8; ++kk) store8(panel + (k0 + kk) * kNR + jb, r[kk]);
    }
  for (i64 kk = kd8; kk < kd; ++kk)
    for (i64 j = 0; j < kNR; ++j) panel[kk * kNR + j] = j < nr ? src[(j0 + j) * ld + kk] : 0.0f;
}

void pack_row_tiles(const float* A, i64 a_m, i64 a_k, i64 M, i64 kd, float* dst) {
  static_assert(kMR <= 8, "a row tile must fit the 8 x 8 transpose");
  const i64 tiles = row_tile_count(M);
  for (i64 tile = 0, m0 = 0; tile < tiles; ++tile) {
    const int mr = row_tile_height(M, tiles, tile);
    const float* a = A + m0 * a_m;
    float* d = dst + m0 * kd;
    i64 kk = 0;
    if (a_k == 1)  // rows contiguous: 8 x 8 transposes, each kk's mr values stored as 8 that the next store overlaps
      for (; kk + 8 <= kd; kk += 8) {
        v8f r[8];
        for (int m = 0; m < 8; ++m) r[m] = m < mr ? load8(a + m * a_m + kk) : v8f{};
        transpose8x8(r);
        for (int j = 0; j < 8; ++j) store8(d + (kk + j) * mr, r[j]);
      }
    for (; kk < kd; ++kk)
      for (int m = 0; m < mr; ++m) d[kk * mr + m] = a[m * a_m + kk * a_k];
    m0 += mr;
  }
}

namespace {
// Source rows [r0, r0+8) into dst columns [r0, r0+8); rows past `rows` read as 0.
void transpose_row_block(const float* src, i64 ld_src, i64 rows, i64 r0, i64 cols, float* dst, i64 ld_dst) {
  const i64 live = std::clamp<i64>(rows - r0, 0, 8), cols8 = cols - cols % 8;
  for (i64 c0 = 0; c0 < cols8; c0 += 8) {
    v8f r[8];
    for (int j = 0; j < 8; ++j) r[j] = j < live ? load8(src + (r0 + j) * ld_src + c0) : v8f{};
    transpose8x8(r);
    for (int j = 0; j < 8; ++j) store8(dst + (c0 + j) * ld_dst + r0, r[j]);
  }
  for (i64 c = cols8; c < cols; ++c)
    for (i64 r = r0; r < r0 + 8; ++r) dst[c * ld_dst + r] = r < rows ? src[r * ld_src + c] : 0.0f;
}

// transpose_row_block for NB blocks of 8 rows from r0, column block by column block, adding
// each transposed vector onto its block's row sums: NB independent chains of additions, so
// that they overlap (one block's chain alone waited on the adder).
template <int NB>
void transpose_row_blocks_summing(const float* src, i64 ld_src, i64 rows, i64 r0, i64 cols, float* dst, i64 ld_dst,
                                  float* row_sums) {
  const i64 cols8 = cols - cols % 8;
  v8f sums[NB];
  for (int b = 0; b < NB; ++b) sums[b] = load8(row_sums + r0 + 8 * b);
  for (i64 c0 = 0; c0 < cols8; c0 += 8)
    for (int b = 0; b < NB; ++b) {
      const i64 rb = r0 + 8 * b, live = std::clamp<i64>(rows - rb, 0, 8);
      v8f r[8];
      for (int j = 0; j < 8; ++j) r[j] = j < live ? load8(src + (rb + j) * ld_src + c0) : v8f{};
      transpose8x8(r);
      for (int j = 0; j < 8; ++j) {
        store8(dst + (c0 + j) * ld_dst + rb, r[j]);
        sums[b] = sums[b] + r[j];
      }
    }
  for (int b = 0; b < NB; ++b) store8(row_sums + r0 + 8 * b, sums[b]);
  for (i64 c = cols8; c < cols; ++c)
    for (i64 r = r0; r < r0 + 8 * NB; ++r) {
      const float v = r < rows ? src[r * ld_src + c] : 0.0f;
      dst[c * ld_dst + r] = v;
      row_sums[r] = row_sums[r] + v;
    }
}
}  // namespace

void transpose(const float* src, i64 ld_src, i64 rows, i64 cols, float* dst, i64 ld_dst) {
  const i64 rows8 = rows - rows % 8;
  for (i64 r0 = 0; r0 < rows8; r0 += 8) transpose_row_block(src, ld_src, rows, r0, cols, dst, ld_dst);
  for (i64 r = rows8; r < rows; ++r)
    for (i64 c = 0; c < cols; ++c) dst[c * ld_dst + r] = src[r * ld_src + c];
}

void transpose_zero_padded(const float* src, i64 ld_src, i64 rows, i64 cols, float* dst, i64 ld_dst, i64 rows_out) {
  for (i64 r0 = 0; r0 < rows_out; r0 += 8) transpose_row_block(src, ld_src, rows, r0, cols, dst, ld_dst);
}

void transpose_zero_padded_summing(const float* src, i64 ld_src, i64 rows, i64 cols, float* dst, i64 ld_dst,
                                   i64 rows_out, float* row_sums) {
  constexpr i64 kBlocks = 4;  // 32 rows: four chains in flight and 4 of 16 vector registers
  for (i64 r0 = 0; r0 < rows_out; r0 += 8 * kBlocks) {
    const i64 blocks = std::min<i64>(kBlocks, (rows_out - r0) / 8);
    auto run = [&](auto nb) {
      transpose_row_blocks_summing<nb.value>(src, ld_src, rows, r0, cols, dst, ld_dst, row_sums);
    };
    if (blocks == 4) run(std::integral_constant<int, 4>{});
    else if (blocks == 3) run(std::integral_constant<int, 3>{});
    else if (blocks == 2) run(std::integral_constant<int, 2>{});
    else run(std::integral_constant<int, 1>{});
  }
}

}  // namespace lockstep::cpu

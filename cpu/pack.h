// Packing operands into the kNR-wide panels the chain tiles read (cpu/chain_tiles.h):
// copies only, never arithmetic, so a packed operand holds exactly the source's bits.
#pragma once

#include <cstring>

#include "kernels/shapes.h"

namespace lockstep::cpu {

using kernels::i64;

// panel[kk*kNR + j] = src[kk*ld + j0 + j] for j0+j < ncols, else 0; kk in [0, kd).
void pack_panel(const float* src, i64 ld, i64 kd, i64 j0, i64 ncols, float* panel);

// panel[kk*kNR + j] = src[(j0 + j)*ld + kk] for j0+j < ncols, else 0; kk in [0, kd):
// the transposing form (W^T from a row-major W), in 8 x 8 register blocks.
void pack_panel_transposed(const float* src, i64 ld, i64 kd, i64 j0, i64 ncols, float* panel);

// A(m, kk) = A[m*a_m + kk*a_k], m in [0, M), kk in [0, kd), copied row tile by row tile (as
// tile_rows in cpu/chain_tiles.h splits M) with each tile's rows side by side: tile rows
// [m0, m0+mr) at dst + m0*kd, A(m0+m, kk) at [kk*mr + m]. The tiles then broadcast from one
// stream at fixed offsets instead of mr strided ones (GCC ran out of registers for the strides
// and spilled). dst needs M*kd + 8 floats: the vector form overwrites up to 8 past its end.
void pack_row_tiles(const float* A, i64 a_m, i64 a_k, i64 M, i64 kd, float* dst);

// dst[0, n) = src[0, n) for the short runs of an image row, src and dst apart: whole 16- or
// 8-float blocks, the last one overlapping the one before, and no call. Why: std::copy_n of
// a row of 8 to 28 floats is a call to memmove, and the framing copies and the row stores of
// the direct convolutions made hundreds per sample (10% of conv1's forward pass).
template <int Block>
[[gnu::always_inline]] inline void copy_row_blocks(const float* src, i64 n, float* dst) {
  i64 i = 0;
  for (; i + Block <= n; i += Block) std::memcpy(dst + i, src + i, Block * sizeof(float));
  if (i < n) std::memcpy(dst + n - Block, src + n - Block, Block * sizeof(float));
}
inline void copy_row(const float* src, i64 n, float* dst) {
  if (n >= 16) return copy_row_blocks<16>(src, n, dst);  // constant sizes: a variable one
  if (n >= 8) return copy_row_blocks<8>(src, n, dst);    // became rep movs
  for (i64 i = 0; i < n; ++i) dst[i] = src[i];
}

// dst[c*ld_dst + r] = src[r*ld_src + c] for r in [0, rows), c in [0, cols).
void transpose(const float* src, i64 ld_src, i64 rows, i64 cols, float* dst, i64 ld_dst);

// The same, and dst[c*ld_dst + r] = 0 for r in [rows, rows_out), rows_out a multiple of 8:
// the zeros come from the same 8 x 8 blocks instead of a scalar tail and a separate fill.
void transpose_zero_padded(const float* src, i64 ld_src, i64 rows, i64 cols, float* dst, i64 ld_dst, i64 rows_out);
// transpose_zero_padded that also adds each source row's values, in column order, onto
// row_sums[r] (rows_out entries, a multiple of 8; rows past `rows` add zeros): a chain of
// additions per row, continued from the caller's value.
void transpose_zero_padded_summing(const float* src, i64 ld_src, i64 rows, i64 cols, float* dst, i64 ld_dst,
                                   i64 rows_out, float* row_sums);

}  // namespace lockstep::cpu

// The CPU's copying helpers (cpu/pack.h) against their one-line definitions, on sizes with
// ragged 8 x 8 blocks on every side. They move bits and never compute, so equality is exact.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "cpu/chain_tiles.h"
#include "cpu/pack.h"

namespace lockstep::cpu {
namespace {

// Distinct values, so a misplaced element cannot match by accident.
std::vector<float> numbered(i64 n) {
  std::vector<float> v(static_cast<size_t>(n));
  for (i64 i = 0; i < n; ++i) v[size_t(i)] = static_cast<float>(i + 1);
  return v;
}

constexpr float kUntouched = -7.0f;

TEST(Pack, TransposeWritesExactlyTheTransposedBlock) {
  for (i64 rows : {1, 7, 8, 10, 17})
    for (i64 cols : {1, 8, 9, 24, 30}) {
      const i64 ld_src = cols + 3, ld_dst = rows + 5;
      const std::vector<float> src = numbered(rows * ld_src);
      std::vector<float> dst(static_cast<size_t>(cols * ld_dst), kUntouched);
      transpose(src.data(), ld_src, rows, cols, dst.data(), ld_dst);
      for (i64 c = 0; c < cols; ++c)
        for (i64 r = 0; r < ld_dst; ++r)
          ASSERT_EQ(dst[size_t(c * ld_dst + r)], r < rows ? src[size_t(r * ld_src + c)] : kUntouched)
              << "rows=" << rows << " cols=" << cols << " at c=" << c << " r=" << r;
    }
}

TEST(Pack, TransposeZeroPaddedFillsZerosUpToRowsOut) {
  for (i64 rows : {1, 7, 8, 10, 20})
    for (i64 cols : {1, 8, 12, 64, 67}) {
      const i64 rows_out = (rows + 7) / 8 * 8 + 8, ld_src = cols + 1, ld_dst = rows_out + 3;
      const std::vector<float> src = numbered(rows * ld_src);
      std::vector<float> dst(static_cast<size_t>(cols * ld_dst), kUntouched);
      transpose_zero_padded(src.data(), ld_src, rows, cols, dst.data(), ld_dst, rows_out);
      for (i64 c = 0; c < cols; ++c)
        for (i64 r = 0; r < ld_dst; ++r) {
          const float want = r < rows ? src[size_t(r * ld_src + c)] : (r < rows_out ? 0.0f : kUntouched);
          ASSERT_EQ(dst[size_t(c * ld_dst + r)], want) << "rows=" << rows << " cols=" << cols << " at c=" << c
                                                       << " r=" << r;
        }
    }
}

TEST(Pack, PanelsHoldTheSourceAndZerosPastItsColumns) {
  for (i64 kd : {1, 8, 13})
    for (i64 ncols : {5, kNR, kNR + 3}) {
      const i64 ld = ncols + 2;
      const std::vector<float> rows_major = numbered(kd * ld), cols_major = numbered(ncols * (kd + 1));
      std::vector<float> panel(static_cast<size_t>(kd * kNR)), panel_t(static_cast<size_t>(kd * kNR));
      for (i64 j0 = 0; j0 < ncols; j0 += kNR) {
        pack_panel(rows_major.data(), ld, kd, j0, ncols, panel.data());
        pack_panel_transposed(cols_major.data(), kd + 1, kd, j0, ncols, panel_t.data());
        for (i64 kk = 0; kk < kd; ++kk)
          for (i64 j = 0; j < kNR; ++j) {
            const bool in = j0 + j < ncols;
            ASSERT_EQ(panel[size_t(kk * kNR + j)], in ? rows_major[size_t(kk * ld + j0 + j)] : 0.0f);
            ASSERT_EQ(panel_t[size_t(kk * kNR + j)], in ? cols_major[size_t((j0 + j) * (kd + 1) + kk)] : 0.0f);
          }
      }
    }
}

}  // namespace
}  // namespace lockstep::cpu

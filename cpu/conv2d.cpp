// CPU conv2d, deterministic: register-blocked chain tiles (kernels/conv2d.h, Note [Chain
// tiles]). At stride 1 (every layer of the reference CNN) no panel is packed: the forward and
// backward-data tiles read a zero-framed copy of each sample's x or dy (backward data: while
// the padding is below the kernel size), and the weight gradient reads x in place through tap
// offsets (a zero-framed copy when padded) with dy transposed once. Other cases pack
// im2col-style panels and run the tiles on those. Every output's chain is the canonical one
// of kernels/conv2d.h, vectorised only across independent outputs. Threads take whole
// samples, (sample, panel) items or whole batch chunks, so results do not depend on the
// thread count. Zero taps, packed or framed, can only flip the sign of an output that is
// exactly zero (Note [Zero taps]): such outputs are recomputed with the element form. With
// non-finite multipliers the row forms run instead. See docs/ordering.md#conv2d-forward.
#include <algorithm>
#include <utility>
#include <vector>

#include "cpu/chain_tiles.h"
#include "cpu/kernels.h"
#include "cpu/pack.h"
#include "cpu/parallel.h"
#include "cpu/scratch.h"
#include "kernels/conv2d.h"

namespace lockstep::cpu {
namespace k = lockstep::kernels;
namespace {

i64 panels_for(i64 cols) { return (cols + kNR - 1) / kNR; }

void conv2d_fwd_rows(const float* x, const float* w, const float* b, float* y, const Conv2dGeom& g) {
  parallel_for(g.N * g.K * g.P, 4, [&](i64 lo, i64 hi) {
    for (i64 row = lo; row < hi; ++row) {
      const i64 p = row % g.P, kk = (row / g.P) % g.K, n = row / (g.P * g.K);
      k::conv2d_fwd_row(x, w, b, g, n, kk, p, y + k::conv_y_index(g, n, kk, p, 0));
    }
  });
}

void conv2d_bwd_data_rows(const float* dy, const float* w, float* dx, const Conv2dGeom& g) {
  parallel_for(g.N * g.C * g.H, 4, [&](i64 lo, i64 hi) {
    for (i64 row = lo; row < hi; ++row) {
      const i64 h = row % g.H, c = (row / g.H) % g.C, n = row / (g.H * g.C);
      k::conv2d_bwd_data_row(dy, w, g, n, c, h, dx + k::conv_x_index(g, n, c, h, 0));
    }
  });
}

void conv2d_bwd_weight_rows(const float* dy, const float* x, float* dw, float* db, const Conv2dGeom& g) {
  const i64 chunks = k::num_chunks(g.N, k::kBatchChunk);
  const i64 taps = g.R * g.S;
  parallel_for(g.K * g.C + g.K, 1, [&](i64 lo, i64 hi) {
    std::vector<float> part(static_cast<size_t>(taps));
    for (i64 item = lo; item < hi; ++item) {
      if (item >= g.K * g.C) {
        const i64 kk = item - g.K * g.C;
        if (db) db[kk] = k::conv2d_bwd_bias_elem(dy, g, kk);
        continue;
      }
      const i64 kk = item / g.C, c = item % g.C;
      float* out = dw + k::conv_w_index(g, kk, c, 0, 0);
      for (i64 t = 0; t < taps; ++t) out[t] = 0.0f;
      for (i64 j = 0; j < chunks; ++j) {
        k::conv2d_bwd_weight_chunk_rs(dy, x, g, j, kk, c, part.data());
        for (i64 t = 0; t < taps; ++t) out[t] = out[t] + part[static_cast<size_t>(t)];
      }
    }
  });
}

// Rows k0..k0+MR of sample n's output over the framed plane: yw[k*ldy + p*Wp + q], NR
// consecutive positions per tile, tap kk of every lane reading xp + i0 + off[kk] (see
// kernels::conv2d_fwd_s1_offsets). A tile runs on across image rows, so a narrow output
// (conv2's 8 columns) still fills 16 lanes; positions with q >= Q are the frame's columns, not
// outputs, and the caller drops them. Zero outputs are repaired by the caller (Note [Zero taps]).
template <int MR, int NR>
void fwd_s1_block(const float* xp, const i64* off, const float* w, const float* b, const Conv2dGeom& g, i64 k0,
                  float* yw, i64 ldy) {
  const i64 crs = g.C * g.R * g.S;
  for (int m = 0; m < MR; ++m) std::fill_n(yw + (k0 + m) * ldy, ldy, b[k0 + m]);
  for (i64 i0 = 0; i0 < ldy; i0 += NR)
    chain_tile_call<MR, NR>(k::StridedA<float>{w + k0 * crs, crs, 1}, k::IndexedB<float>{xp + i0, off}, crs,
                            yw + k0 * ldy + i0, ldy);
}

// Stride 1: direct tiles over a zero-framed copy of each sample's x, NR positions of the
// framed plane per tile. The frame's S-1 extra columns per row cost (S-1)/Wp of the lanes:
// 14% at conv1, a third at conv2, against 25% and half a 16-lane register with tiles that
// stopped at each row's end.
void conv2d_fwd_s1(const float* x, const float* w, const float* b, float* y, const Conv2dGeom& g) {
  constexpr int nr = kConvColsNR;
  const i64 Hp = g.H + 2 * g.pad, Wp = g.W + 2 * g.pad;
  // The last tile reads up to nr - 1 positions past the frame's rows, plus the taps' reach.
  const i64 framed = g.C * Hp * Wp + nr + g.S;
  std::vector<i64> off(static_cast<size_t>(g.C * g.R * g.S));
  k::conv2d_fwd_s1_offsets(g, Hp, Wp, off.data());
  const i64 mr = even_block_rows(g.K, kConvColsMR);
  const i64 ldy = (g.P * Wp + nr - 1) / nr * nr;  // whole tiles over the framed rows 0..P-1
  parallel_for(g.N, 1, [&](i64 lo, i64 hi) {
    std::vector<float> xp(static_cast<size_t>(framed), 0.0f), yw(static_cast<size_t>(g.K * ldy));
    for (i64 n = lo; n < hi; ++n) {
      // Without padding the framed plane is x itself; the tiles' reads past the sample land
      // in the next one (dropped lanes), so only the last sample needs the copy's slack.
      const float* xs = x + k::conv_x_index(g, n, 0, 0, 0);
      if (g.pad != 0 || n + 1 == g.N) {
        for (i64 c = 0; c < g.C; ++c)
          for (i64 h = 0; h < g.H; ++h)
            copy_row(x + k::conv_x_index(g, n, c, h, 0), g.W, xp.data() + (c * Hp + h + g.pad) * Wp + g.pad);
        xs = xp.data();
      }
      for (i64 k0 = 0; k0 < g.K; k0 += mr)
        dispatch_rows<kConvColsMR>(std::min<i64>(mr, g.K - k0), [&](auto MR) {
          fwd_s1_block<MR.value, nr>(xs, off.data(), w, b, g, k0, yw.data(), ldy);
        });
      float* yn = y + k::conv_y_index(g, n, 0, 0, 0);
      for (i64 kk = 0; kk < g.K; ++kk)
        for (i64 p = 0; p < g.P; ++p) copy_row(yw.data() + kk * ldy + p * Wp, g.Q, yn + (kk * g.P + p) * g.Q);
      if (g.pad == 0) continue;  // without padding no tap is skipped, so nothing can differ
      for (i64 kk = 0; kk < g.K; ++kk)
        for (i64 i = 0; i < g.P * g.Q; ++i)
          if (yn[kk * g.P * g.Q + i] == 0.0f) yn[kk * g.P * g.Q + i] = k::conv2d_fwd_elem(x, w, b, g, n, kk, i / g.Q, i % g.Q);
    }
  });
}

// Without padding: plane (c, s) of conv2d_fwd_s1_shifted, row h = x[c, h, s .. s+Q). Rows of
// up to 16 floats copy with the width known at compile time: as a run-time count, the index
// arithmetic around conv2's 8-float rows took a third of the forward pass.
template <int Q>
void fill_shifted_planes_q(const float* xn, const Conv2dGeom& g, float* xs) {
  for (i64 c = 0; c < g.C; ++c)
    for (i64 sx = 0; sx < g.S; ++sx) {
      const float* src = xn + c * g.H * g.W + sx;
      float* dst = xs + (c * g.S + sx) * g.H * Q;
      for (i64 h = 0; h < g.H; ++h)
        for (int q = 0; q < Q; ++q) dst[h * Q + q] = src[h * g.W + q];
    }
}
void fill_shifted_planes(const float* xn, const Conv2dGeom& g, float* xs) {
  if (g.Q <= 16) return dispatch_rows<16>(g.Q, [&](auto Q) { fill_shifted_planes_q<Q.value>(xn, g, xs); });
  for (i64 c = 0; c < g.C; ++c)
    for (i64 sx = 0; sx < g.S; ++sx)
      for (i64 h = 0; h < g.H; ++h)
        copy_row(xn + (c * g.H + h) * g.W + sx, g.Q, xs + ((c * g.S + sx) * g.H + h) * g.Q);
}

// conv2d_fwd_s1_shifted where the S-1 columns past Q are at least 1/kShiftedPlanesWaste of a
// row. Measured on one thread (conv2d_bench, batch 256), against conv2d_fwd_s1: conv2 of the
// reference CNN (4 extra columns of 12) 1660 -> 1157 us, conv1 (4 of 28) 829 -> 726 us. A
// 32x32 layer with pad 1 (2 of 34), through a padded form of the copy, ran 17% slower; padded
// layers keep conv2d_fwd_s1.
constexpr i64 kShiftedPlanesWaste = 8;

// Stride 1 without padding, over column-shifted planes: xs[((c*S + s)*H + h)*Q + q] =
// x[c, h, q + s], Q columns wide, so that output position p*Q + q of tap (c, r, s) reads
// xs[((c*S + s)*H + r)*Q + p*Q + q]: consecutive positions are consecutive floats across output
// rows, and every lane of a tile is an output, where conv2d_fwd_s1 also computes the S-1
// columns per row past Q. The copy is S times x; each output is still the chain of
// conv2d_fwd_elem. The caller chooses it where those columns are many (kShiftedPlanesWaste).
void conv2d_fwd_s1_shifted(const float* x, const float* w, const float* b, float* y, const Conv2dGeom& g) {
  constexpr int nr = kConvColsNR;
  const i64 pq = g.P * g.Q, crs = g.C * g.R * g.S;
  const i64 ldy = (pq + nr - 1) / nr * nr;  // the last tile reads up to nr - 1 positions past pq
  std::vector<i64> off(static_cast<size_t>(crs));
  for (i64 c = 0; c < g.C; ++c)
    for (i64 r = 0; r < g.R; ++r)
      for (i64 sx = 0; sx < g.S; ++sx)
        off[static_cast<size_t>((c * g.R + r) * g.S + sx)] = ((c * g.S + sx) * g.H + r) * g.Q;
  const i64 mr = even_block_rows(g.K, kConvColsMR);
  parallel_for(g.N, 1, [&](i64 lo, i64 hi) {
    std::vector<float> xs(static_cast<size_t>(g.C * g.S * g.H * g.Q + nr), 0.0f);
    std::vector<float> yw(ldy == pq ? 0 : static_cast<size_t>(g.K * ldy));
    for (i64 n = lo; n < hi; ++n) {
      fill_shifted_planes(x + k::conv_x_index(g, n, 0, 0, 0), g, xs.data());
      float* yn = y + k::conv_y_index(g, n, 0, 0, 0);
      float* out = ldy == pq ? yn : yw.data();  // whole tiles write y in place
      for (i64 k0 = 0; k0 < g.K; k0 += mr)
        dispatch_rows<kConvColsMR>(std::min<i64>(mr, g.K - k0), [&](auto MR) {
          for (int m = 0; m < MR.value; ++m) std::fill_n(out + (k0 + m) * ldy, ldy, b[k0 + m]);
          for (i64 i0 = 0; i0 < ldy; i0 += nr)
            chain_tile_call<MR.value, nr>(k::StridedA<float>{w + k0 * crs, crs, 1},
                                          k::IndexedB<float>{xs.data() + i0, off.data()}, crs,
                                          out + k0 * ldy + i0, ldy);
        });
      if (out != yn)
        for (i64 kk = 0; kk < g.K; ++kk) copy_row(yw.data() + kk * ldy, pq, yn + kk * pq);
    }
  });
}

// The taps of backward-data rows whose kernel rows r lie in [r_lo, r_hi]: the canonical
// (k, r, s) order with the other kernel rows left out, as conv2d_bwd_data_elem leaves them
// out. off and wt are the full lists' entries at the kept taps.
struct RowTaps {
  i64 r_lo = 0, r_hi = -1;
  std::vector<i64> off;
  std::vector<float> wt;  // wt[kk*C + c]
  i64 count() const { return static_cast<i64>(off.size()); }
};

// Per output row h, the kernel rows whose dy row exists (ph = h + pad - r in [0, P)), and one
// tap list per distinct range. Why: at the reference CNN's conv2 a third of a row's taps read
// the frame above or below dy, zeros that the framed form multiplied anyway.
struct BwdDataRowTaps {
  std::vector<RowTaps> sets;
  std::vector<i64> set_of_row;  // by h
};

BwdDataRowTaps bwd_data_row_taps(const Conv2dGeom& g, const std::vector<i64>& off, const std::vector<float>& wt) {
  BwdDataRowTaps t;
  const i64 rs = g.R * g.S;
  for (i64 h = 0; h < g.H; ++h) {
    const i64 r_lo = std::max<i64>(0, h + g.pad - g.P + 1), r_hi = std::min<i64>(g.R - 1, h + g.pad);
    auto same = [&](const RowTaps& s) { return s.r_lo == r_lo && s.r_hi == r_hi; };
    auto it = std::find_if(t.sets.begin(), t.sets.end(), same);
    if (it == t.sets.end()) {
      RowTaps s{r_lo, r_hi, {}, {}};
      for (i64 kk = 0; kk < g.K; ++kk)
        for (i64 r = r_lo; r <= r_hi; ++r)
          for (i64 sx = 0; sx < g.S; ++sx) {
            const i64 tap = kk * rs + r * g.S + sx;
            s.off.push_back(off[static_cast<size_t>(tap)]);
            s.wt.insert(s.wt.end(), wt.begin() + tap * g.C, wt.begin() + (tap + 1) * g.C);
          }
      t.sets.push_back(std::move(s));
      it = t.sets.end() - 1;
    }
    t.set_of_row.push_back(it - t.sets.begin());
  }
  return t;
}

// Runs [k0, k1) of dy channels that are not all zeros in one sample, in order.
using ChannelRuns = std::vector<std::pair<i64, i64>>;

// The runs of sample dyn's channels that hold a nonzero value. Why: dropout2d zeroes whole
// channels (half of conv2's at the reference CNN's p = 0.5), and every tap of such a channel
// adds w * (+-0); leaving those taps out changes at most the sign of a zero output, which the
// caller repairs (Note [Zero taps]: an exact zero product is what a framed zero tap adds, so
// leaving one out is the same case read backwards).
void nonzero_channel_runs(const float* dyn, const Conv2dGeom& g, ChannelRuns& runs) {
  runs.clear();
  const i64 pq = g.P * g.Q;
  for (i64 kk = 0; kk < g.K; ++kk) {
    const float* plane = dyn + kk * pq;
    i64 nonzero = 0;  // counted so that the scan vectorises
    for (i64 i = 0; i < pq; ++i) nonzero += plane[i] != 0.0f ? 1 : 0;
    if (nonzero == 0) continue;
    if (!runs.empty() && runs.back().second == kk)
      runs.back().second = kk + 1;
    else
      runs.emplace_back(kk, kk + 1);
  }
}

// Each row's taps are (k, r, s) with k outermost, so one run of channels is one contiguous
// stretch of the list; the tile carries its chains from one stretch to the next in memory,
// which rounds nothing.
template <int MR>
void bwd_data_s1_block(const float* dyp, i64 Wp, const BwdDataRowTaps& taps, const ChannelRuns& runs,
                       const Conv2dGeom& g, i64 c0, float* dxn) {
  for (i64 h = 0; h < g.H; ++h) {
    const RowTaps& t = taps.sets[static_cast<size_t>(taps.set_of_row[static_cast<size_t>(h)])];
    const i64 per_channel = t.count() / g.K;
    for (i64 w0 = 0; w0 < g.W; w0 += kConvColsNR) {
      float tile[MR * kConvColsNR] = {};
      for (const auto& [k0, k1] : runs) {
        const i64 first = k0 * per_channel;
        chain_tile_call<MR, kConvColsNR>(k::StridedA<float>{t.wt.data() + first * g.C + c0, 1, g.C},
                                         k::IndexedB<float>{dyp + h * Wp + w0, t.off.data() + first},
                                         (k1 - k0) * per_channel, tile, kConvColsNR);
      }
      const i64 nw = std::min<i64>(kConvColsNR, g.W - w0);
      for (int m = 0; m < MR; ++m) copy_row(tile + m * kConvColsNR, nw, dxn + ((c0 + m) * g.H + h) * g.W + w0);
    }
  }
}

// Image rows [h0, h0+MR) of channel c: with few channels (conv1's C = 1) a tile of channels
// would be one dependent chain per register, four cycles per multiply-add; rows of the image
// are as independent, and share every factor A(kk) = wt[kk*C + c].
template <int MR>
void bwd_data_s1_rows_block(const float* dyp, i64 Wp, const i64* off, const float* wt, const Conv2dGeom& g, i64 c,
                            i64 h0, float* dxn) {
  const i64 krs = g.K * g.R * g.S;
  for (i64 w0 = 0; w0 < g.W; w0 += kConvColsNR) {
    float tile[MR * kConvColsNR];
    chain_tile_call<MR, kConvColsNR, false, true>(k::SharedA<float>{wt + c, g.C},
                                                  k::OffsetRowsB<float>{dyp + h0 * Wp + w0, off, Wp}, krs, tile,
                                                  kConvColsNR);
    const i64 nw = std::min<i64>(kConvColsNR, g.W - w0);
    for (int m = 0; m < MR; ++m) std::copy_n(tile + m * kConvColsNR, nw, dxn + (c * g.H + h0 + m) * g.W + w0);
  }
}
constexpr i64 kFewChannels = 4;

// Whether every dy that output (h, x) of one sample's backward data reads at stride 1 is +-0.
// Then the canonical chain adds only +-0 products to its +0 start and ends at +0, as the framed
// tiles do, so an exactly zero output needs no fix-up. Why ask: dy behind max pooling and
// dropout is mostly zeros, and the fix-ups of the zero outputs this leaves at the image's
// edges cost a quarter of the pass at batch 32.
bool bwd_data_reads_only_zeros(const float* dyn, const Conv2dGeom& g, i64 h, i64 x) {
  const i64 p0 = std::max<i64>(0, h + g.pad - g.R + 1), p1 = std::min<i64>(g.P - 1, h + g.pad);
  const i64 q0 = std::max<i64>(0, x + g.pad - g.S + 1), q1 = std::min<i64>(g.Q - 1, x + g.pad);
  for (i64 kk = 0; kk < g.K; ++kk)
    for (i64 p = p0; p <= p1; ++p)
      for (i64 q = q0; q <= q1; ++q)
        if (dyn[(kk * g.P + p) * g.Q + q] != 0.0f) return false;
  return true;
}

// Stride 1 (every layer of the reference CNN): direct tiles over a zero-framed copy of each
// sample's dy, so no im2col panel is packed. Tiles of channels leave out, per output row, the
// kernel rows that fall outside dy (bwd_data_row_taps); the taps outside dy's columns read
// frame zeros (Note [Zero taps]).
void conv2d_bwd_data_s1(const float* dy, const float* w, float* dx, const Conv2dGeom& g) {
  const i64 rs = g.R * g.S;
  std::vector<float> wt(static_cast<size_t>(g.K * rs * g.C));  // wt[(k,r,s)][c] = w[k,c,r,s]
  for (i64 kk = 0; kk < g.K; ++kk)
    for (i64 c = 0; c < g.C; ++c)
      for (i64 t = 0; t < rs; ++t) wt[static_cast<size_t>((kk * rs + t) * g.C + c)] = w[(kk * g.C + c) * rs + t];
  const i64 oh = g.R - 1 - g.pad, ow = g.S - 1 - g.pad;
  const i64 Hp = g.H + g.R - 1, Wp = (g.W + kConvColsNR - 1) / kConvColsNR * kConvColsNR + g.S - 1;
  std::vector<i64> off(static_cast<size_t>(g.K * rs));
  k::conv2d_bwd_data_s1_offsets(g, Hp, Wp, off.data());
  // Note [Tiny factors]: without tiny factors no output can be -0, so the fix-up is skipped.
  const bool fix_zeros =
      !k::conv2d_no_tiny_factors(dy, g.N * g.K * g.P * g.Q) || !k::conv2d_no_tiny_factors(w, g.K * g.C * rs);
  const i64 mr = even_block_rows(g.C, kConvColsMR);
  constexpr signed char kUnknown = -1;
  const BwdDataRowTaps row_taps = g.C < kFewChannels ? BwdDataRowTaps{} : bwd_data_row_taps(g, off, wt);
  parallel_for(g.N, 1, [&](i64 lo, i64 hi) {
    std::vector<float> dyp(static_cast<size_t>(g.K * Hp * Wp), 0.0f);
    std::vector<signed char> only_zeros(fix_zeros ? static_cast<size_t>(g.H * g.W) : 0);  // by (h, x)
    ChannelRuns runs{{0, g.K}};
    for (i64 n = lo; n < hi; ++n) {
      // A channel left out is never read: its frame keeps what an earlier sample left there.
      if (g.C >= kFewChannels) nonzero_channel_runs(dy + k::conv_y_index(g, n, 0, 0, 0), g, runs);
      for (const auto& [k0, k1] : runs)
        for (i64 kk = k0; kk < k1; ++kk)
          for (i64 p = 0; p < g.P; ++p)
            copy_row(dy + k::conv_y_index(g, n, kk, p, 0), g.Q, dyp.data() + (kk * Hp + p + oh) * Wp + ow);
      float* dxn = dx + k::conv_x_index(g, n, 0, 0, 0);
      if (g.C < kFewChannels) {
        const i64 htiles = row_tile_count(g.H, kConvColsMR);
        for (i64 c = 0; c < g.C; ++c)
          for (i64 t = 0, h0 = 0; t < htiles; ++t) {
            const i64 rows = row_tile_height(g.H, htiles, t);
            dispatch_rows<kConvColsMR>(rows, [&](auto MR) {
              bwd_data_s1_rows_block<MR.value>(dyp.data(), Wp, off.data(), wt.data(), g, c, h0, dxn);
            });
            h0 += rows;
          }
      } else {
        for (i64 c0 = 0; c0 < g.C; c0 += mr) {
          dispatch_rows<kConvColsMR>(std::min<i64>(mr, g.C - c0), [&](auto MR) {
            bwd_data_s1_block<MR.value>(dyp.data(), Wp, row_taps, runs, g, c0, dxn);
          });
        }
      }
      if (!fix_zeros) continue;
      std::fill(only_zeros.begin(), only_zeros.end(), kUnknown);
      const float* dyn = dy + k::conv_y_index(g, n, 0, 0, 0);
      for (i64 c = 0; c < g.C; ++c)
        for (i64 h = 0; h < g.H; ++h)
          for (i64 x = 0; x < g.W; ++x) {
            float& v = dxn[(c * g.H + h) * g.W + x];
            if (v != 0.0f) continue;
            signed char& z = only_zeros[static_cast<size_t>(h * g.W + x)];
            if (z == kUnknown) z = bwd_data_reads_only_zeros(dyn, g, h, x);
            if (!z) v = k::conv2d_bwd_data_elem<float, 1>(dy, w, g, n, c, h, x);  // stride 1 here
          }
    }
  });
}

// Batch chunk j's partials of rows [m0, m0+MR) of dw viewed as (c,r,s) x k, all output
// channels NR at a time: part[m*ld + k], each the chunk's chain from +0; see
// kernels::conv2d_bwd_weight_s1_offsets for the operands.
// chunk_dyT: the chunk's rows of dyT, its first row first.
template <int MR, int NR>
void bwd_weight_s1_partials(const float* x, const i64* base, const i64* off, const float* chunk_dyT, i64 ld,
                            const Conv2dGeom& g, i64 m0, i64 j, float* part) {
  const i64 pq = g.P * g.Q, kk0 = j * k::kBatchChunk * pq, len = k::chunk_end(j, g.N) * pq - kk0;
  k::GatheredA<float, MR> a{x, off + kk0, {}};
  std::copy_n(base + m0, MR, a.base);
  for (i64 t = 0; t < ld / NR; ++t)
    chain_tile_call<MR, NR, false, true>(a, k::StridedB<float>{chunk_dyT + t * NR, ld}, len,
                                         part + m0 * ld + t * NR, ld);
}

// Above this size of dyT (this machine's L2 holds 1 MiB), and with at least two chunks per
// thread, each thread transposes one batch chunk of dy at a time into its own buffer and runs
// all of that chunk's tiles while the buffer is in cache; transposing the whole batch first
// wrote, then read back, 9.4 MB for conv1 at batch 256. Measured side by side (step_profile,
// batch 256, 2 threads): the step's weight gradients 2.14 -> 1.70 ms. Below it, the whole
// transposition stays ahead: per chunk, conv2 at batch 32 ran 15% slower on 2 threads.
constexpr i64 kConvDyTCacheBytes = i64{4} << 20;

// Stride 1 without padding (both layers of the reference CNN): x is read in place through
// tap offsets, and dy transposed so that output channels lie along the vector lanes.
void conv2d_bwd_weight_s1(const float* dy, const float* x, float* dw, float* db, const Conv2dGeom& g) {
  const i64 crs = g.C * g.R * g.S, pq = g.P * g.Q, npq = g.N * pq;
  // Output channels that need more than one kConvNR vector take kNR-wide tiles: half as many
  // broadcasts of x per multiply-add (on one thread, 32->64 channels ran 1.45x faster, and the
  // reference CNN's 10->20 1.3x, with the same lanes wasted); up to kConvNR take kConvNR-wide
  // ones, wasting fewer lanes.
  constexpr bool has_wide = kConvWideWeightMR > 0;
  const bool wide = has_wide && g.K > kConvNR;
  const i64 nr = wide ? kNR : kConvNR, max_rows = wide ? kConvWideWeightMR : kConvMR;
  const i64 ld = (g.K + nr - 1) / nr * nr;
  // dyT[(n,p,q)*ld + k] = dy[n,k,p,q], 0 for k >= K, by 8 x 8 blocks. With a bias, the copy of
  // a chunk also runs the chunk's bias chain (part[k] = 0 + dy[n0,k,0,0] + ..., the chunk chain
  // of conv2d_bwd_bias_elem, in (n, p, q) order): a separate pass read dyT again from memory.
  const i64 chunks = k::num_chunks(g.N, k::kBatchChunk);
  float* bias_parts = scratch(Scratch::kConvBiasParts, db ? chunks * ld : 0);
  const auto dy_sample = [&](i64 n) { return dy + k::conv_y_index(g, n, 0, 0, 0); };
  // Chunk j's rows of dyT into chunk_dyT, and with a bias the chunk's bias chains.
  const auto transpose_chunk = [&](i64 j, float* chunk_dyT) {
    const i64 n0 = j * k::kBatchChunk;
    if (db) std::fill_n(bias_parts + j * ld, ld, 0.0f);
    for (i64 n = n0; n < k::chunk_end(j, g.N); ++n) {
      float* rows = chunk_dyT + (n - n0) * pq * ld;
      if (db)
        transpose_zero_padded_summing(dy_sample(n), pq, g.K, pq, rows, ld, ld, bias_parts + j * ld);
      else
        transpose_zero_padded(dy_sample(n), pq, g.K, pq, rows, ld, ld);
    }
  };
  std::vector<i64> base(static_cast<size_t>(crs)), off(static_cast<size_t>(npq));
  k::conv2d_bwd_weight_s1_offsets(g, base.data(), off.data());
  const i64 mr = even_block_rows(crs, max_rows);
  const i64 mtiles = (crs + mr - 1) / mr;
  // Chunk j's partials at j*crs*ld, every one written below before it is read. Reused scratch:
  // a fresh vector cost its zero fill and page faults on every call (1 MB for conv2 at batch 256).
  float* parts = scratch(Scratch::kConvWeightParts, chunks * crs * ld);
  const auto partials = [&](i64 j, i64 tile, const float* chunk_dyT) {
    const i64 m0 = tile * mr, rows = std::min<i64>(mr, crs - m0);
    float* part = parts + j * crs * ld;
    if constexpr (has_wide) {
      if (wide) {
        dispatch_rows<kConvWideWeightMR>(rows, [&](auto MR) {
          bwd_weight_s1_partials<MR.value, kNR>(x, base.data(), off.data(), chunk_dyT, ld, g, m0, j, part);
        });
        return;
      }
    }
    dispatch_rows<kConvMR>(rows, [&](auto MR) {
      bwd_weight_s1_partials<MR.value, kConvNR>(x, base.data(), off.data(), chunk_dyT, ld, g, m0, j, part);
    });
  };
  if (npq * ld * static_cast<i64>(sizeof(float)) > kConvDyTCacheBytes && chunks >= 2 * num_threads()) {
    // Threads take whole chunks, each transposed into the thread's own buffer just before its tiles.
    parallel_for(chunks, 1, [&](i64 lo, i64 hi) {
      float* chunk_dyT = scratch(Scratch::kConvDyT, k::kBatchChunk * pq * ld);
      for (i64 j = lo; j < hi; ++j) {
        transpose_chunk(j, chunk_dyT);
        for (i64 tile = 0; tile < mtiles; ++tile) partials(j, tile, chunk_dyT);
      }
    });
  } else {
    // Few chunks: dy is transposed whole, in parallel (done serially, this copy kept the second
    // thread idle for most of conv1's pass), and threads take (chunk, row block) items: with
    // whole chunks, conv1's 25 rows made 3 items per chunk and the second thread ran one of
    // them. With a bias the copy goes by chunk (the bias chains); without, by sample, which
    // splits a batch of one chunk too.
    float* dyT = scratch(Scratch::kConvDyT, npq * ld);
    if (db)
      parallel_for(chunks, 1, [&](i64 lo, i64 hi) {
        for (i64 j = lo; j < hi; ++j) transpose_chunk(j, dyT + j * k::kBatchChunk * pq * ld);
      });
    else
      parallel_for(g.N, 1, [&](i64 lo, i64 hi) {
        for (i64 n = lo; n < hi; ++n) transpose_zero_padded(dy_sample(n), pq, g.K, pq, dyT + n * pq * ld, ld, ld);
      });
    parallel_for(chunks * mtiles, 1, [&](i64 lo, i64 hi) {
      for (i64 item = lo; item < hi; ++item) {
        const i64 j = item / mtiles;
        partials(j, item % mtiles, dyT + j * k::kBatchChunk * pq * ld);
      }
    });
  }
  if (db) {  // db[k] = 0 + part_0 + part_1 + ... in chunk order (kernels::conv2d_bwd_bias_elem)
    for (i64 kk = 0; kk < g.K; ++kk) db[kk] = 0.0f;
    for (i64 j = 0; j < chunks; ++j)
      for (i64 kk = 0; kk < g.K; ++kk) db[kk] = db[kk] + bias_parts[j * ld + kk];
  }
  // dw[k, m] = 0 + part_0 + part_1 + ... in chunk order (kernels::conv2d_bwd_weight_elem).
  parallel_for(crs, 8, [&](i64 lo, i64 hi) {
    std::vector<float> total(static_cast<size_t>(ld));
    for (i64 m = lo; m < hi; ++m) {
      std::fill(total.begin(), total.end(), 0.0f);
      for (i64 j = 0; j < chunks; ++j) {
        const float* p = parts + (j * crs + m) * ld;
        for (i64 kk = 0; kk < ld; ++kk) total[size_t(kk)] = total[size_t(kk)] + p[kk];
      }
      for (i64 kk = 0; kk < g.K; ++kk) dw[kk * crs + m] = total[size_t(kk)];
    }
  });
}

}  // namespace

void conv2d_fwd_det(const float* x, const float* w, const float* b, float* y, const Conv2dGeom& g) {
  const i64 crs = g.C * g.R * g.S, pq = g.P * g.Q;
  if (g.pad > 0 && !k::conv2d_zero_taps_exact(w, g.K * crs)) return conv2d_fwd_rows(x, w, b, y, g);
  if (g.stride == 1 && g.pad == 0 && (g.S - 1) * kShiftedPlanesWaste >= g.W) return conv2d_fwd_s1_shifted(x, w, b, y, g);
  if (g.stride == 1) return conv2d_fwd_s1(x, w, b, y, g);
  const i64 panels = panels_for(pq);
  parallel_for(g.N * panels, 1, [&](i64 lo, i64 hi) {
    std::vector<float> panel(static_cast<size_t>(crs * kNR));
    for (i64 item = lo; item < hi; ++item) {
      const i64 n = item / panels, col0 = (item % panels) * kNR, nr = std::min<i64>(kNR, pq - col0);
      k::conv2d_fwd_pack_panel<kNR>(x, g, n, col0, panel.data());
      float* yt = y + k::conv_y_index(g, n, 0, 0, 0) + col0;
      for (i64 kk = 0; kk < g.K; ++kk)
        for (i64 j = 0; j < nr; ++j) yt[kk * pq + j] = b[kk];
      tile_rows(w, crs, 1, panel.data(), kNR, crs, 0, yt, pq, g.K, nr);
      if (g.pad > 0)  // without padding no tap is skipped, so nothing can differ
        for (i64 kk = 0; kk < g.K; ++kk)
          for (i64 j = 0; j < nr; ++j)
            if (yt[kk * pq + j] == 0.0f)
              yt[kk * pq + j] = k::conv2d_fwd_elem(x, w, b, g, n, kk, (col0 + j) / g.Q, (col0 + j) % g.Q);
    }
  });
}

void conv2d_bwd_data_det(const float* dy, const float* w, float* dx, const Conv2dGeom& g) {
  const i64 krs = g.K * g.R * g.S, rs = g.R * g.S, hw = g.H * g.W;
  if (!k::conv2d_zero_taps_exact(w, g.K * g.C * rs))
    return conv2d_bwd_data_rows(dy, w, dx, g);
  if (g.stride == 1 && g.pad < g.R && g.pad < g.S) return conv2d_bwd_data_s1(dy, w, dx, g);
  // A(c, (k,r,s)) = w[k,c,r,s]: the weights regrouped so each row is one input channel.
  std::vector<float> wc(static_cast<size_t>(g.C * krs));
  for (i64 kk = 0; kk < g.K; ++kk)
    for (i64 c = 0; c < g.C; ++c)
      for (i64 t = 0; t < rs; ++t) wc[static_cast<size_t>(c * krs + kk * rs + t)] = w[(kk * g.C + c) * rs + t];
  const i64 panels = panels_for(hw);
  parallel_for(g.N * panels, 1, [&](i64 lo, i64 hi) {
    std::vector<float> panel(static_cast<size_t>(krs * kNR));
    for (i64 item = lo; item < hi; ++item) {
      const i64 n = item / panels, col0 = (item % panels) * kNR, nr = std::min<i64>(kNR, hw - col0);
      k::conv2d_bwd_data_pack_panel<kNR>(dy, g, n, col0, panel.data());
      float* dxt = dx + k::conv_x_index(g, n, 0, 0, 0) + col0;
      for (i64 c = 0; c < g.C; ++c)
        for (i64 j = 0; j < nr; ++j) dxt[c * hw + j] = 0.0f;
      tile_rows(wc.data(), krs, 1, panel.data(), kNR, krs, 0, dxt, hw, g.C, nr);
      for (i64 c = 0; c < g.C; ++c)  // border taps are always skipped here
        for (i64 j = 0; j < nr; ++j)
          if (dxt[c * hw + j] == 0.0f)
            dxt[c * hw + j] = k::conv2d_bwd_data_elem(dy, w, g, n, c, (col0 + j) / g.W, (col0 + j) % g.W);
    }
  });
}

void conv2d_bwd_weight_det(const float* dy, const float* x, float* dw, float* db, const Conv2dGeom& g) {
  const i64 crs = g.C * g.R * g.S, pq = g.P * g.Q, cols = crs + 1;  // + the bias column
  if (g.pad > 0 && !k::conv2d_zero_taps_exact(dy, g.N * g.K * pq))
    return conv2d_bwd_weight_rows(dy, x, dw, db, g);
  if (g.stride == 1 && g.pad == 0) return conv2d_bwd_weight_s1(dy, x, dw, db, g);
  if (g.stride == 1) {
    // Padded taps become reads of a zero frame, exact here as in the packed form below (Note
    // [Zero taps]); then the pad-0 tiles apply. Measured at 32->64 channels, 32x32, pad 1: the
    // im2col panels below spent more time packing than multiplying (det/fast 0.52 at 1 thread).
    const Conv2dGeom framed{g.N, g.C, g.H + 2 * g.pad, g.W + 2 * g.pad, g.K, g.R, g.S, g.P, g.Q, 1, 0};
    const i64 plane = framed.H * framed.W;
    float* xp = scratch(Scratch::kConvFramed, g.N * g.C * plane);
    parallel_for(g.N * g.C, 1, [&](i64 lo, i64 hi) {
      std::fill(xp + lo * plane, xp + hi * plane, 0.0f);
      for (i64 nc = lo; nc < hi; ++nc)
        for (i64 h = 0; h < g.H; ++h)
          std::copy_n(x + k::conv_x_index(g, nc / g.C, nc % g.C, h, 0), g.W,
                      xp + k::conv_x_index(framed, nc / g.C, nc % g.C, h + g.pad, g.pad));
    });
    return conv2d_bwd_weight_s1(dy, xp, dw, db, framed);
  }
  const i64 chunks = k::num_chunks(g.N, k::kBatchChunk), panels = panels_for(cols);
  // part[j] (K x cols): chunk j's partial of every dw and db, in the canonical chunk chain.
  std::vector<float> part(static_cast<size_t>(chunks * g.K * cols));
  parallel_for(chunks, 1, [&](i64 lo, i64 hi) {
    std::vector<float> a(static_cast<size_t>(g.K * k::kBatchChunk * pq)), panel(static_cast<size_t>(k::kBatchChunk * pq * kNR));
    for (i64 j = lo; j < hi; ++j) {
      const i64 n0 = j * k::kBatchChunk, n1 = k::chunk_end(j, g.N), len = (n1 - n0) * pq;
      // A(k, (n,p,q)) = dy[n,k,p,q] for the chunk's samples, one row per output channel.
      for (i64 kk = 0; kk < g.K; ++kk)
        for (i64 n = n0; n < n1; ++n)
          std::copy_n(dy + k::conv_y_index(g, n, kk, 0, 0), pq, a.data() + kk * len + (n - n0) * pq);
      float* pj = part.data() + j * g.K * cols;
      std::fill(pj, pj + g.K * cols, 0.0f);
      for (i64 t = 0; t < panels; ++t) {
        k::conv2d_bwd_weight_pack_panel<kNR>(x, g, n0, n1, t * kNR, panel.data());
        tile_rows(a.data(), len, 1, panel.data(), kNR, len, 0, pj + t * kNR, cols, g.K, std::min<i64>(kNR, cols - t * kNR));
      }
    }
  });
  // dw = 0 + part_0 + part_1 + ... left to right (kernels::conv2d_bwd_weight_elem), per output.
  parallel_for(g.K, 1, [&](i64 lo, i64 hi) {
    for (i64 kk = lo; kk < hi; ++kk)
      for (i64 col = 0; col < cols; ++col) {
        float acc = 0.0f;
        for (i64 j = 0; j < chunks; ++j) acc = acc + part[static_cast<size_t>((j * g.K + kk) * cols + col)];
        if (col < crs)
          dw[kk * crs + col] = acc;
        else if (db)
          db[kk] = acc;
      }
  });
}

}  // namespace lockstep::cpu

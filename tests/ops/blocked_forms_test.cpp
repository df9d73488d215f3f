// The blocked forms of the canonical orders (kernels::chain_tile and friends, the conv2d
// panels, and the CPU det kernels built on them) against the per-element definitions
// (*_elem), bitwise: on odd shapes that exercise edge tiles, padding, stride and partial batch
// chunks; at several thread counts; and on the inputs where Note [Zero taps] fails
// (infinite weights, -0 biases), where the CPU must fall back to the row forms.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "cpu/kernels.h"
#include "kernels/conv2d.h"
#include "kernels/linear.h"
#include "tests/support/compare.h"
#include "reference/data.h"
#include "tests/support/threads.h"

namespace lockstep {
namespace {

namespace k = lockstep::kernels;
using test::bitwise_equal;

Conv2dGeom conv_geom(i64 N, i64 C, i64 H, i64 W, i64 K, i64 R, i64 S, i64 stride, i64 pad) {
  return {N, C, H, W, K, R, S, (H + 2 * pad - R) / stride + 1, (W + 2 * pad - S) / stride + 1, stride, pad};
}

const std::vector<Conv2dGeom> kConvShapes = {
    conv_geom(9, 10, 12, 12, 20, 5, 5, 1, 0),  // reference conv2, a partial batch chunk
    conv_geom(3, 1, 28, 28, 10, 5, 5, 1, 0),   // reference conv1
    conv_geom(2, 3, 9, 7, 7, 3, 3, 2, 1),      // stride 2, padding 1
    conv_geom(17, 2, 6, 5, 13, 3, 2, 1, 2),    // padding wider than the kernel needs
    conv_geom(1, 4, 11, 11, 3, 4, 4, 3, 0),    // stride 3: gaps in the data gradient
    conv_geom(3, 25, 9, 35, 6, 3, 3, 1, 1),    // stride 1, pad 1: uneven channel blocks, row tails
    conv_geom(10, 3, 7, 8, 37, 2, 3, 1, 0),    // stride 1, pad 0: three output-channel tiles, 2 chunks
    conv_geom(9, 4, 6, 7, 40, 3, 3, 1, 1),     // stride 1, pad 1, K >= 32: wide weight tiles in a zero frame
    conv_geom(3, 2, 9, 40, 5, 3, 3, 1, 0),     // stride 1, pad 0, wide rows: the forward reads x in place
};
// The forward at stride 1 and pad 0 runs over column-shifted planes where the kernel's S-1
// columns are at least 1/8 of a row (both reference layers, 8 columns of 12 and 24 of 28; and
// {10, 3, 7, 8, 37, 2, 3}, whose 36 outputs end in a partial tile), else over x in place.

struct ConvIn {
  std::vector<float> x, w, b, dy;
};

ConvIn conv_inputs(const Conv2dGeom& g, std::uint64_t seed) {
  return {test::uniform_values(seed + 1, g.N * g.C * g.H * g.W), test::uniform_values(seed + 2, g.K * g.C * g.R * g.S),
          test::uniform_values(seed + 3, g.K), test::uniform_values(seed + 4, g.N * g.K * g.P * g.Q)};
}

struct ConvOut {
  std::vector<float> y, dx, dw, db;
};

ConvOut conv_elem(const ConvIn& d, const Conv2dGeom& g) {
  ConvOut o{std::vector<float>(d.dy.size()), std::vector<float>(d.x.size()), std::vector<float>(d.w.size()),
            std::vector<float>(d.b.size())};
  for (i64 n = 0; n < g.N; ++n)
    for (i64 kk = 0; kk < g.K; ++kk)
      for (i64 p = 0; p < g.P; ++p)
        for (i64 q = 0; q < g.Q; ++q)
          o.y[size_t(k::conv_y_index(g, n, kk, p, q))] = k::conv2d_fwd_elem(d.x.data(), d.w.data(), d.b.data(), g, n, kk, p, q);
  for (i64 n = 0; n < g.N; ++n)
    for (i64 c = 0; c < g.C; ++c)
      for (i64 h = 0; h < g.H; ++h)
        for (i64 w = 0; w < g.W; ++w)
          o.dx[size_t(k::conv_x_index(g, n, c, h, w))] = k::conv2d_bwd_data_elem(d.dy.data(), d.w.data(), g, n, c, h, w);
  for (i64 kk = 0; kk < g.K; ++kk) {
    o.db[size_t(kk)] = k::conv2d_bwd_bias_elem(d.dy.data(), g, kk);
    for (i64 c = 0; c < g.C; ++c)
      for (i64 r = 0; r < g.R; ++r)
        for (i64 s = 0; s < g.S; ++s)
          o.dw[size_t(k::conv_w_index(g, kk, c, r, s))] = k::conv2d_bwd_weight_elem(d.dy.data(), d.x.data(), g, kk, c, r, s);
  }
  return o;
}

ConvOut conv_det(const ConvIn& d, const Conv2dGeom& g) {
  ConvOut o{std::vector<float>(d.dy.size()), std::vector<float>(d.x.size()), std::vector<float>(d.w.size()),
            std::vector<float>(d.b.size())};
  cpu::conv2d_fwd_det(d.x.data(), d.w.data(), d.b.data(), o.y.data(), g);
  cpu::conv2d_bwd_data_det(d.dy.data(), d.w.data(), o.dx.data(), g);
  cpu::conv2d_bwd_weight_det(d.dy.data(), d.x.data(), o.dw.data(), o.db.data(), g);
  return o;
}

void expect_same(const ConvOut& got, const ConvOut& want, const std::string& what) {
  EXPECT_TRUE(bitwise_equal(got.y, want.y, what + " y"));
  EXPECT_TRUE(bitwise_equal(got.dx, want.dx, what + " dx"));
  EXPECT_TRUE(bitwise_equal(got.dw, want.dw, what + " dw"));
  EXPECT_TRUE(bitwise_equal(got.db, want.db, what + " db"));
}

std::string describe(const Conv2dGeom& g) {
  return "N=" + std::to_string(g.N) + " C=" + std::to_string(g.C) + " H=" + std::to_string(g.H) + " K=" +
         std::to_string(g.K) + " R=" + std::to_string(g.R) + " stride=" + std::to_string(g.stride) + " pad=" +
         std::to_string(g.pad);
}

TEST(Conv2dBlocked, CpuDetBitwiseEqualsElementFormAtEveryThreadCount) {
  for (const Conv2dGeom& g : kConvShapes) {
    const ConvIn d = conv_inputs(g, static_cast<std::uint64_t>(g.N * 100 + g.C));
    const ConvOut want = conv_elem(d, g);
    for (int t : test::kThreadCounts) {
      test::ThreadCountGuard threads(t);
      expect_same(conv_det(d, g), want, describe(g) + " threads=" + std::to_string(t));
    }
  }
}

// A layer without a bias (db null) takes its own split of dy's transposing copy (by sample;
// with a bias, by batch chunk, which also runs the bias chains): the same dw either way.
TEST(Conv2dBlocked, WeightGradientWithoutBiasEqualsElementForm) {
  for (const Conv2dGeom& g : kConvShapes) {
    const ConvIn d = conv_inputs(g, static_cast<std::uint64_t>(g.N * 100 + g.C));
    const std::vector<float> want = conv_elem(d, g).dw;
    for (int t : test::kThreadCounts) {
      test::ThreadCountGuard threads(t);
      std::vector<float> dw(d.w.size());
      cpu::conv2d_bwd_weight_det(d.dy.data(), d.x.data(), dw.data(), nullptr, g);
      EXPECT_TRUE(bitwise_equal(dw, want, describe(g) + " threads=" + std::to_string(t) + " dw without db"));
    }
  }
}

// A batch whose transposed dy exceeds cpu/conv2d.cpp's kConvDyTCacheBytes (4 MiB; reference
// conv1 at 130 samples: 4.6 MiB) takes the chunk-at-a-time weight gradient at up to 8 threads
// (17 chunks, the last of 2 samples) and the whole transposition at 16: the same bits, with
// and without a bias.
TEST(Conv2dBlocked, WeightGradientOfALargeBatchEqualsElementForm) {
  const Conv2dGeom g = conv_geom(130, 1, 28, 28, 10, 5, 5, 1, 0);
  const ConvIn d = conv_inputs(g, 131);
  const ConvOut want = conv_elem(d, g);
  for (int t : test::kThreadCounts) {
    test::ThreadCountGuard threads(t);
    std::vector<float> dw(d.w.size()), db(d.b.size()), dw_alone(d.w.size());
    cpu::conv2d_bwd_weight_det(d.dy.data(), d.x.data(), dw.data(), db.data(), g);
    cpu::conv2d_bwd_weight_det(d.dy.data(), d.x.data(), dw_alone.data(), nullptr, g);
    const std::string what = describe(g) + " threads=" + std::to_string(t);
    EXPECT_TRUE(bitwise_equal(dw, want.dw, what + " dw"));
    EXPECT_TRUE(bitwise_equal(db, want.db, what + " db"));
    EXPECT_TRUE(bitwise_equal(dw_alone, want.dw, what + " dw without db"));
  }
}

// Where a packed zero would not equal a skipped tap, the CPU must still give the element
// form's bits: an infinite weight (0*inf = NaN) and an infinite dy in the weight gradient
// with padding take the row forms; a -0 bias with padding (-0 + 0 = +0) is repaired by the
// zero fix-up of Note [Zero taps].
TEST(Conv2dBlocked, ZeroTapsFallBackOnNonFiniteOrFixUpNegativeZero) {
  const Conv2dGeom g = conv_geom(3, 2, 7, 7, 4, 3, 3, 1, 1);
  ConvIn d = conv_inputs(g, 77);
  d.w[5] = std::numeric_limits<float>::infinity();
  d.b[1] = -0.0f;
  d.dy[9] = -std::numeric_limits<float>::infinity();
  EXPECT_FALSE(k::conv2d_zero_taps_exact(d.w.data(), static_cast<i64>(d.w.size())));
  expect_same(conv_det(d, g), conv_elem(d, g), "non-finite inputs");
  // A -0 bias alone (finite weights): with x = -0 and w = +1 every real tap keeps the chain at
  // -0, while a packed zero tap, fma(+0, 1, -0) = +0, would flip the border outputs' sign.
  ConvIn z = conv_inputs(g, 78);
  std::fill(z.x.begin(), z.x.end(), -0.0f);
  std::fill(z.w.begin(), z.w.end(), 1.0f);
  z.b[0] = -0.0f;
  const ConvOut want = conv_elem(z, g);
  expect_same(conv_det(z, g), want, "-0 bias");
  EXPECT_TRUE(std::signbit(want.y[0])) << "the test input should produce a -0 output";
}

// Note [Tiny factors]: the stride-1 backward-data tiles skip the zero fix-up when no factor is
// tiny. Signed zeros in dy (sparse gradients, as after max-pooling) must then still give the
// element form's bits, and tiny factors that can underflow to -0 must take the fix-up.
TEST(Conv2dBlocked, TinyFactorsDecideTheZeroFixUp) {
  const Conv2dGeom g = conv_geom(2, 3, 8, 9, 4, 3, 3, 1, 1);
  ConvIn d = conv_inputs(g, 91);
  for (size_t i = 0; i < d.dy.size(); ++i)
    if (i % 23 != 0) d.dy[i] = i % 2 ? -0.0f : 0.0f;  // mostly signed zeros: many exact-zero outputs
  ASSERT_TRUE(k::conv2d_no_tiny_factors(d.dy.data(), static_cast<i64>(d.dy.size())));
  const ConvOut want = conv_elem(d, g);
  const auto zeros = std::count(want.dx.begin(), want.dx.end(), 0.0f);
  ASSERT_GT(zeros, 0) << "the test input should produce exact-zero data gradients";
  expect_same(conv_det(d, g), want, "signed zeros, no tiny factors");
  // Products of 2^-80-sized factors underflow: a negative one turns a chain to -0, later -0
  // products (dy = -0, w > 0) keep it, and a zero tap in the frame, +0 * w = +0, would flip it.
  ConvIn t = d;
  for (size_t i = 0; i < t.dy.size(); ++i) t.dy[i] = i % 23 ? -0.0f : -std::fabs(d.dy[i]) * 0x1p-80f;
  for (float& v : t.w) v = std::fabs(v) * 0x1p-80f;
  ASSERT_FALSE(k::conv2d_no_tiny_factors(t.w.data(), static_cast<i64>(t.w.size())));
  const ConvOut want_t = conv_elem(t, g);
  ASSERT_GT(std::count_if(want_t.dx.begin(), want_t.dx.end(), [](float v) { return v == 0.0f && std::signbit(v); }), 0)
      << "the tiny input should produce -0 data gradients";
  expect_same(conv_det(t, g), want_t, "tiny factors");
}

// Stride-1 backward data leaves out the taps of dy channels that are all zeros in a sample
// (what dropout2d leaves). Every pattern of left-out channels must give the element form's
// bits: none, all, the first, the last, runs of two and single ones between kept channels;
// with finite-sized factors (no fix-up), and with tiny ones, where a chain that underflowed
// to -0 is flipped to +0 by the zero product the canonical order adds and the tiles leave out.
TEST(Conv2dBlocked, DataGradientLeavesOutAllZeroChannelsExactly) {
  const std::vector<Conv2dGeom> shapes = {conv_geom(9, 10, 12, 12, 20, 5, 5, 1, 0),
                                          conv_geom(7, 6, 9, 11, 5, 3, 3, 1, 1),
                                          conv_geom(8, 4, 6, 7, 40, 3, 3, 1, 1)};
  // Whether channel kk of sample n is zeroed: sample 0 none, 1 all, 2 the first, 3 the last,
  // the others a mixed pattern that differs by sample (and one kept channel with a single
  // nonzero value).
  const auto dropped = [](const Conv2dGeom& g, i64 n, i64 kk) {
    switch (n) {
      case 0: return false;
      case 1: return true;
      case 2: return kk == 0;
      case 3: return kk == g.K - 1;
      default: return (kk * 7 + n) % 5 < 2 || (kk + n) % 4 == 0;
    }
  };
  for (const Conv2dGeom& g : shapes) {
    for (const bool tiny : {false, true}) {
      ConvIn d = conv_inputs(g, static_cast<std::uint64_t>(g.K * 10 + g.C));
      const i64 pq = g.P * g.Q;
      if (tiny) {  // kept dy values of -2^-80 size against 2^-80 weights: products underflow to -0
        for (float& v : d.dy) v = -std::fabs(v) * 0x1p-80f;
        for (float& v : d.w) v = std::fabs(v) * 0x1p-80f;
      }
      for (i64 n = 0; n < g.N; ++n)
        for (i64 kk = 0; kk < g.K; ++kk)
          if (dropped(g, n, kk)) {
            // +0 only when tiny: the canonical chain's last products are then +0, which turn a
            // -0 chain to +0; the tiles leave them out and need the fix-up to agree.
            for (i64 i = 0; i < pq; ++i) d.dy[static_cast<size_t>((n * g.K + kk) * pq + i)] = tiny || i % 3 ? 0.0f : -0.0f;
          } else if (n >= 4 && kk == n % g.K) {  // one nonzero value, the plane's last
            for (i64 i = 0; i + 1 < pq; ++i) d.dy[static_cast<size_t>((n * g.K + kk) * pq + i)] = 0.0f;
          }
      const std::vector<float> want = conv_elem(d, g).dx;
      if (tiny) {
        ASSERT_GT(std::count_if(want.begin(), want.end(), [](float v) { return v == 0.0f && std::signbit(v); }), 0)
            << "the tiny input should produce -0 data gradients";
      }
      for (int t : test::kThreadCounts) {
        test::ThreadCountGuard threads(t);
        std::vector<float> dx(d.x.size());
        cpu::conv2d_bwd_data_det(d.dy.data(), d.w.data(), dx.data(), g);
        EXPECT_TRUE(bitwise_equal(dx, want, describe(g) + (tiny ? " tiny" : "") + " threads=" + std::to_string(t)));
      }
    }
  }
}

TEST(Conv2dBlocked, TinyFactorPredicate) {
  const float inf = std::numeric_limits<float>::infinity();
  const float ok[] = {1.0f, -2.0f, 0.0f, -0.0f, 0x1p-51f, -0x1p-51f}, tiny[] = {1.0f, 0x1.fffffep-52f},
              sub[] = {0x1p-140f}, bad_inf[] = {inf}, bad_nan[] = {std::numeric_limits<float>::quiet_NaN()};
  EXPECT_TRUE(k::conv2d_no_tiny_factors(ok, 6));
  EXPECT_FALSE(k::conv2d_no_tiny_factors(tiny, 2));
  EXPECT_FALSE(k::conv2d_no_tiny_factors(sub, 1));
  EXPECT_FALSE(k::conv2d_no_tiny_factors(bad_inf, 1));
  EXPECT_FALSE(k::conv2d_no_tiny_factors(bad_nan, 1));
}

TEST(Conv2dBlocked, ZeroTapPredicate) {
  const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
  const float ok[] = {1.0f, -2.0f, 0.0f, -0.0f}, bad_inf[] = {1.0f, inf}, bad_nan[] = {nan};
  EXPECT_TRUE(k::conv2d_zero_taps_exact(ok, 4));
  EXPECT_FALSE(k::conv2d_zero_taps_exact(bad_inf, 2));
  EXPECT_FALSE(k::conv2d_zero_taps_exact(bad_nan, 1));
}

// The bias column of the weight-gradient panel relies on this identity.
TEST(Conv2dBlocked, FmaWithOneIsAnAddition) {
  const auto a = test::uniform_values(5, 100000, -1e3f, 1e3f), c = test::uniform_values(6, 100000, -1e-3f, 1e-3f);
  for (size_t i = 0; i < a.size(); ++i)
    ASSERT_EQ(test::float_bits(k::fma_rn(a[i], 1.0f, c[i])), test::float_bits(a[i] + c[i])) << i;
}

struct LinIn {
  std::vector<float> x, w, b, dy;
};

// Cache blocking in cpu/linear.cpp: {203, 530, 77} and {600, 64, 530} pause chains between
// slices (every 256 kk of packed panels, every 64 of panels read in place, the batch-chunked
// weight gradient included), cut row blocks at 96, pack rows of A side by side and read
// panels in place beside a ragged packed one; {300, 256, 96} has rows 1 KiB apart, which are
// packed rather than read in place, and a weight gradient paused at kk = 256.
// {32, 50, 10}, {32, 40, 300} and {70, 16, 40}: the transposed forms (lanes over the batch for
// the forward and backward-data passes, over outputs for the weight gradient).
const std::vector<LinearGeom> kLinearShapes = {{32, 320, 50},  {37, 50, 10},   {1, 7, 3},     {13, 300, 45},
                                               {9, 600, 33},   {203, 530, 77}, {600, 64, 530}, {300, 256, 96},
                                               {32, 50, 10},   {32, 40, 300},  {70, 16, 40}};

TEST(LinearBlocked, CpuDetBitwiseEqualsElementFormAtEveryThreadCount) {
  for (const LinearGeom& g : kLinearShapes) {
    const LinIn d{test::uniform_values(1, g.N * g.I), test::uniform_values(2, g.O * g.I), test::uniform_values(3, g.O),
                  test::uniform_values(4, g.N * g.O)};
    std::vector<float> y(d.dy.size()), dx(d.x.size()), dw(d.w.size()), db(d.b.size());
    for (i64 n = 0; n < g.N; ++n) {
      for (i64 o = 0; o < g.O; ++o) y[size_t(n * g.O + o)] = k::linear_fwd_elem(d.x.data(), d.w.data(), d.b.data(), g, n, o);
      for (i64 i = 0; i < g.I; ++i) dx[size_t(n * g.I + i)] = k::linear_bwd_data_elem(d.dy.data(), d.w.data(), g, n, i);
    }
    for (i64 o = 0; o < g.O; ++o) {
      db[size_t(o)] = k::linear_bwd_bias_elem(d.dy.data(), g, o);
      for (i64 i = 0; i < g.I; ++i) dw[size_t(o * g.I + i)] = k::linear_bwd_weight_elem(d.dy.data(), d.x.data(), g, o, i);
    }
    for (int t : test::kThreadCounts) {
      test::ThreadCountGuard threads(t);
      const std::string what = "N=" + std::to_string(g.N) + " I=" + std::to_string(g.I) + " O=" +
                               std::to_string(g.O) + " threads=" + std::to_string(t);
      std::vector<float> y2(y.size()), dx2(dx.size()), dw2(dw.size()), db2(db.size());
      cpu::linear_fwd_det(d.x.data(), d.w.data(), d.b.data(), y2.data(), g);
      cpu::linear_bwd_data_det(d.dy.data(), d.w.data(), dx2.data(), g);
      cpu::linear_bwd_weight_det(d.dy.data(), d.x.data(), dw2.data(), db2.data(), g);
      EXPECT_TRUE(bitwise_equal(y2, y, what + " y"));
      EXPECT_TRUE(bitwise_equal(dx2, dx, what + " dx"));
      EXPECT_TRUE(bitwise_equal(dw2, dw, what + " dw"));
      EXPECT_TRUE(bitwise_equal(db2, db, what + " db"));
    }
  }
}

// The tiles themselves, at shapes the backend does not use (tile sizes must not matter).
template <int MR, int NR>
void check_tiles() {
  const i64 kd = 45;
  const auto a = test::uniform_values(10 + MR, MR * kd), bm = test::uniform_values(20 + NR, kd * NR),
             c0 = test::uniform_values(30, MR * NR);
  std::vector<float> c = c0, cc = c0;
  k::chain_tile<MR, NR>(a.data(), kd, 1, bm.data(), NR, kd, c.data(), NR);
  k::chunked_chain_tile<MR, NR>(a.data(), kd, 1, bm.data(), NR, kd, 8, cc.data(), NR);
  for (int m = 0; m < MR; ++m)
    for (int j = 0; j < NR; ++j) {
      float chain = c0[size_t(m * NR + j)], total = c0[size_t(m * NR + j)];
      for (i64 k0 = 0; k0 < kd; k0 += 8) {
        float part = 0.0f;
        for (i64 kk = k0; kk < std::min<i64>(kd, k0 + 8); ++kk) {
          chain = k::fma_rn(a[size_t(m * kd + kk)], bm[size_t(kk * NR + j)], chain);
          part = k::fma_rn(a[size_t(m * kd + kk)], bm[size_t(kk * NR + j)], part);
        }
        total = total + part;
      }
      ASSERT_EQ(test::float_bits(c[size_t(m * NR + j)]), test::float_bits(chain)) << MR << "x" << NR << " " << m << "," << j;
      ASSERT_EQ(test::float_bits(cc[size_t(m * NR + j)]), test::float_bits(total)) << MR << "x" << NR << " " << m << "," << j;
    }
}

TEST(ChainTile, EveryTileShapeGivesTheSequentialChain) {
  check_tiles<1, 1>();
  check_tiles<3, 5>();
  check_tiles<6, 16>();
  check_tiles<6, 32>();
  check_tiles<4, 8>();
}

}  // namespace
}  // namespace lockstep

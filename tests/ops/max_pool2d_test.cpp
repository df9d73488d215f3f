// max_pool2d: the documented order, per-element gather == plane scatter, the tie and NaN
// rules, overlapping windows and error paths. The reference, integer, thread and gradient
// checks are the op harness's (tests/ops/cases/max_pool2d.cpp).
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <limits>
#include <string>
#include <tuple>
#include <vector>

#include "core/ops.h"
#include "core/ops_random.h"
#include "cpu/kernels.h"
#include "kernels/max_pool2d.h"
#include "reference/max_pool2d_ref.h"
#include "tests/support/compare.h"
#include "tests/support/errors.h"
#include "reference/data.h"
#include "tests/support/gradcheck.h"
#include "tests/support/threads.h"

namespace lockstep {
namespace {

using test::bitwise_equal;

using test::abs_sum;
using test::non_constant;
using test::to_float;

struct PoolRun {
  std::vector<float> y, dx;
};

// y = max_pool2d(x); dx from sum(y * g).backward(), through the autograd graph.
PoolRun run_pool(const std::vector<float>& x, const ref::Pool2dShape& s, const std::vector<float>& g, i64 stride_arg) {
  Tensor xt = Tensor::from_vector(x, {s.N, s.C, s.H, s.W}).set_requires_grad();
  Tensor y = ops::max_pool2d(xt, s.k, stride_arg);
  ops::sum(ops::mul(y, Tensor::from_vector(g, y.shape()))).backward();
  return {y.to_vector(), xt.grad().to_vector()};
}

TEST(MaxPool2d, DocumentedOrder) {
  // docs/ordering.md#max_pool2d-forward/-backward restated in plain float loops.
  const ref::Pool2dShape s{2, 3, 9, 11, 3, 2};
  auto x = test::uniform_values(7, s.N * s.C * s.H * s.W);
  x[13] = NAN;
  const auto g = test::uniform_values(8, s.N * s.C * s.P() * s.Q());
  const PoolRun got = run_pool(x, s, g, 2);
  const i64 P = s.P(), Q = s.Q();
  std::vector<float> y(g.size()), dx(x.size(), 0.0f);
  std::vector<i64> arg(g.size());
  for (i64 nc = 0; nc < s.N * s.C; ++nc)
    for (i64 p = 0; p < P; ++p)
      for (i64 q = 0; q < Q; ++q) {
        i64 best_i = (p * s.stride) * s.W + q * s.stride;
        float best = x[nc * s.H * s.W + best_i];
        for (i64 r = 0; r < s.k; ++r)
          for (i64 c = 0; c < s.k; ++c) {
            const i64 i = (p * s.stride + r) * s.W + q * s.stride + c;
            const float v = x[nc * s.H * s.W + i];
            if (v > best || (std::isnan(v) && !std::isnan(best))) best = v, best_i = i;
          }
        y[(nc * P + p) * Q + q] = best;
        arg[(nc * P + p) * Q + q] = best_i;
      }
  for (i64 nc = 0; nc < s.N * s.C; ++nc)
    for (i64 o = 0; o < P * Q; ++o) {
      float& d = dx[nc * s.H * s.W + arg[nc * P * Q + o]];
      d = d + g[nc * P * Q + o];
    }
  EXPECT_TRUE(bitwise_equal(got.y, y, "forward"));
  EXPECT_TRUE(bitwise_equal(got.dx, dx, "backward"));
}

TEST(MaxPool2dBwd, PerElementGatherEqualsPlaneScatter) {
  // kernels' max_pool2d_bwd_elem (one thread per dx, for device backends) must give the bits
  // of max_pool2d_bwd_plane, including overlapping windows and uncovered rows/columns.
  for (const kernels::Pool2dGeom& g : {kernels::Pool2dGeom{1, 1, 10, 9, 3, 3, 4, 4, 2},
                                      kernels::Pool2dGeom{1, 1, 9, 9, 3, 3, 7, 7, 1},
                                      kernels::Pool2dGeom{1, 1, 8, 8, 2, 2, 4, 4, 2}}) {
    const auto x = test::uniform_values(9, g.H * g.W);
    const auto dy = test::uniform_values(10, g.P * g.Q);
    std::vector<i64> arg(g.P * g.Q);
    for (i64 p = 0; p < g.P; ++p)
      for (i64 q = 0; q < g.Q; ++q) kernels::max_pool2d_fwd_elem(x.data(), g, p, q, &arg[p * g.Q + q]);
    std::vector<float> scatter(g.H * g.W), gather(g.H * g.W);
    kernels::max_pool2d_bwd_plane(dy.data(), arg.data(), scatter.data(), g);
    for (i64 h = 0; h < g.H; ++h)
      for (i64 w = 0; w < g.W; ++w) gather[h * g.W + w] = kernels::max_pool2d_bwd_elem(dy.data(), arg.data(), g, h, w);
    EXPECT_TRUE(bitwise_equal(gather, scatter, "stride " + std::to_string(g.stride)));
    ASSERT_GT(abs_sum(scatter), 0);
  }
}

TEST(MaxPool2d, TiesFirstIndexWins) {
  // Window 0 is constant; window 1 has its maximum 5 at row-major positions 1 and 2.
  const std::vector<float> x = {1, 1, 0, 5,   //
                                1, 1, 5, 2};
  const PoolRun got = run_pool(x, {1, 1, 2, 4, 2, 2}, {10, 20}, 0);
  EXPECT_TRUE(bitwise_equal(got.y, {1, 5}));
  EXPECT_TRUE(bitwise_equal(got.dx, {10, 0, 0, 20,  //
                                     0, 0, 0, 0}));
}

TEST(MaxPool2d, NaNPropagatesAndFirstNaNWins) {
  const float nan_a = std::bit_cast<float>(0x7fc00001u), nan_b = std::bit_cast<float>(0x7fc00002u);
  const std::vector<float> x = {1, 9, 3, nan_b,  //
                                nan_a, 7, nan_b, 4};
  const PoolRun got = run_pool(x, {1, 1, 2, 4, 2, 2}, {10, 20}, 0);
  EXPECT_EQ(test::float_bits(got.y[0]), 0x7fc00001u) << "window 0: NaN beats the larger 9";
  EXPECT_EQ(test::float_bits(got.y[1]), 0x7fc00002u) << "window 1: the first NaN (row-major) wins";
  EXPECT_TRUE(bitwise_equal(got.dx, {0, 0, 0, 20,  //
                                     10, 0, 0, 0}));
}

TEST(MaxPool2d, OverlappingWindowsAccumulateInRowMajorOrder) {
  // k 3, stride 2 on 5x5: the centre (2,2) is in all four windows and is the maximum of each,
  // so dx[2,2] = ((dy00 + dy01) + dy10) + dy11, in that order. These dy make the order
  // visible: left to right each 2^-24 is absorbed by 1 (ties to even) and the sum is 1.5;
  // in reverse order the two 2^-24 survive and it is 1.5 + 2^-23.
  std::vector<float> x(25, 0.0f);
  x[12] = 3.0f;
  const std::vector<float> g = {1.0f, 0x1p-24f, 0x1p-24f, 0.5f};
  const PoolRun got = run_pool(x, {1, 1, 5, 5, 3, 2}, g, 2);
  const float documented = ((1.0f + 0x1p-24f) + 0x1p-24f) + 0.5f;
  ASSERT_EQ(documented, 1.5f);
  ASSERT_NE(documented, ((0.5f + 0x1p-24f) + 0x1p-24f) + 1.0f) << "the order must matter for this check";
  std::vector<float> want(25, 0.0f);
  want[12] = documented;
  EXPECT_TRUE(bitwise_equal(got.dx, want));
}

// The CPU forward's 2x2 stride-2 forms (on x86 with AVX2, cpu/max_pool2d_2x2_avx2.h; elsewhere
// kernels::max_pool2d_fwd_plane_2x2s2, which these tests also call directly, so that CI, whose
// builds have AVX2, runs it too) against the element form, on every input the rules
// distinguish: values, argmax and NaN payloads bit for bit.
struct PoolFwd {
  std::vector<std::uint32_t> bits;  // of y, NaN payloads included
  std::vector<i64> argmax;
};

PoolFwd cpu_pool_fwd(const std::vector<float>& x, const kernels::Pool2dGeom& g) {
  std::vector<float> y(static_cast<size_t>(g.N * g.C * g.P * g.Q));
  PoolFwd r{{}, std::vector<i64>(y.size())};
  cpu::max_pool2d_fwd_det(x.data(), y.data(), r.argmax.data(), g);
  for (float v : y) r.bits.push_back(std::bit_cast<std::uint32_t>(v));
  return r;
}

PoolFwd plane_form_pool_fwd(const std::vector<float>& x, const kernels::Pool2dGeom& g) {
  std::vector<float> y(static_cast<size_t>(g.N * g.C * g.P * g.Q));
  PoolFwd r{{}, std::vector<i64>(y.size())};
  for (i64 nc = 0; nc < g.N * g.C; ++nc)
    kernels::max_pool2d_fwd_plane_2x2s2(x.data() + nc * g.H * g.W, y.data() + nc * g.P * g.Q,
                                        r.argmax.data() + nc * g.P * g.Q, g.W, g.P, g.Q);
  for (float v : y) r.bits.push_back(std::bit_cast<std::uint32_t>(v));
  return r;
}

PoolFwd elem_pool_fwd(const std::vector<float>& x, const kernels::Pool2dGeom& g) {
  PoolFwd r{{}, std::vector<i64>(static_cast<size_t>(g.N * g.C * g.P * g.Q))};
  for (i64 nc = 0; nc < g.N * g.C; ++nc)
    for (i64 o = 0; o < g.P * g.Q; ++o) {
      const float v = kernels::max_pool2d_fwd_elem(x.data() + nc * g.H * g.W, g, o / g.Q, o % g.Q, &r.argmax[nc * g.P * g.Q + o]);
      r.bits.push_back(std::bit_cast<std::uint32_t>(v));
    }
  return r;
}

::testing::AssertionResult same_pool_fwd(const PoolFwd& got, const PoolFwd& want, const std::vector<float>& x,
                                         const kernels::Pool2dGeom& g) {
  for (size_t o = 0; o < want.bits.size(); ++o) {
    if (got.bits[o] == want.bits[o] && got.argmax[o] == want.argmax[o]) continue;
    const i64 nc = i64(o) / (g.P * g.Q), p = i64(o) % (g.P * g.Q) / g.Q, q = i64(o) % g.Q;
    std::string window;
    for (i64 r = 0; r < g.R; ++r)
      for (i64 c = 0; c < g.S; ++c)
        window += test::hexfloat(x[nc * g.H * g.W + (p * g.stride + r) * g.W + q * g.stride + c]) + " ";
    char got_bits[16], want_bits[16];
    std::snprintf(got_bits, sizeof got_bits, "0x%08x", got.bits[o]);
    std::snprintf(want_bits, sizeof want_bits, "0x%08x", want.bits[o]);
    return ::testing::AssertionFailure() << "output " << o << " (plane " << nc << ", p " << p << ", q " << q
                                         << ", window " << window << "): got bits " << got_bits << " argmax "
                                         << got.argmax[o] << ", element form " << want_bits << " argmax " << want.argmax[o];
  }
  return ::testing::AssertionSuccess();
}

// Values whose order the rules distinguish: two NaNs (payloads and signs differ), both
// infinities, both zeros (equal, so the first wins) and ties of ordinary numbers.
const std::vector<float> kRuleValues = {std::bit_cast<float>(0x7fc00001u), std::bit_cast<float>(0xffc00002u),
                                        -std::numeric_limits<float>::infinity(), -1.0f, -0.0f, 0.0f, 1.0f,
                                        std::numeric_limits<float>::infinity()};

TEST(MaxPool2dTwoByTwo, EveryWindowOfRuleValuesMatchesElementForm) {
  // All 8^4 windows of kRuleValues, 64 per output row, in 8 planes of odd extents (17 x 129):
  // the last row and column are in no window and hold a third NaN that must never be read.
  const i64 per_row = 64, rows = 8, n_values = i64(kRuleValues.size());
  const kernels::Pool2dGeom g{2, 4, 2 * rows + 1, 2 * per_row + 1, 2, 2, rows, per_row, 2};
  ASSERT_TRUE(kernels::is_pool_2x2_stride2(g));
  ASSERT_EQ(g.N * g.C * g.P * g.Q, n_values * n_values * n_values * n_values);
  std::vector<float> x(static_cast<size_t>(g.N * g.C * g.H * g.W), std::bit_cast<float>(0x7fc0deadu));
  for (i64 w = 0; w < g.N * g.C * g.P * g.Q; ++w) {
    const i64 nc = w / (g.P * g.Q), p = w % (g.P * g.Q) / g.Q, q = w % g.Q;
    for (i64 k = 0, code = w; k < 4; ++k, code /= n_values)
      x[nc * g.H * g.W + (2 * p + k / 2) * g.W + 2 * q + k % 2] = kRuleValues[size_t(code % n_values)];
  }
  const PoolFwd want = elem_pool_fwd(x, g);
  EXPECT_TRUE(same_pool_fwd(plane_form_pool_fwd(x, g), want, x, g)) << "kernels' plane form";
  for (const PoolFwd& got : test::at_each_thread_count([&] { return cpu_pool_fwd(x, g); }))
    EXPECT_TRUE(same_pool_fwd(got, want, x, g));
}

TEST(MaxPool2dTwoByTwo, ThreadSplitsOfTiedDataMatchElementForm) {
  // The reference CNN's first pool at batch 16, values on a grid of 9 levels (ties in most
  // windows), enough planes that every thread count splits them.
  const kernels::Pool2dGeom g{16, 20, 24, 24, 2, 2, 12, 12, 2};
  std::vector<float> x = test::uniform_values(21, g.N * g.C * g.H * g.W);
  for (float& v : x) v = std::round(v * 4.0f) / 4.0f;
  const PoolFwd want = elem_pool_fwd(x, g);
  for (const PoolFwd& got : test::at_each_thread_count([&] { return cpu_pool_fwd(x, g); }))
    EXPECT_TRUE(same_pool_fwd(got, want, x, g));
}

TEST(MaxPool2dTwoByTwo, EveryRowLengthWithSparseNaNsMatchesElementForm) {
  // Rows of 1 to 19 outputs, so that every mix of 8-output, 4-output and single-output steps
  // occurs (the CPU form runs a row 8, then 4, then 1 at a time), on tied rule values with a
  // NaN at about one input in 40: most 8-output steps hold none (the CPU skips the NaN terms
  // there), the others hold one in any of the window's four places.
  for (i64 Q = 1; Q <= 19; ++Q) {
    const kernels::Pool2dGeom g{2, 3, 7, 2 * Q + 1, 2, 2, 3, Q, 2};
    std::vector<float> x(static_cast<size_t>(g.N * g.C * g.H * g.W));
    std::uint32_t state = 12345u + std::uint32_t(Q);
    for (float& v : x) {
      state = state * 1664525u + 1013904223u;
      const std::uint32_t r = state >> 8;
      v = r % 40 == 0 ? kRuleValues[r / 40 % 2] : kRuleValues[2 + r / 40 % (kRuleValues.size() - 2)];
    }
    const PoolFwd want = elem_pool_fwd(x, g);
    EXPECT_TRUE(same_pool_fwd(plane_form_pool_fwd(x, g), want, x, g)) << "kernels' plane form, Q " << Q;
    for (const PoolFwd& got : test::at_each_thread_count([&] { return cpu_pool_fwd(x, g); }))
      EXPECT_TRUE(same_pool_fwd(got, want, x, g)) << "Q " << Q;
  }
}

TEST(MaxPool2dTwoByTwo, BackwardOfEveryRowLengthMatchesPlaneScatter) {
  // The CPU backward of the 2x2 stride-2 window writes each dx once (8 windows at a time,
  // then one) instead of kernels' memset and scatter: rows of 1 to 19 outputs, odd extents
  // (the last row and column are in no window and must come out +0 over the NaN left in dx
  // beforehand), argmax from the element form on tied data, dy with -0 (0 + -0 is +0), NaN
  // and infinities, plain and relu-masked (max_pool2d_relu, y with zeros and NaN).
  for (i64 Q = 1; Q <= 19; ++Q) {
    const kernels::Pool2dGeom g{2, 3, 7, 2 * Q + 1, 2, 2, 3, Q, 2};
    std::vector<float> x = test::uniform_values(40 + Q, g.N * g.C * g.H * g.W);
    for (float& v : x) v = std::round(v * 2.0f);
    const PoolFwd fwd = elem_pool_fwd(x, g);
    const i64 out = g.N * g.C * g.P * g.Q;
    std::vector<float> dy = test::uniform_values(60 + Q, out), y(static_cast<size_t>(out));
    for (i64 o = 0; o < out; ++o) {
      y[o] = kernels::relu_fwd_elem(std::bit_cast<float>(fwd.bits[o]));
      if (o % 5 == 0) dy[o] = -0.0f;
      if (o % 11 == 0) dy[o] = kRuleValues[size_t(o / 11) % kRuleValues.size()];
      if (o % 13 == 0) y[o] = kRuleValues[size_t(o / 13) % kRuleValues.size()];
    }
    for (bool relu : {false, true}) {
      std::vector<float> want(x.size());
      for (i64 nc = 0; nc < g.N * g.C; ++nc) {
        const i64 o = nc * g.P * g.Q;
        if (relu)
          kernels::max_pool2d_relu_bwd_plane(dy.data() + o, y.data() + o, fwd.argmax.data() + o, want.data() + nc * g.H * g.W, g);
        else
          kernels::max_pool2d_bwd_plane(dy.data() + o, fwd.argmax.data() + o, want.data() + nc * g.H * g.W, g);
      }
      for (const auto& got : test::at_each_thread_count([&] {
             std::vector<float> dx(x.size(), std::bit_cast<float>(0x7fc0deadu));
             if (relu)
               cpu::max_pool2d_relu_bwd_det(dy.data(), y.data(), fwd.argmax.data(), nullptr, dx.data(), g);
             else
               cpu::max_pool2d_bwd_det(dy.data(), fwd.argmax.data(), dx.data(), g);
             return dx;
           }))
        EXPECT_TRUE(bitwise_equal(got, want, "Q " + std::to_string(Q) + (relu ? ", relu" : "")));
    }
  }
}

TEST(MaxPool2dTwoByTwo, OtherWindowsAndStridesKeepTheGeneralForm) {
  // Near misses of 2x2 stride 2 (overlapping, gapped, 1x1 and 3x3 windows) on rule values,
  // odd extents: each must give the element form's bits, so none may take the 2x2 form.
  for (const auto& [k, st] : std::vector<std::pair<i64, i64>>{{2, 1}, {2, 3}, {1, 2}, {3, 2}, {2, 4}}) {
    const i64 H = 11, W = 13;
    const kernels::Pool2dGeom g{2, 3, H, W, k, k, kernels::pool_out_extent(H, k, st), kernels::pool_out_extent(W, k, st), st};
    ASSERT_FALSE(kernels::is_pool_2x2_stride2(g));
    std::vector<float> x(static_cast<size_t>(g.N * g.C * H * W));
    for (size_t i = 0; i < x.size(); ++i) x[i] = kRuleValues[(i * 5 + i / 7) % kRuleValues.size()];
    const PoolFwd want = elem_pool_fwd(x, g);
    for (const PoolFwd& got : test::at_each_thread_count([&] { return cpu_pool_fwd(x, g); }))
      EXPECT_TRUE(same_pool_fwd(got, want, x, g)) << "k " << k << ", stride " << st;
  }
}

// The fused op against the two ops it replaces, through autograd: forward values and argmax
// choices, and the input gradient, bit for bit at every thread count. Rule values put NaNs,
// infinities and both zeros in windows (relu(-0) is +0; NaN passes forward but no gradient);
// k 3 stride 2 overlaps windows, so a dx collects several relu-masked dy in order.
TEST(MaxPool2dRelu, EqualsReluOfMaxPool2dBitwise) {
  for (const auto& [k, st] : std::vector<std::pair<i64, i64>>{{2, 2}, {3, 2}, {2, 1}}) {
    const ref::Pool2dShape s{3, 4, 13, 21, k, st};
    std::vector<float> x = test::uniform_values(31, s.N * s.C * s.H * s.W);
    for (size_t i = 0; i < x.size(); i += 3) x[i] = kRuleValues[(i / 3 * 7) % kRuleValues.size()];
    const auto g = test::uniform_values(32, s.N * s.C * s.P() * s.Q());
    const auto run = [&](bool fused) {
      Tensor xt = Tensor::from_vector(x, {s.N, s.C, s.H, s.W}).set_requires_grad();
      Tensor y = fused ? ops::max_pool2d_relu(xt, k, st) : ops::relu(ops::max_pool2d(xt, k, st));
      ops::sum(ops::mul(y, Tensor::from_vector(g, y.shape()))).backward();
      return PoolRun{y.to_vector(), xt.grad().to_vector()};
    };
    const PoolRun want = run(false);
    ASSERT_GT(abs_sum(want.dx), 0);
    for (const PoolRun& got : test::at_each_thread_count([&] { return run(true); })) {
      EXPECT_TRUE(bitwise_equal(got.y, want.y, "forward, k " + std::to_string(k)));
      EXPECT_TRUE(bitwise_equal(got.dx, want.dx, "backward, k " + std::to_string(k)));
    }
  }
}

// The dropout2d form against the three ops it replaces, through autograd, bit for bit at
// every thread count: drop probabilities 0.5, 0.3 and 1, eval mode and p = 0 (the plain fused
// op), 2x2 windows on rows of 6 and 15 outputs (the CPU's 8-, 4- and 1-output steps) and
// overlapping windows, rule values (a dropped plane's NaNs and infinities must give +0), and
// a batch of 40 planes so that the masks of several Philox blocks are used.
TEST(Dropout2dMaxPool2dRelu, EqualsMaxPool2dReluOfDropout2dBitwise) {
  const ops::DropoutKey key{.seed = 5, .layer_id = 0, .step = 17};
  for (const auto& [k, st, W] : std::vector<std::tuple<i64, i64, i64>>{{2, 2, 12}, {2, 2, 31}, {3, 2, 12}}) {
    const ref::Pool2dShape s{4, 10, 9, W, k, st};
    std::vector<float> x = test::uniform_values(33, s.N * s.C * s.H * s.W);
    for (size_t i = 0; i < x.size(); i += 3) x[i] = kRuleValues[(i / 3 * 5) % kRuleValues.size()];
    const auto g = test::uniform_values(34, s.N * s.C * s.P() * s.Q());
    for (const auto& [p, training] : std::vector<std::pair<float, bool>>{{0.5f, true}, {0.3f, true}, {1.0f, true},
                                                                         {0.5f, false}, {0.0f, true}}) {
      const auto run = [&](bool fused) {
        Tensor xt = Tensor::from_vector(x, {s.N, s.C, s.H, s.W}).set_requires_grad();
        Tensor y = fused ? ops::dropout2d_max_pool2d_relu(xt, p, training, key, k, st)
                         : ops::max_pool2d_relu(ops::dropout2d(xt, p, training, key), k, st);
        ops::sum(ops::mul(y, Tensor::from_vector(g, y.shape()))).backward();
        return PoolRun{y.to_vector(), xt.grad().to_vector()};
      };
      const PoolRun want = run(false);
      if (p < 1.0f) {
        ASSERT_GT(abs_sum(want.dx), 0);
      }
      const std::string what = "k " + std::to_string(k) + ", p " + std::to_string(p) + (training ? "" : ", eval");
      for (const PoolRun& got : test::at_each_thread_count([&] { return run(true); })) {
        EXPECT_TRUE(bitwise_equal(got.y, want.y, "forward, " + what));
        EXPECT_TRUE(bitwise_equal(got.dx, want.dx, "backward, " + what));
      }
    }
  }
}

TEST(MaxPool2d, ErrorsNameOpAndShape) {
  test::expect_error<ShapeError>([] { ops::max_pool2d(Tensor::zeros({3, 28, 28}), 2); },
                     {"max_pool2d", "expected input (N,C,H,W)", "(3,28,28)"});
  test::expect_error<ShapeError>([] { ops::max_pool2d(Tensor::zeros({1, 1, 4, 4}), 0); }, {"max_pool2d", "kernel_size", "0"});
  test::expect_error<ShapeError>([] { ops::max_pool2d(Tensor::zeros({1, 1, 4, 4}), 2, -1); }, {"max_pool2d", "stride", "-1"});
  test::expect_error<ShapeError>([] { ops::max_pool2d(Tensor::zeros({1, 1, 4, 3}), 4); }, {"max_pool2d", "4", "(1,1,4,3)"});
  EXPECT_THROW(ops::max_pool2d(Tensor::from_ints({1, 2, 3, 4}, {1, 1, 2, 2}), 2), DTypeError);
}

}  // namespace
}  // namespace lockstep

// max_pool2d: reference, integer exactness, thread independence, the documented order,
// a double-precision gradient check, the tie and NaN rules, overlapping windows,
// autograd wiring and error paths.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <functional>
#include <string>

#include "core/ops.h"
#include "kernels/max_pool2d.h"
#include "reference/max_pool2d_ref.h"
#include "tests/support/compare.h"
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

TEST(MaxPool2d, WithinFloat64Reference) {
  // The forward selects an input (no rounding). The backward adds at most
  // ceil(k/stride)^2 = 4 dy values per dx element (k 3, stride 2): chain_bound(4, sum|dy|).
  const ref::Pool2dShape s{2, 3, 11, 9, 3, 2};
  const auto x = test::uniform_values(1, s.N * s.C * s.H * s.W);
  const auto g = test::uniform_values(2, s.N * s.C * s.P() * s.Q());
  ASSERT_GT(abs_sum(x), 0);
  const PoolRun got = run_pool(x, s, g, 2);
  const auto r = ref::max_pool2d_fwd(test::to_double(x), s);
  EXPECT_TRUE(test::within_bounds(got.y, r.y, std::vector<double>(r.y.size(), 0.0), "forward"));
  const auto rdx = ref::max_pool2d_bwd(test::to_double(g), r.argmax, s);
  EXPECT_TRUE(test::within_bounds(got.dx, rdx, std::vector<double>(rdx.size(), test::chain_bound(4, abs_sum(g))),
                                  "backward"));
}

TEST(MaxPool2d, ExactOnIntegerInputs) {
  // Small integers: many ties (first index must win) and exact sums of dy in the backward.
  for (const ref::Pool2dShape& s : {ref::Pool2dShape{2, 3, 8, 8, 2, 2}, ref::Pool2dShape{2, 2, 9, 7, 3, 2},
                                   ref::Pool2dShape{1, 2, 10, 10, 3, 1}}) {
    const auto x = test::int_values(3, s.N * s.C * s.H * s.W, -4, 4);
    const auto g = test::int_values(4, s.N * s.C * s.P() * s.Q(), -8, 8);
    const PoolRun got = run_pool(x, s, g, s.stride);
    const auto r = ref::max_pool2d_fwd(test::to_double(x), s);
    const std::string what = "k=" + std::to_string(s.k) + " stride=" + std::to_string(s.stride);
    EXPECT_TRUE(bitwise_equal(got.y, to_float(r.y), what + " forward"));
    EXPECT_TRUE(bitwise_equal(got.dx, to_float(ref::max_pool2d_bwd(test::to_double(g), r.argmax, s)), what + " backward"));
    ASSERT_GT(abs_sum(got.dx), 0);
  }
}

TEST(MaxPool2d, DetBitwiseAcrossThreadsAndRunToRun) {
  // 8 x 16 = 128 planes: 32 jobs of the 4-plane grain, so 16 threads all get work.
  const ref::Pool2dShape s{8, 16, 28, 28, 3, 2};
  const auto x = test::uniform_values(5, s.N * s.C * s.H * s.W);
  const auto g = test::uniform_values(6, s.N * s.C * s.P() * s.Q());
  auto run = [&] {
    PoolRun r = run_pool(x, s, g, 2);
    r.y.insert(r.y.end(), r.dx.begin(), r.dx.end());
    return r.y;
  };
  const auto results = test::at_each_thread_count(run);
  for (size_t i = 1; i < results.size(); ++i)
    EXPECT_TRUE(bitwise_equal(results[i], results[0], "threads=" + std::to_string(test::kThreadCounts[i])));
  EXPECT_TRUE(bitwise_equal(run(), results.back(), "run to run"));
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

TEST(MaxPool2d, GradCheck) {
  // Distinct values 0.1 apart (a shuffled ramp), so no central difference (h = 1e-6) can
  // change a window's argmax: the function is smooth around x.
  const kernels::Pool2dGeom g{2, 1, 5, 5, 3, 3, 2, 2, 2};
  const i64 n = g.N * g.C * g.H * g.W;
  std::vector<double> x(n);
  for (i64 i = 0; i < n; ++i) x[i] = 0.1 * static_cast<double>((i * 17) % n) - 2.0;
  auto fwd = [g](const std::vector<double>& v) {
    std::vector<double> y(g.N * g.C * g.P * g.Q);
    i64 unused;
    for (i64 nc = 0; nc < g.N * g.C; ++nc)
      for (i64 p = 0; p < g.P; ++p)
        for (i64 q = 0; q < g.Q; ++q)
          y[(nc * g.P + p) * g.Q + q] = kernels::max_pool2d_fwd_elem(v.data() + nc * g.H * g.W, g, p, q, &unused);
    return y;
  };
  auto vjp = [g](const std::vector<double>& v, const std::vector<double>& dy) {
    std::vector<i64> arg(dy.size());
    std::vector<double> dx(v.size());
    for (i64 nc = 0; nc < g.N * g.C; ++nc) {
      for (i64 p = 0; p < g.P; ++p)
        for (i64 q = 0; q < g.Q; ++q)
          kernels::max_pool2d_fwd_elem(v.data() + nc * g.H * g.W, g, p, q, &arg[(nc * g.P + p) * g.Q + q]);
      kernels::max_pool2d_bwd_plane(dy.data() + nc * g.P * g.Q, arg.data() + nc * g.P * g.Q,
                                    dx.data() + nc * g.H * g.W, g);
    }
    return dx;
  };
  EXPECT_TRUE(test::gradcheck(fwd, vjp, x));
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

void expect_shape_error(const std::function<void()>& f, std::initializer_list<std::string> fragments) {
  try {
    f();
    FAIL() << "expected ShapeError";
  } catch (const ShapeError& e) {
    for (const auto& frag : fragments) EXPECT_NE(std::string(e.what()).find(frag), std::string::npos) << e.what();
  }
}

TEST(MaxPool2d, ErrorsNameOpAndShape) {
  expect_shape_error([] { ops::max_pool2d(Tensor::zeros({3, 28, 28}), 2); },
                     {"max_pool2d", "expected input (N,C,H,W)", "(3,28,28)"});
  expect_shape_error([] { ops::max_pool2d(Tensor::zeros({1, 1, 4, 4}), 0); }, {"max_pool2d", "kernel_size", "0"});
  expect_shape_error([] { ops::max_pool2d(Tensor::zeros({1, 1, 4, 4}), 2, -1); }, {"max_pool2d", "stride", "-1"});
  expect_shape_error([] { ops::max_pool2d(Tensor::zeros({1, 1, 4, 3}), 4); }, {"max_pool2d", "4", "(1,1,4,3)"});
  EXPECT_THROW(ops::max_pool2d(Tensor::from_ints({1, 2, 3, 4}, {1, 1, 2, 2}), 2), DTypeError);
}

}  // namespace
}  // namespace lockstep

// conv2d: the documented order (docs/ordering.md#conv2d-forward, #conv2d-backward-data,
// #conv2d-backward-weight) restated in plain loops, row forms == element forms, padding and
// signed-zero rules, and error paths. The reference bounds, integer exactness, thread
// independence, element forms, autograd wiring and gradient checks of every pass are the op
// harness's (tests/ops/cases/conv2d.cpp).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <string>

#include "core/mode.h"
#include "core/ops.h"
#include "kernels/conv2d.h"
#include "reference/conv2d_ref.h"
#include "tests/support/compare.h"
#include "tests/support/errors.h"
#include "reference/bounds.h"
#include "reference/data.h"
#include "tests/support/gradcheck.h"
#include "tests/support/threads.h"

namespace lockstep {
namespace {

using ref::Conv2dShape;
using test::bitwise_equal;
namespace k = lockstep::kernels;

using test::abs_sum;
using test::non_constant;
using test::to_float;
std::string name(const Conv2dShape& s) {
  char buf[128];
  std::snprintf(buf, sizeof buf, "N%lld C%lld %lldx%lld K%lld %lldx%lld st%lld pad%lld", (long long)s.N, (long long)s.C,
                (long long)s.H, (long long)s.W, (long long)s.K, (long long)s.R, (long long)s.S, (long long)s.stride,
                (long long)s.pad);
  return buf;
}
k::Conv2dGeom geom(const Conv2dShape& s) { return {s.N, s.C, s.H, s.W, s.K, s.R, s.S, s.P(), s.Q(), s.stride, s.pad}; }

// The MNIST layers at batch 32, and odd shapes: stride 2 and 3, padding 1 and 2, R != S,
// and N = 13 / 19 so the batch reduction ends in a partial chunk of kBatchChunk = 8.
const Conv2dShape kMnistC1{32, 1, 28, 28, 10, 5, 5, 1, 0};
const Conv2dShape kMnistC2{32, 10, 12, 12, 20, 5, 5, 1, 0};
const Conv2dShape kOddSt2{13, 3, 7, 9, 5, 3, 3, 2, 1};
const Conv2dShape kOddPad2{13, 2, 6, 5, 3, 4, 3, 1, 2};
const Conv2dShape kOddSt3{19, 2, 11, 10, 4, 5, 4, 3, 2};
const std::vector<Conv2dShape> kShapes = {kMnistC1, kMnistC2, kOddSt2, kOddPad2, kOddSt3};

struct ConvData {
  std::vector<float> x, w, b, g;  // g: the upstream gradient dy
};
ConvData uniform_data(const Conv2dShape& s, std::uint64_t seed) {
  return {test::uniform_values(seed, s.x_size()), test::uniform_values(seed + 1, s.w_size()),
          test::uniform_values(seed + 2, s.K), test::uniform_values(seed + 3, s.y_size())};
}

struct ConvRun {
  std::vector<float> y, dx, dw, db;
  bool has_dx = false, has_dw = false, has_db = false;
  std::vector<float> all() const {
    std::vector<float> v = y;
    for (const auto* part : {&dx, &dw, &db}) v.insert(v.end(), part->begin(), part->end());
    return v;
  }
};

// y = conv2d(x, w, b); the gradients from sum(y * g).backward(), so the conv node sees dy = g
// exactly (sum's backward is 1, and 1 * g is exact).
ConvRun run_conv(const ConvData& d, const Conv2dShape& s, Mode mode = Mode::Deterministic, bool need_x = true,
                 bool need_w = true, bool need_b = true) {
  ModeGuard guard(mode);
  Tensor x = Tensor::from_vector(d.x, {s.N, s.C, s.H, s.W}).set_requires_grad(need_x);
  Tensor w = Tensor::from_vector(d.w, {s.K, s.C, s.R, s.S}).set_requires_grad(need_w);
  Tensor b = Tensor::from_vector(d.b, {s.K}).set_requires_grad(need_b);
  Tensor y = ops::conv2d(x, w, b, {s.stride, s.pad});
  EXPECT_EQ(y.shape(), Shape({s.N, s.K, s.P(), s.Q()}));
  ops::sum(ops::mul(y, Tensor::from_vector(d.g, y.shape()))).backward();
  ConvRun r;
  r.y = y.to_vector();
  if ((r.has_dx = x.grad().defined())) r.dx = x.grad().to_vector();
  if ((r.has_dw = w.grad().defined())) r.dw = w.grad().to_vector();
  if ((r.has_db = b.grad().defined())) r.db = b.grad().to_vector();
  return r;
}

// docs/ordering.md#conv2d-* restated in plain float loops with std::fma; `chunk` is the
// documented 8, or another width to show that the check can see the chunking.
ConvRun documented_order(const ConvData& d, const Conv2dShape& s, i64 chunk = 8) {
  const i64 P = s.P(), Q = s.Q();
  auto X = [&](i64 n, i64 c, i64 h, i64 w) { return d.x[((n * s.C + c) * s.H + h) * s.W + w]; };
  auto Wt = [&](i64 kk, i64 c, i64 r, i64 t) { return d.w[((kk * s.C + c) * s.R + r) * s.S + t]; };
  auto DY = [&](i64 n, i64 kk, i64 p, i64 q) { return d.g[((n * s.K + kk) * P + p) * Q + q]; };
  auto inside = [&](i64 h, i64 w) { return h >= 0 && h < s.H && w >= 0 && w < s.W; };
  ConvRun o;
  // Forward: acc = b[k]; for c, r, s: skip padded taps; acc = fma(x, w, acc).
  for (i64 n = 0; n < s.N; ++n)
    for (i64 kk = 0; kk < s.K; ++kk)
      for (i64 p = 0; p < P; ++p)
        for (i64 q = 0; q < Q; ++q) {
          float acc = d.b[kk];
          for (i64 c = 0; c < s.C; ++c)
            for (i64 r = 0; r < s.R; ++r)
              for (i64 t = 0; t < s.S; ++t) {
                const i64 h = p * s.stride - s.pad + r, w = q * s.stride - s.pad + t;
                if (inside(h, w)) acc = std::fma(X(n, c, h, w), Wt(kk, c, r, t), acc);
              }
          o.y.push_back(acc);
        }
  // Backward data: acc = 0; for k, r, s with h + pad - r = p*stride, w + pad - s = q*stride.
  for (i64 n = 0; n < s.N; ++n)
    for (i64 c = 0; c < s.C; ++c)
      for (i64 h = 0; h < s.H; ++h)
        for (i64 w = 0; w < s.W; ++w) {
          float acc = 0.0f;
          for (i64 kk = 0; kk < s.K; ++kk)
            for (i64 r = 0; r < s.R; ++r)
              for (i64 t = 0; t < s.S; ++t) {
                const i64 hp = h + s.pad - r, wq = w + s.pad - t;
                if (hp < 0 || wq < 0 || hp % s.stride || wq % s.stride || hp / s.stride >= P || wq / s.stride >= Q) continue;
                acc = std::fma(DY(n, kk, hp / s.stride, wq / s.stride), Wt(kk, c, r, t), acc);
              }
          o.dx.push_back(acc);
        }
  // Backward weight and bias: per chunk of 8 samples a chain over (n, p, q); partials added
  // left to right from 0.
  for (i64 kk = 0; kk < s.K; ++kk)
    for (i64 c = 0; c < s.C; ++c)
      for (i64 r = 0; r < s.R; ++r)
        for (i64 t = 0; t < s.S; ++t) {
          float total = 0.0f;
          for (i64 n0 = 0; n0 < s.N; n0 += chunk) {
            float part = 0.0f;
            for (i64 n = n0; n < std::min(n0 + chunk, s.N); ++n)
              for (i64 p = 0; p < P; ++p)
                for (i64 q = 0; q < Q; ++q) {
                  const i64 h = p * s.stride - s.pad + r, w = q * s.stride - s.pad + t;
                  if (inside(h, w)) part = std::fma(DY(n, kk, p, q), X(n, c, h, w), part);
                }
            total = total + part;
          }
          o.dw.push_back(total);
        }
  for (i64 kk = 0; kk < s.K; ++kk) {
    float total = 0.0f;
    for (i64 n0 = 0; n0 < s.N; n0 += chunk) {
      float part = 0.0f;
      for (i64 n = n0; n < std::min(n0 + chunk, s.N); ++n)
        for (i64 p = 0; p < P; ++p)
          for (i64 q = 0; q < Q; ++q) part = part + DY(n, kk, p, q);
      total = total + part;
    }
    o.db.push_back(total);
  }
  return o;
}

TEST(Conv2d, DocumentedOrder) {
  // The op (CPU row forms, threaded) must give the bits of the documented order; the op
  // harness ties the op to the per-element definition (the CUDA contract). N = 13 and 19
  // end in partial chunks.
  ASSERT_EQ(k::kBatchChunk, 8);
  // Stride 1 with C >= 4 and padding: backward data leaves out kernel rows per output row.
  for (const Conv2dShape& s : {kOddSt2, Conv2dShape{19, 2, 6, 5, 3, 4, 3, 1, 2}, kOddSt3, kMnistC2,
                               Conv2dShape{11, 5, 7, 6, 6, 3, 3, 1, 1}, Conv2dShape{9, 4, 6, 9, 3, 5, 4, 1, 2}}) {
    const ConvData d = uniform_data(s, 41);
    const ConvRun want = documented_order(d, s);
    const ConvRun got = run_conv(d, s);
    EXPECT_TRUE(bitwise_equal(got.y, want.y, name(s) + " forward"));
    EXPECT_TRUE(bitwise_equal(got.dx, want.dx, name(s) + " backward data"));
    EXPECT_TRUE(bitwise_equal(got.dw, want.dw, name(s) + " backward weight"));
    EXPECT_TRUE(bitwise_equal(got.db, want.db, name(s) + " backward bias"));
    ASSERT_TRUE(non_constant(want.y) && non_constant(want.dx) && non_constant(want.dw) && non_constant(want.db));
    // The data are such that one sequential chain over the whole batch gives other bits.
    EXPECT_FALSE(bitwise_equal(documented_order(d, s, s.N).dw, want.dw)) << name(s) << ": chunking not observable";
  }
}

TEST(Conv2dKernels, RowFormEqualsElementForm) {
  // Odd sizes, stride 1..3, padding 0..2, kernels wider than the stride, R != S, a 1-row
  // output, and N = 19 (chunks of 8, 8, 3) for the weight chunks.
  for (const Conv2dShape& s : {Conv2dShape{2, 3, 7, 9, 4, 3, 3, 1, 0}, Conv2dShape{2, 2, 9, 8, 3, 3, 5, 2, 2},
                               Conv2dShape{3, 2, 11, 10, 2, 5, 4, 3, 1}, Conv2dShape{1, 1, 5, 5, 2, 5, 5, 3, 2},
                               Conv2dShape{19, 2, 6, 7, 3, 4, 3, 2, 1}, Conv2dShape{2, 1, 4, 13, 2, 4, 2, 3, 0}}) {
    const k::Conv2dGeom g = geom(s);
    const ConvData d = uniform_data(s, 51);
    std::vector<float> row(std::max(g.Q, g.W)), a, b;
    for (i64 n = 0; n < g.N; ++n)
      for (i64 kk = 0; kk < g.K; ++kk)
        for (i64 p = 0; p < g.P; ++p) {
          k::conv2d_fwd_row(d.x.data(), d.w.data(), d.b.data(), g, n, kk, p, row.data());
          a.insert(a.end(), row.begin(), row.begin() + g.Q);
          for (i64 q = 0; q < g.Q; ++q) b.push_back(k::conv2d_fwd_elem(d.x.data(), d.w.data(), d.b.data(), g, n, kk, p, q));
        }
    EXPECT_TRUE(bitwise_equal(a, b, name(s) + " conv2d_fwd_row"));
    ASSERT_TRUE(non_constant(b));
    a.clear(), b.clear();
    for (i64 n = 0; n < g.N; ++n)
      for (i64 c = 0; c < g.C; ++c)
        for (i64 h = 0; h < g.H; ++h) {
          k::conv2d_bwd_data_row(d.g.data(), d.w.data(), g, n, c, h, row.data());
          a.insert(a.end(), row.begin(), row.begin() + g.W);
          for (i64 w = 0; w < g.W; ++w) b.push_back(k::conv2d_bwd_data_elem(d.g.data(), d.w.data(), g, n, c, h, w));
        }
    EXPECT_TRUE(bitwise_equal(a, b, name(s) + " conv2d_bwd_data_row"));
    ASSERT_TRUE(non_constant(b));
    a.clear(), b.clear();
    std::vector<float> rs(g.R * g.S);
    for (i64 j = 0; j < k::num_chunks(g.N, k::kBatchChunk); ++j)
      for (i64 kk = 0; kk < g.K; ++kk)
        for (i64 c = 0; c < g.C; ++c) {
          k::conv2d_bwd_weight_chunk_rs(d.g.data(), d.x.data(), g, j, kk, c, rs.data());
          a.insert(a.end(), rs.begin(), rs.end());
          for (i64 r = 0; r < g.R; ++r)
            for (i64 t = 0; t < g.S; ++t) b.push_back(k::conv2d_bwd_weight_chunk(d.g.data(), d.x.data(), g, j, kk, c, r, t));
        }
    EXPECT_TRUE(bitwise_equal(a, b, name(s) + " conv2d_bwd_weight_chunk_rs"));
    ASSERT_TRUE(non_constant(b));
  }
}

TEST(Conv2d, PaddedTapsSkippedAndUnreadInputsGetPlusZero) {
  // Padding rule: a tap in the padding is skipped, so an infinite weight only reaches the
  // outputs whose tap reads a real input; 0 * inf would make every padded output NaN.
  const Conv2dShape s{1, 1, 3, 3, 1, 3, 3, 1, 1};
  ConvData d{std::vector<float>(9, 1.0f), std::vector<float>(9, 1.0f), {0.5f}, std::vector<float>(9, 1.0f)};
  d.w[0] = INFINITY;  // tap (0,0) reads (p-1, q-1): inside only for p, q >= 1
  const ConvRun got = run_conv(d, s, Mode::Deterministic, false, true, false);
  for (i64 p = 0; p < 3; ++p)
    for (i64 q = 0; q < 3; ++q) {
      const float y = got.y[p * 3 + q];
      if (p >= 1 && q >= 1)
        EXPECT_EQ(y, INFINITY) << p << "," << q;
      else
        EXPECT_TRUE(std::isfinite(y)) << "padded tap was not skipped at " << p << "," << q << ": " << y;
    }
  // Stride 3 with a 2x2 kernel on 7x8 (P = 2, Q = 3): rows 2, 5, 6 and columns 2, 5 are read
  // by no tap; their dx is the chain's initial +0, with the sign bit clear.
  const Conv2dShape t{1, 1, 7, 8, 1, 2, 2, 3, 0};
  const ConvData e = uniform_data(t, 81);
  const ConvRun got2 = run_conv(e, t, Mode::Deterministic, true, false, false);
  for (i64 h = 0; h < t.H; ++h)
    for (i64 w = 0; w < t.W; ++w) {
      const bool read = h % 3 != 2 && w % 3 != 2 && h / 3 < t.P() && w / 3 < t.Q();
      const float v = got2.dx[h * t.W + w];
      if (read)
        EXPECT_NE(v, 0.0f) << h << "," << w;
      else
        EXPECT_EQ(test::float_bits(v), 0u) << "unread input " << h << "," << w << " got " << test::hexfloat(v);
    }
}

TEST(Conv2d, ErrorsNameOpAndShape) {
  const Tensor w = Tensor::zeros({10, 1, 5, 5}), b = Tensor::zeros({10});
  test::expect_error<ShapeError>([&] { ops::conv2d(Tensor::zeros({32, 3, 28, 28}), w, b); },
                           {"conv2d", "(32,3,28,28)", "(10,1,5,5)"});
  test::expect_error<ShapeError>([&] { ops::conv2d(Tensor::zeros({2, 1, 28, 28}), w, Tensor::zeros({5})); },
                           {"conv2d", "bias", "(10)", "(5)"});
  test::expect_error<ShapeError>([&] { ops::conv2d(Tensor::zeros({1, 28, 28}), w, b); },
                           {"conv2d", "expected input (N,C,H,W)", "(1,28,28)"});
  test::expect_error<ShapeError>([&] { ops::conv2d(Tensor::zeros({2, 1, 28, 28}), Tensor::zeros({10, 25}), b); },
                           {"conv2d", "weight (K,C,R,S)", "(10,25)"});
  test::expect_error<ShapeError>([&] { ops::conv2d(Tensor::zeros({2, 1, 4, 6}), w, b); },
                           {"conv2d", "kernel 5x5", "(2,1,4,6)"});
  // Padding makes the same input large enough.
  EXPECT_EQ(ops::conv2d(Tensor::zeros({2, 1, 4, 6}), w, b, {1, 1}).shape(), Shape({2, 10, 2, 4}));
  test::expect_error<ShapeError>([&] { ops::conv2d(Tensor::zeros({2, 1, 8, 8}), w, b, {0, 0}); }, {"conv2d", "stride=0"});
  test::expect_error<ShapeError>([&] { ops::conv2d(Tensor::zeros({2, 1, 8, 8}), w, b, {1, -1}); }, {"conv2d", "padding=-1"});
  test::expect_error<DTypeError>([&] { ops::conv2d(Tensor::from_ints(std::vector<i64>(25, 1), {1, 1, 5, 5}), w, b); },
                           {"conv2d", "input", "float32"});
  test::expect_error<DTypeError>([&] { ops::conv2d(Tensor::zeros({1, 1, 5, 5}), Tensor::from_ints(std::vector<i64>(250, 1), {10, 1, 5, 5}), b); },
                           {"conv2d", "weight", "float32"});
}

// Signed zeros: a chain may underflow to -0, and the canonical order skips padded taps, so
// the CPU must not add fma(0, w, acc) for them (that would turn -0 into +0 when w > 0).
// Forward (with padding) and backward data (border taps) are each checked at an output whose
// documented chain ends in -0; backward weight cannot end in -0 (Note [Zero taps]).
TEST(Conv2d, SkippedTapsPreserveNegativeZero) {
  // Forward: y[0,0,2,2] of a 3x3 input, 3x3 kernel, pad 1. Tap (0,0) reads x[1,1]:
  // fma(-2^-100, 2^-100, +0) = -0; tap (0,1) adds x[1,2]*w = 0*(-1), keeping -0; tap (0,2) is in
  // the padding and is skipped, so -0 survives.
  std::vector<float> x(9, 0.0f), w(9, -1.0f);
  x[4] = -0x1p-100f, w[0] = 0x1p-100f, w[2] = 1.0f;
  const kernels::Conv2dGeom g{1, 1, 3, 3, 1, 3, 3, 3, 3, 1, 1};
  const float b0 = 0.0f;
  const float want = kernels::conv2d_fwd_elem(x.data(), w.data(), &b0, g, 0, 0, 2, 2);
  ASSERT_TRUE(std::signbit(want)) << "the element order keeps -0";
  const Tensor y = ops::conv2d(Tensor::from_vector(x, {1, 1, 3, 3}), Tensor::from_vector(w, {1, 1, 3, 3}),
                               Tensor::zeros({1}), {1, 1});
  EXPECT_TRUE(test::bitwise_equal({y.to_vector()[8]}, {want}, "forward y[0,0,2,2]"));
  // Backward data, no padding: every dx element of a border row has taps that fall outside dy.
  // dy = 3x3 of a 5x5 input with a 3x3 kernel; make dx[0,0,0,1]'s chain -0 then add skipped taps.
  {
    const kernels::Conv2dGeom gd{1, 1, 5, 5, 1, 3, 3, 3, 3, 1, 0};
    std::vector<float> dy(9, 0.0f), wd(9, 1.0f);
    dy[0] = -0x1p-100f, wd[1] = 0x1p-100f;  // dx[0,1] first tap: k=0,r=0,s=1 reads dy[0,0]
    std::vector<float> want_dx(25);
    for (i64 h = 0; h < 5; ++h)
      for (i64 c = 0; c < 5; ++c) want_dx[static_cast<size_t>(h * 5 + c)] = kernels::conv2d_bwd_data_elem(dy.data(), wd.data(), gd, 0, 0, h, c);
    ASSERT_TRUE(std::signbit(want_dx[1])) << "the element order keeps -0 at dx[0,0,0,1]";
    Tensor xin = Tensor::zeros({1, 1, 5, 5}).set_requires_grad();
    const Tensor y = ops::conv2d(xin, Tensor::from_vector(wd, {1, 1, 3, 3}), Tensor::zeros({1}));
    ops::sum(ops::mul(y, Tensor::from_vector(dy, {1, 1, 3, 3}))).backward();
    EXPECT_TRUE(test::bitwise_equal(xin.grad().to_vector(), want_dx, "backward data"));
  }
}

}  // namespace
}  // namespace lockstep

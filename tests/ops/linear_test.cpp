// linear (y = x W^T + b): the documented order (docs/ordering.md#linear-forward,
// #linear-backward-data, #linear-backward-weight) restated in plain loops, row forms ==
// element forms and errors. The reference bounds, integer exactness, thread independence,
// element forms, autograd wiring and gradient checks of every pass are the op harness's
// (tests/ops/cases/linear.cpp).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <string>

#include "core/mode.h"
#include "core/ops.h"
#include "kernels/linear.h"
#include "reference/linear_ref.h"
#include "tests/support/compare.h"
#include "tests/support/errors.h"
#include "reference/bounds.h"
#include "reference/data.h"
#include "tests/support/gradcheck.h"
#include "tests/support/threads.h"

namespace lockstep {
namespace {

using ref::LinearShape;
using test::bitwise_equal;
namespace k = lockstep::kernels;

using test::abs_sum;
using test::non_constant;
using test::to_float;
std::string name(const LinearShape& s) {
  char buf[96];
  std::snprintf(buf, sizeof buf, "N%lld %lld->%lld", (long long)s.N, (long long)s.I, (long long)s.O);
  return buf;
}

// The MNIST layers at batch 32, and odd shapes whose batch ends in a partial chunk of 8.
const LinearShape kFc1{32, 320, 50};
const LinearShape kFc2{32, 50, 10};
const LinearShape kOdd13{13, 7, 5};
const LinearShape kOdd19{19, 33, 17};
const std::vector<LinearShape> kShapes = {kFc1, kFc2, kOdd13, kOdd19, LinearShape{1, 3, 1}};

struct LinData {
  std::vector<float> x, w, b, g;  // g: the upstream gradient dy
};
LinData uniform_data(const LinearShape& s, std::uint64_t seed) {
  return {test::uniform_values(seed, s.N * s.I), test::uniform_values(seed + 1, s.O * s.I),
          test::uniform_values(seed + 2, s.O), test::uniform_values(seed + 3, s.N * s.O)};
}

struct LinRun {
  std::vector<float> y, dx, dw, db;
  bool has_dx = false, has_dw = false, has_db = false;
  std::vector<float> all() const {
    std::vector<float> v = y;
    for (const auto* part : {&dx, &dw, &db}) v.insert(v.end(), part->begin(), part->end());
    return v;
  }
};

// y = linear(x, w, b); gradients from sum(y * g).backward(), so the node sees dy = g exactly.
LinRun run_linear(const LinData& d, const LinearShape& s, Mode mode = Mode::Deterministic, bool need_x = true,
                  bool need_w = true, bool need_b = true) {
  ModeGuard guard(mode);
  Tensor x = Tensor::from_vector(d.x, {s.N, s.I}).set_requires_grad(need_x);
  Tensor w = Tensor::from_vector(d.w, {s.O, s.I}).set_requires_grad(need_w);
  Tensor b = Tensor::from_vector(d.b, {s.O}).set_requires_grad(need_b);
  Tensor y = ops::linear(x, w, b);
  EXPECT_EQ(y.shape(), Shape({s.N, s.O}));
  ops::sum(ops::mul(y, Tensor::from_vector(d.g, y.shape()))).backward();
  LinRun r;
  r.y = y.to_vector();
  if ((r.has_dx = x.grad().defined())) r.dx = x.grad().to_vector();
  if ((r.has_dw = w.grad().defined())) r.dw = w.grad().to_vector();
  if ((r.has_db = b.grad().defined())) r.db = b.grad().to_vector();
  return r;
}

// docs/ordering.md#linear-* restated in plain float loops with std::fma; `chunk` is the
// documented 8, or another width to show that the check can see the chunking.
LinRun documented_order(const LinData& d, const LinearShape& s, i64 chunk = 8) {
  LinRun o;
  for (i64 n = 0; n < s.N; ++n)
    for (i64 j = 0; j < s.O; ++j) {
      float acc = d.b[j];
      for (i64 i = 0; i < s.I; ++i) acc = std::fma(d.x[n * s.I + i], d.w[j * s.I + i], acc);
      o.y.push_back(acc);
    }
  for (i64 n = 0; n < s.N; ++n)
    for (i64 i = 0; i < s.I; ++i) {
      float acc = 0.0f;
      for (i64 j = 0; j < s.O; ++j) acc = std::fma(d.g[n * s.O + j], d.w[j * s.I + i], acc);
      o.dx.push_back(acc);
    }
  for (i64 j = 0; j < s.O; ++j)
    for (i64 i = 0; i < s.I; ++i) {
      float total = 0.0f;
      for (i64 n0 = 0; n0 < s.N; n0 += chunk) {
        float part = 0.0f;
        for (i64 n = n0; n < std::min(n0 + chunk, s.N); ++n) part = std::fma(d.g[n * s.O + j], d.x[n * s.I + i], part);
        total = total + part;
      }
      o.dw.push_back(total);
    }
  for (i64 j = 0; j < s.O; ++j) {
    float total = 0.0f;
    for (i64 n0 = 0; n0 < s.N; n0 += chunk) {
      float part = 0.0f;
      for (i64 n = n0; n < std::min(n0 + chunk, s.N); ++n) part = part + d.g[n * s.O + j];
      total = total + part;
    }
    o.db.push_back(total);
  }
  return o;
}

TEST(Linear, DocumentedOrder) {
  // The op (CPU row forms, threaded) must give the bits of the documented order; the op
  // harness ties it to the per-element definition. N = 13 and 19 end in partial chunks.
  ASSERT_EQ(k::kBatchChunk, 8);
  for (const LinearShape& s : {kOdd13, kOdd19, kFc1, LinearShape{43, 50, 10}}) {
    const LinData d = uniform_data(s, 41);
    const LinRun want = documented_order(d, s);
    const LinRun got = run_linear(d, s);
    EXPECT_TRUE(bitwise_equal(got.y, want.y, name(s) + " forward"));
    EXPECT_TRUE(bitwise_equal(got.dx, want.dx, name(s) + " backward data"));
    EXPECT_TRUE(bitwise_equal(got.dw, want.dw, name(s) + " backward weight"));
    EXPECT_TRUE(bitwise_equal(got.db, want.db, name(s) + " backward bias"));
    ASSERT_TRUE(non_constant(want.y) && non_constant(want.dx) && non_constant(want.dw) && non_constant(want.db));
    EXPECT_FALSE(bitwise_equal(documented_order(d, s, s.N).dw, want.dw)) << name(s) << ": chunking not observable";
  }
}

TEST(LinearKernels, RowFormEqualsElementForm) {
  // Odd sizes, 1-wide rows and columns, and N = 19 (chunks 8, 8, 3) for the weight rows.
  for (const LinearShape& s : {LinearShape{3, 7, 5}, LinearShape{19, 33, 17}, LinearShape{1, 1, 9},
                               LinearShape{9, 13, 1}, LinearShape{17, 320, 50}}) {
    const k::LinearGeom g{s.N, s.I, s.O};
    const LinData d = uniform_data(s, 51);
    std::vector<float> wt(s.I * s.O);
    for (i64 o = 0; o < s.O; ++o)
      for (i64 i = 0; i < s.I; ++i) wt[i * s.O + o] = d.w[o * s.I + i];
    std::vector<float> row(std::max(s.I, s.O)), part(s.I), a, b;
    for (i64 n = 0; n < s.N; ++n) {
      k::linear_fwd_row(d.x.data(), wt.data(), d.b.data(), g, n, row.data());
      a.insert(a.end(), row.begin(), row.begin() + s.O);
      for (i64 o = 0; o < s.O; ++o) b.push_back(k::linear_fwd_elem(d.x.data(), d.w.data(), d.b.data(), g, n, o));
    }
    EXPECT_TRUE(bitwise_equal(a, b, name(s) + " linear_fwd_row"));
    ASSERT_GT(abs_sum(b), 0);
    a.clear(), b.clear();
    for (i64 n = 0; n < s.N; ++n) {
      k::linear_bwd_data_row(d.g.data(), d.w.data(), g, n, row.data());
      a.insert(a.end(), row.begin(), row.begin() + s.I);
      for (i64 i = 0; i < s.I; ++i) b.push_back(k::linear_bwd_data_elem(d.g.data(), d.w.data(), g, n, i));
    }
    EXPECT_TRUE(bitwise_equal(a, b, name(s) + " linear_bwd_data_row"));
    ASSERT_GT(abs_sum(b), 0);
    a.clear(), b.clear();
    for (i64 o = 0; o < s.O; ++o) {
      k::linear_bwd_weight_row(d.g.data(), d.x.data(), g, o, row.data(), part.data());
      a.insert(a.end(), row.begin(), row.begin() + s.I);
      for (i64 i = 0; i < s.I; ++i) b.push_back(k::linear_bwd_weight_elem(d.g.data(), d.x.data(), g, o, i));
    }
    EXPECT_TRUE(bitwise_equal(a, b, name(s) + " linear_bwd_weight_row"));
    ASSERT_GT(abs_sum(b), 0);
  }
}

TEST(Linear, ErrorsNameOpAndShape) {
  const Tensor w = Tensor::zeros({50, 320}), b = Tensor::zeros({50});
  test::expect_error<ShapeError>([&] { ops::linear(Tensor::zeros({32, 300}), w, b); }, {"linear", "(32,300)", "(50,320)"});
  test::expect_error<ShapeError>([&] { ops::linear(Tensor::zeros({32, 320}), w, Tensor::zeros({10})); },
                           {"linear", "bias", "(50)", "(10)"});
  test::expect_error<ShapeError>([&] { ops::linear(Tensor::zeros({32, 20, 4, 4}), w, b); },
                           {"linear", "expected input (N,I)", "(32,20,4,4)"});
  test::expect_error<ShapeError>([&] { ops::linear(Tensor::zeros({32, 320}), Tensor::zeros({320}), b); },
                           {"linear", "weight (O,I)", "(320)"});
  test::expect_error<DTypeError>([&] { ops::linear(Tensor::from_ints(std::vector<i64>(320, 1), {1, 320}), w, b); },
                           {"linear", "input", "float32"});
  test::expect_error<DTypeError>([&] { ops::linear(Tensor::zeros({1, 320}), w, Tensor::from_ints(std::vector<i64>(50, 1), {50})); },
                           {"linear", "bias", "float32"});
}

}  // namespace
}  // namespace lockstep

// relu: reference, integer exactness, thread independence, the documented order, a
// double-precision gradient check, NaN propagation, autograd wiring and error paths.
#include <gtest/gtest.h>

#include <cmath>

#include "core/ops.h"
#include "kernels/relu.h"
#include "reference/relu_ref.h"
#include "tests/support/compare.h"
#include "reference/data.h"
#include "tests/support/gradcheck.h"
#include "tests/support/threads.h"

namespace lockstep {
namespace {

using test::bitwise_equal;

std::vector<float> to_float(const std::vector<double>& v) { return std::vector<float>(v.begin(), v.end()); }

// Guards against vacuous checks: some positive, some negative, so both branches run.
void expect_mixed_signs(const std::vector<float>& v) {
  size_t pos = 0, neg = 0;
  for (float f : v) pos += f > 0, neg += f < 0;
  ASSERT_GT(pos, 0u);
  ASSERT_GT(neg, 0u);
}

TEST(ReluFwd, WithinFloat64Reference) {
  // relu selects an input or 0: no rounding at all, so the bound is 0 (one "rounding" of
  // zero terms: chain_bound(0, .) = 0) and the float result equals the reference exactly.
  const auto x = test::uniform_values(11, 4096, -3.0f, 3.0f);
  expect_mixed_signs(x);
  const auto y = ops::relu(Tensor::from_vector(x, {64, 64})).to_vector();
  const auto r = ref::relu_fwd(test::to_double(x));
  EXPECT_TRUE(test::within_bounds(y, r, std::vector<double>(r.size(), test::chain_bound(0, 1.0))));
}

TEST(ReluFwd, ExactOnIntegerInputs) {
  const auto x = test::int_values(5, 1000, -9, 9);
  expect_mixed_signs(x);
  const auto y = ops::relu(Tensor::from_vector(x, {1000})).to_vector();
  EXPECT_TRUE(bitwise_equal(y, to_float(ref::relu_fwd(test::to_double(x)))));
}

TEST(ReluBwd, ExactOnIntegerInputs) {
  const auto x = test::int_values(6, 1000, -9, 9), g = test::int_values(7, 1000, -5, 5);
  expect_mixed_signs(x);
  Tensor xt = Tensor::from_vector(x, {1000}).set_requires_grad();
  ops::sum(ops::mul(ops::relu(xt), Tensor::from_vector(g, {1000}))).backward();
  EXPECT_TRUE(bitwise_equal(xt.grad().to_vector(), to_float(ref::relu_bwd(test::to_double(g), test::to_double(x)))));
}

TEST(Relu, DetBitwiseAcrossThreadsAndRunToRun) {
  // 600k elements: above 16 x the 32k grain, so every thread count really splits the range.
  const i64 n = 600000;
  const Tensor x = test::uniform_tensor(21, {n}, -1.0f, 1.0f);
  const Tensor g = test::uniform_tensor(22, {n}, -1.0f, 1.0f);
  auto run = [&] {
    Tensor xg = x.clone().set_requires_grad();
    Tensor y = ops::relu(xg);
    ops::sum(ops::mul(y, g)).backward();
    std::vector<float> out = y.to_vector();
    const auto dx = xg.grad().to_vector();
    out.insert(out.end(), dx.begin(), dx.end());
    return out;
  };
  const auto results = test::at_each_thread_count(run);
  for (size_t i = 1; i < results.size(); ++i)
    EXPECT_TRUE(bitwise_equal(results[i], results[0], "threads=" + std::to_string(test::kThreadCounts[i])));
  EXPECT_TRUE(bitwise_equal(run(), results.back(), "run to run"));
}

TEST(Relu, DocumentedOrder) {
  // docs/ordering.md#relu: y = x > 0 ? x : (x is NaN ? x : 0); dx = x > 0 ? dy : 0.
  auto x = test::uniform_values(31, 1000, -2.0f, 2.0f);
  x[3] = NAN, x[4] = -0.0f, x[5] = 0.0f, x[6] = INFINITY, x[7] = -INFINITY;
  const auto g = test::uniform_values(32, 1000);
  Tensor xt = Tensor::from_vector(x, {1000}).set_requires_grad();
  Tensor y = ops::relu(xt);
  ops::sum(ops::mul(y, Tensor::from_vector(g, {1000}))).backward();
  std::vector<float> want_y(x.size()), want_dx(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    want_y[i] = x[i] > 0 ? x[i] : (x[i] != x[i] ? x[i] : 0.0f);
    want_dx[i] = x[i] > 0 ? g[i] : 0.0f;
  }
  EXPECT_TRUE(bitwise_equal(y.to_vector(), want_y));
  EXPECT_TRUE(bitwise_equal(xt.grad().to_vector(), want_dx));
  EXPECT_TRUE(std::isnan(y.to_vector()[3])) << "NaN must propagate";
  EXPECT_EQ(test::float_bits(y.to_vector()[4]), 0u) << "-0 maps to +0";
}

TEST(Relu, GradCheck) {
  // Inputs kept at |x| >= 0.05 so no central difference (h = 1e-6) straddles the kink.
  std::vector<double> x(24);
  for (size_t i = 0; i < x.size(); ++i) {
    const double u = test::hash_uniform(41, i, 0.05f, 1.0f);
    x[i] = i % 3 == 0 ? -u : u;
  }
  auto fwd = [](const std::vector<double>& v) {
    std::vector<double> y(v.size());
    for (size_t i = 0; i < v.size(); ++i) y[i] = kernels::relu_fwd_elem(v[i]);
    return y;
  };
  auto vjp = [](const std::vector<double>& v, const std::vector<double>& dy) {
    std::vector<double> dx(v.size());
    for (size_t i = 0; i < v.size(); ++i) dx[i] = kernels::relu_bwd_elem(dy[i], v[i]);
    return dx;
  };
  EXPECT_TRUE(test::gradcheck(fwd, vjp, x));
}

TEST(Relu, WrongDtypeNamesOp) {
  try {
    ops::relu(Tensor::from_ints({1, 2}, {2}));
    FAIL() << "expected DTypeError";
  } catch (const DTypeError& e) {
    EXPECT_NE(std::string(e.what()).find("relu"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("int64"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace lockstep

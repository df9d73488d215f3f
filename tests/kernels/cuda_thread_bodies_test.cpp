// The CUDA backend's per-thread arithmetic (cuda/thread_bodies.h), run on the CPU: every item
// of every deterministic CUDA kernel, evaluated in a scrambled order (no thread order may
// matter), partials combined as the second kernel does, must equal the CPU deterministic
// kernels bitwise. This checks the decomposition (index maps, chunk partials, Note
// [Sub-batch partials]) without a GPU; tests/cuda/ checks the same on a device.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <numeric>

#include "core/random.h"
#include "cpu/kernels.h"
#include "cuda/thread_bodies.h"
#include "tests/cuda/shapes.h"
#include "tests/support/compare.h"
#include "reference/data.h"

namespace lockstep {
namespace {

using test::bitwise_equal;
using test::describe;

// Calls f(t) for every t in [0, n) in a fixed scrambled order (odd stride, then reversed halves).
void for_items(i64 n, const std::function<void(i64)>& f) {
  if (n <= 0) return;
  i64 stride = 7919 % n == 0 ? 1 : 7919;
  while (std::gcd(stride, n) != 1) stride += 2;
  for (i64 i = n - 1; i >= 0; --i) f((i * stride) % n);
}

std::vector<float> combine(const std::vector<float>& partial, i64 chunks, i64 outs) {
  std::vector<float> out(static_cast<size_t>(outs));
  for_items(outs, [&](i64 e) { out[static_cast<size_t>(e)] = cuda::combine_item(partial.data(), chunks, e); });
  return out;
}

// Inputs with a few exact zeros and negative zeros mixed in, so partial signs are exercised.
std::vector<float> data(std::uint64_t seed, i64 n) {
  std::vector<float> v = test::uniform_values(seed, n, -1.0f, 1.0f);
  for (i64 i = 0; i < n; i += 17) v[static_cast<size_t>(i)] = (i / 17) % 2 ? -0.0f : 0.0f;
  return v;
}

TEST(CudaThreadBodies, Conv2dAllPassesEqualCpuDetBitwise) {
  for (const Conv2dGeom& g : test::conv_shapes()) {
    const auto x = data(1, g.N * g.C * g.H * g.W), w = data(2, g.K * g.C * g.R * g.S), b = data(3, g.K),
               dy = data(4, g.N * g.K * g.P * g.Q);
    std::vector<float> y(dy.size()), want_y(dy.size());
    cpu::conv2d_fwd_det(x.data(), w.data(), b.data(), want_y.data(), g);
    for_items(g.N * g.K * g.P * g.Q, [&](i64 t) { y[size_t(t)] = cuda::conv2d_fwd_item(x.data(), w.data(), b.data(), g, t); });
    EXPECT_TRUE(bitwise_equal(y, want_y, "fwd " + describe(g)));

    std::vector<float> dx(x.size()), want_dx(x.size());
    cpu::conv2d_bwd_data_det(dy.data(), w.data(), want_dx.data(), g);
    for_items(g.N * g.C * g.H * g.W, [&](i64 t) { dx[size_t(t)] = cuda::conv2d_bwd_data_item(dy.data(), w.data(), g, t); });
    EXPECT_TRUE(bitwise_equal(dx, want_dx, "bwd data " + describe(g)));

    std::vector<float> want_dw(w.size()), want_db(b.size());
    cpu::conv2d_bwd_weight_det(dy.data(), x.data(), want_dw.data(), want_db.data(), g);
    const i64 chunks = cuda::batch_chunks(g.N), taps = g.K * g.C * g.R * g.S;
    std::vector<float> pw(static_cast<size_t>(taps * chunks)), pb(static_cast<size_t>(g.K * chunks));
    for_items(taps * chunks, [&](i64 t) { pw[size_t(t)] = cuda::conv2d_bwd_weight_partial_item(dy.data(), x.data(), g, t); });
    for_items(g.K * chunks, [&](i64 t) { pb[size_t(t)] = cuda::conv2d_bwd_bias_partial_item(dy.data(), g, t); });
    EXPECT_TRUE(bitwise_equal(combine(pw, chunks, taps), want_dw, "bwd weight " + describe(g)));
    EXPECT_TRUE(bitwise_equal(combine(pb, chunks, g.K), want_db, "bwd bias " + describe(g)));
  }
}

TEST(CudaThreadBodies, LinearAllPassesEqualCpuDetBitwise) {
  for (const LinearGeom& g : test::linear_shapes()) {
    const auto x = data(5, g.N * g.I), w = data(6, g.O * g.I), b = data(7, g.O), dy = data(8, g.N * g.O);
    std::vector<float> y(dy.size()), want_y(dy.size());
    cpu::linear_fwd_det(x.data(), w.data(), b.data(), want_y.data(), g);
    for_items(g.N * g.O, [&](i64 t) { y[size_t(t)] = cuda::linear_fwd_item(x.data(), w.data(), b.data(), g, t); });
    EXPECT_TRUE(bitwise_equal(y, want_y, "fwd " + describe(g)));

    std::vector<float> dx(x.size()), want_dx(x.size());
    cpu::linear_bwd_data_det(dy.data(), w.data(), want_dx.data(), g);
    for_items(g.N * g.I, [&](i64 t) { dx[size_t(t)] = cuda::linear_bwd_data_item(dy.data(), w.data(), g, t); });
    EXPECT_TRUE(bitwise_equal(dx, want_dx, "bwd data " + describe(g)));

    std::vector<float> want_dw(w.size()), want_db(b.size());
    cpu::linear_bwd_weight_det(dy.data(), x.data(), want_dw.data(), want_db.data(), g);
    const i64 chunks = cuda::batch_chunks(g.N);
    std::vector<float> pw(static_cast<size_t>(g.O * g.I * chunks)), pb(static_cast<size_t>(g.O * chunks));
    for_items(g.O * g.I * chunks, [&](i64 t) { pw[size_t(t)] = cuda::linear_bwd_weight_partial_item(dy.data(), x.data(), g, t); });
    for_items(g.O * chunks, [&](i64 t) { pb[size_t(t)] = cuda::linear_bwd_bias_partial_item(dy.data(), g, t); });
    EXPECT_TRUE(bitwise_equal(combine(pw, chunks, g.O * g.I), want_dw, "bwd weight " + describe(g)));
    EXPECT_TRUE(bitwise_equal(combine(pb, chunks, g.O), want_db, "bwd bias " + describe(g)));
  }
}

TEST(CudaThreadBodies, MaxPool2dBothPassesEqualCpuDetBitwise) {
  for (const Pool2dGeom& g : test::pool_shapes()) {
    auto x = data(9, g.N * g.C * g.H * g.W);
    for (size_t i = 0; i < x.size(); i += 5) x[i] = 0.25f;  // ties: the first index must win
    const auto dy = data(10, g.N * g.C * g.P * g.Q);
    std::vector<float> y(dy.size()), want_y(dy.size());
    std::vector<i64> am(dy.size()), want_am(dy.size());
    cpu::max_pool2d_fwd_det(x.data(), want_y.data(), want_am.data(), g);
    for_items(g.N * g.C * g.P * g.Q, [&](i64 t) { y[size_t(t)] = cuda::max_pool2d_fwd_item(x.data(), am.data(), g, t); });
    EXPECT_TRUE(bitwise_equal(y, want_y, "fwd " + describe(g)));
    EXPECT_EQ(am, want_am) << describe(g);

    std::vector<float> dx(x.size()), want_dx(x.size());
    cpu::max_pool2d_bwd_det(dy.data(), want_am.data(), want_dx.data(), g);
    for_items(g.N * g.C * g.H * g.W, [&](i64 t) { dx[size_t(t)] = cuda::max_pool2d_bwd_item(dy.data(), want_am.data(), g, t); });
    EXPECT_TRUE(bitwise_equal(dx, want_dx, "bwd " + describe(g)));
  }
}

TEST(CudaThreadBodies, MaxPool2dReluBothPassesEqualCpuDetBitwise) {
  for (const Pool2dGeom& g : test::pool_shapes()) {
    auto x = data(9, g.N * g.C * g.H * g.W);
    for (size_t i = 0; i < x.size(); i += 5) x[i] = 0.25f;  // ties: the first index must win
    for (size_t i = 3; i < x.size(); i += 7) x[i] = -0.0f;  // zeros that relu's tests tell apart
    const auto dy = data(10, g.N * g.C * g.P * g.Q);
    // Alone, and as dropout2d_max_pool2d_relu (p 0.5, mask indices from 3, as on a later rank).
    const kernels::DropoutParams d = kernels::dropout_params(kernels::make_stream(7, 1, 2, 3), 0.5f, g.H * g.W, 3);
    for (const kernels::DropoutParams* drop : {static_cast<const kernels::DropoutParams*>(nullptr), &d}) {
      const std::string what = describe(g) + (drop ? " with dropout2d" : "");
      std::vector<float> y(dy.size()), want_y(dy.size());
      std::vector<i64> am(dy.size()), want_am(dy.size());
      cpu::max_pool2d_relu_fwd_det(x.data(), drop, want_y.data(), want_am.data(), g);
      for_items(g.N * g.C * g.P * g.Q,
                [&](i64 t) { y[size_t(t)] = cuda::max_pool2d_relu_fwd_item(x.data(), drop, am.data(), g, t); });
      EXPECT_TRUE(bitwise_equal(y, want_y, "fwd " + what));
      EXPECT_EQ(am, want_am) << what;

      std::vector<float> dx(x.size()), want_dx(x.size());
      cpu::max_pool2d_relu_bwd_det(dy.data(), want_y.data(), want_am.data(), drop, want_dx.data(), g);
      for_items(g.N * g.C * g.H * g.W, [&](i64 t) {
        dx[size_t(t)] = cuda::max_pool2d_relu_bwd_item(dy.data(), want_y.data(), want_am.data(), drop, g, t);
      });
      EXPECT_TRUE(bitwise_equal(dx, want_dx, "bwd " + what));
    }
  }
}

TEST(CudaThreadBodies, SumNllLossLogSoftmaxEqualCpuDetBitwise) {
  for (i64 n : test::flat_sizes()) {
    const auto x = data(11, n);
    float want = 0;
    cpu::sum_det(x.data(), n, &want);
    const i64 chunks = kernels::num_chunks(n, kernels::kSumChunk);
    std::vector<float> partial(static_cast<size_t>(chunks));
    for_items(chunks, [&](i64 t) { partial[size_t(t)] = cuda::sum_partial_item(x.data(), n, t); });
    EXPECT_TRUE(bitwise_equal({kernels::combine_partials(partial.data(), chunks)}, {want}, "sum n=" + std::to_string(n)));
  }
  for (const auto& [rows_, cols_] : test::row_shapes()) {
    const i64 rows = rows_, cols = cols_;  // lambdas may not capture structured bindings (clang)
    const std::string what = "rows=" + std::to_string(rows) + " cols=" + std::to_string(cols);
    const auto x = data(12, rows * cols), dy = data(13, rows * cols);
    std::vector<float> y(x.size()), want_y(x.size()), dx(x.size()), want_dx(x.size());
    cpu::log_softmax_fwd_det(x.data(), want_y.data(), rows, cols);
    for_items(rows, [&](i64 t) { cuda::log_softmax_fwd_item(x.data(), y.data(), cols, t); });
    EXPECT_TRUE(bitwise_equal(y, want_y, "log_softmax fwd " + what));
    cpu::log_softmax_bwd_det(dy.data(), want_y.data(), want_dx.data(), rows, cols);
    for_items(rows, [&](i64 t) { cuda::log_softmax_bwd_item(dy.data(), want_y.data(), dx.data(), cols, t); });
    EXPECT_TRUE(bitwise_equal(dx, want_dx, "log_softmax bwd " + what));

    std::vector<i64> target(static_cast<size_t>(rows));
    for (i64 n = 0; n < rows; ++n) target[size_t(n)] = static_cast<i64>(test::mix64(static_cast<std::uint64_t>(n)) % cols);
    float want_loss = 0;
    cpu::nll_loss_fwd_det(want_y.data(), target.data(), &want_loss, rows, cols);
    const i64 chunks = cuda::batch_chunks(rows);
    std::vector<float> partial(static_cast<size_t>(chunks));
    for_items(chunks, [&](i64 t) { partial[size_t(t)] = cuda::nll_loss_fwd_partial_item(want_y.data(), target.data(), rows, cols, t); });
    EXPECT_TRUE(bitwise_equal({kernels::nll_loss_fwd_finish(partial.data(), rows)}, {want_loss}, "nll fwd " + what));
    const float dloss = 0.75f;
    std::vector<float> dlogp(x.size()), want_dlogp(x.size());
    cpu::nll_loss_bwd_det(&dloss, target.data(), want_dlogp.data(), rows, cols, rows);
    for_items(rows * cols, [&](i64 t) { dlogp[size_t(t)] = cuda::nll_loss_bwd_item(&dloss, target.data(), cols, rows, t); });
    EXPECT_TRUE(bitwise_equal(dlogp, want_dlogp, "nll bwd " + what));
  }
}

TEST(CudaThreadBodies, DropoutAndGatherEqualCpuDetBitwise) {
  for (i64 n : test::flat_sizes()) {
    for (i64 group : {i64(1), i64(7), i64(64)}) {
      const auto x = data(14, n);
      const auto d = kernels::dropout_params(random::stream_for_dropout(3, 1, 17), 0.5f, group);
      std::vector<float> y(x.size()), want(x.size());
      cpu::dropout_apply_det(x.data(), want.data(), d, n);
      for_items(n, [&](i64 t) { y[size_t(t)] = cuda::dropout_item(x.data(), d, t); });
      EXPECT_TRUE(bitwise_equal(y, want, "dropout n=" + std::to_string(n) + " group=" + std::to_string(group)));
    }
  }
  const i64 rows = 11, row_words = 6;
  const auto src = data(15, 40 * row_words);
  std::vector<i64> index(static_cast<size_t>(rows));
  for (i64 r = 0; r < rows; ++r) index[size_t(r)] = (r * 13 + 5) % 40;
  std::vector<float> want(static_cast<size_t>(rows * row_words)), got(want.size());
  cpu::gather_rows_det(src.data(), index.data(), want.data(), rows, row_words * 4);
  std::vector<std::uint32_t> words(src.size());
  std::memcpy(words.data(), src.data(), src.size() * 4);
  for_items(rows * row_words, [&](i64 t) {
    const std::uint32_t w = cuda::gather_item(words.data(), index.data(), row_words, t);
    std::memcpy(&got[size_t(t)], &w, 4);
  });
  EXPECT_TRUE(bitwise_equal(got, want, "gather_rows"));
}

}  // namespace
}  // namespace lockstep

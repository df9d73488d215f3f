// The ops' side of data-parallel training (core/batch_shard.h): ranks that each run their
// batch chunks in a BatchShardScope, and combine their partials in chunk order, get the bits
// of one process running the whole batch. The ranks run here one after another in one
// process; tests/cli/data_parallel.sh runs them under mpirun.
#include <gtest/gtest.h>

#include <cstring>

#include "core/autograd.h"
#include "core/batch_shard.h"
#include "core/mode.h"
#include "core/ops.h"
#include "core/ops_random.h"
#include "kernels/nll_loss.h"
#include "kernels/reduce.h"
#include "reference/data.h"

namespace lockstep {
namespace {

// Shards of a batch of 30 rows (4 chunks: 8, 8, 8, 6) as three ranks hold them: uneven, and
// the last one short.
const std::vector<BatchShard> kShards = {{30, 0, 8}, {30, 8, 16}, {30, 24, 6}};

Tensor rows_of(const Tensor& t, i64 first, i64 rows) {
  std::vector<i64> dims = t.shape().dims();
  const i64 row = t.numel() / dims[0];
  dims[0] = rows;
  const std::vector<float> all = t.to_vector();
  return Tensor::from_vector(std::vector<float>(all.begin() + first * row, all.begin() + (first + rows) * row),
                             Shape(dims));
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

// Every shard's partials of `param`, concatenated in rank order, combined in chunk order.
std::vector<float> combined(const std::vector<Tensor>& partials, i64 n) {
  std::vector<float> all;
  for (const Tensor& p : partials) {
    const std::vector<float> v = p.to_vector();
    all.insert(all.end(), v.begin(), v.end());
  }
  std::vector<float> out(static_cast<size_t>(n));
  kernels::combine_chunk_partials(all.data(), static_cast<i64>(all.size()) / n, n, out.data());
  return out;
}

// A layer's weight and bias gradients over the whole batch vs its shards' combined partials.
// dy: the gradient reaching the layer's output (seeded values when undefined).
template <class Layer>
void expect_partials_combine_to_full(const Tensor& x, const Tensor& w, const Tensor& b, Layer layer,
                                     Tensor dy_full = Tensor()) {
  ModeGuard det(Mode::Deterministic);
  if (!dy_full.defined()) {
    NoGradGuard ng;
    const Tensor y = layer(x, w, b);
    dy_full = Tensor::from_vector(test::uniform_values(7, y.numel()), y.shape());
  }
  Tensor wf = w.detach().set_requires_grad(), bf = b.detach().set_requires_grad();
  ops::sum(ops::mul(layer(x, wf, bf), dy_full)).backward();
  // sum(y * dy) has gradient dy with respect to y exactly, so the layer's backward sees dy_full.
  std::vector<Tensor> w_parts, b_parts;
  for (const BatchShard& s : kShards) {
    Tensor ws = w.detach().set_requires_grad(), bs = b.detach().set_requires_grad();
    BatchShardScope scope(s);
    ops::sum(ops::mul(layer(rows_of(x, s.first_row, s.rows), ws, bs), rows_of(dy_full, s.first_row, s.rows)))
        .backward();
    EXPECT_FALSE(ws.grad().defined()) << "in deterministic mode a shard leaves partials, not a gradient";
    w_parts.push_back(scope.partials_of(ws));
    b_parts.push_back(scope.partials_of(bs));
    ASSERT_TRUE(w_parts.back().defined() && b_parts.back().defined());
    EXPECT_EQ(w_parts.back().size(0), scope.local_chunks());
  }
  EXPECT_TRUE(same_bits(combined(w_parts, w.numel()), wf.grad().to_vector()));
  EXPECT_TRUE(same_bits(combined(b_parts, b.numel()), bf.grad().to_vector()));
}

TEST(BatchShard, LinearPartialsCombineToTheWholeBatchGradient) {
  const Tensor x = Tensor::from_vector(test::uniform_values(1, 30 * 13), {30, 13});
  const Tensor w = Tensor::from_vector(test::uniform_values(2, 5 * 13), {5, 13});
  const Tensor b = Tensor::from_vector(test::uniform_values(3, 5), {5});
  expect_partials_combine_to_full(x, w, b, [](const Tensor& a, const Tensor& ww, const Tensor& bb) {
    return ops::linear(a, ww, bb);
  });
}

TEST(BatchShard, Conv2dPartialsCombineToTheWholeBatchGradient) {
  const Tensor x = Tensor::from_vector(test::uniform_values(4, 30 * 2 * 7 * 7), {30, 2, 7, 7});
  const Tensor w = Tensor::from_vector(test::uniform_values(5, 3 * 2 * 3 * 3), {3, 2, 3, 3});
  const Tensor b = Tensor::from_vector(test::uniform_values(6, 3), {3});
  expect_partials_combine_to_full(x, w, b, [](const Tensor& a, const Tensor& ww, const Tensor& bb) {
    return ops::conv2d(a, ww, bb);
  });
}

// A chunk whose every product dy * x underflows to -0 has a weight-gradient partial of -0,
// which the kernel run on that chunk alone returns as 0 + -0 = +0: the combination must not
// see the difference. Here dw[0, 0] gets -0 from chunk 1 and dw[1, 1] from every chunk.
TEST(BatchShard, AChunkPartialOfMinusZeroCombinesLikeTheWholeBatch) {
  std::vector<float> xv = test::uniform_values(8, 30 * 4), dyv = test::uniform_values(9, 30 * 2);
  for (i64 n = 0; n < 30; ++n) {
    const bool chunk1 = n >= 8 && n < 16;
    if (chunk1) xv[static_cast<size_t>(n * 4)] = 1e-25f, dyv[static_cast<size_t>(n * 2)] = -1e-25f;
    xv[static_cast<size_t>(n * 4 + 1)] = 1e-30f;
    dyv[static_cast<size_t>(n * 2 + 1)] = -1e-30f;
  }
  const Tensor x = Tensor::from_vector(xv, {30, 4});
  const Tensor w = Tensor::from_vector(test::uniform_values(10, 8), {2, 4});
  const Tensor b = Tensor::from_vector({0.0f, 0.0f}, {2});
  expect_partials_combine_to_full(
      x, w, b, [](const Tensor& a, const Tensor& ww, const Tensor& bb) { return ops::linear(a, ww, bb); },
      Tensor::from_vector(dyv, {30, 2}));
}

TEST(BatchShard, FastModeGivesTheLocalGradientAndNoPartials) {
  ModeGuard fast(Mode::Fast);
  Tensor w = Tensor::from_vector(test::uniform_values(2, 3 * 4), {3, 4}).set_requires_grad();
  const Tensor b = Tensor::from_vector(test::uniform_values(3, 3), {3});
  BatchShardScope scope(kShards[1]);
  ops::sum(ops::linear(Tensor::from_vector(test::uniform_values(1, 16 * 4), {16, 4}), w, b)).backward();
  EXPECT_TRUE(w.grad().defined());
  EXPECT_FALSE(scope.partials_of(w).defined());
}

TEST(BatchShard, DropoutMasksAreThoseOfTheGlobalRows) {
  const Tensor x = Tensor::from_vector(test::uniform_values(9, 30 * 3 * 2 * 2), {30, 3, 2, 2});
  const ops::DropoutKey key{5, 1, 17};
  const std::vector<float> whole = ops::dropout(x, 0.5f, true, key).to_vector();
  const std::vector<float> whole2d = ops::dropout2d(x, 0.5f, true, key).to_vector();
  for (const BatchShard& s : kShards) {
    BatchShardScope scope(s);
    const Tensor xs = rows_of(x, s.first_row, s.rows);
    const i64 row = 3 * 2 * 2;
    const std::vector<float> want(whole.begin() + s.first_row * row, whole.begin() + (s.first_row + s.rows) * row);
    const std::vector<float> want2d(whole2d.begin() + s.first_row * row,
                                    whole2d.begin() + (s.first_row + s.rows) * row);
    EXPECT_TRUE(same_bits(ops::dropout(xs, 0.5f, true, key).to_vector(), want)) << "rows from " << s.first_row;
    EXPECT_TRUE(same_bits(ops::dropout2d(xs, 0.5f, true, key).to_vector(), want2d)) << "rows from " << s.first_row;
  }
}

TEST(BatchShard, NllLossScalesByTheGlobalBatchAndLeavesChunkPartials) {
  const i64 rows = 30, cols = 4;
  const Tensor logp = Tensor::from_vector(test::uniform_values(10, rows * cols, -3.0f, 0.0f), {rows, cols});
  std::vector<i64> target(rows);
  for (i64 n = 0; n < rows; ++n) target[static_cast<size_t>(n)] = (n * 7) % cols;
  const Tensor t = Tensor::from_ints(target, {rows});
  Tensor full = logp.detach().set_requires_grad();
  const Tensor loss = ops::nll_loss(full, t);
  loss.backward();
  std::vector<float> partials;
  std::vector<float> grad;
  for (const BatchShard& s : kShards) {
    Tensor part = rows_of(logp, s.first_row, s.rows).set_requires_grad();
    BatchShardScope scope(s);
    ops::nll_loss(part, Tensor::from_ints(std::vector<i64>(target.begin() + s.first_row,
                                                           target.begin() + s.first_row + s.rows),
                                          {s.rows}))
        .backward();
    partials.insert(partials.end(), scope.loss_partials().begin(), scope.loss_partials().end());
    const std::vector<float> g = part.grad().to_vector();
    grad.insert(grad.end(), g.begin(), g.end());
  }
  ASSERT_EQ(static_cast<i64>(partials.size()), kernels::num_chunks(rows, kernels::kBatchChunk));
  EXPECT_EQ(kernels::nll_loss_fwd_finish(partials.data(), rows), loss.item());
  EXPECT_TRUE(same_bits(grad, full.grad().to_vector()));
}

TEST(BatchShard, RefusesRowsThatAreNotWholeChunks) {
  EXPECT_THROW(BatchShardScope({30, 4, 8}), Error);   // starts inside a chunk
  EXPECT_THROW(BatchShardScope({30, 0, 12}), Error);  // ends inside a chunk that is not the last
  EXPECT_THROW(BatchShardScope({30, 24, 8}), Error);  // past the batch
  const Tensor w = Tensor::from_vector(test::uniform_values(2, 3 * 4), {3, 4}).set_requires_grad();
  ModeGuard det(Mode::Deterministic);
  BatchShardScope scope(kShards[0]);
  const Tensor y = ops::linear(Tensor::from_vector(test::uniform_values(1, 5 * 4), {5, 4}), w,
                               Tensor::from_vector({0.f, 0.f, 0.f}, {3}));
  EXPECT_THROW(ops::sum(y).backward(), ShapeError);  // 5 rows in a shard of 8
}

}  // namespace
}  // namespace lockstep

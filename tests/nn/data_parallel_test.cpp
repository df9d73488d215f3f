// nn/data_parallel.h in one process: how batches and test sets are dealt to ranks, and the
// data-parallel step (chunk partials, exchange, combination) against the plain step. Runs
// with several processes are tested through mpirun by tests/cli/data_parallel.sh.
#include <gtest/gtest.h>

#include <cstring>

#include "core/mode.h"
#include "nn/data_parallel.h"
#include "nn/models.h"
#include "nn/recipe.h"
#include "reference/synthetic_mnist.h"

namespace lockstep::nn {
namespace {

TEST(DataParallel, BatchesAreDealtAsContiguousRunsOfWholeChunks) {
  // 36 samples = chunks of 8, 8, 8, 8, 4 over 3 ranks: chunks [0,1), [1,3), [3,5).
  EXPECT_EQ(shard_of_batch(36, 0, 3).first_row, 0);
  EXPECT_EQ(shard_of_batch(36, 0, 3).rows, 8);
  EXPECT_EQ(shard_of_batch(36, 1, 3).first_row, 8);
  EXPECT_EQ(shard_of_batch(36, 1, 3).rows, 16);
  EXPECT_EQ(shard_of_batch(36, 2, 3).first_row, 24);
  EXPECT_EQ(shard_of_batch(36, 2, 3).rows, 12);
  // A 4-sample batch is one chunk: with 3 ranks only the last has rows.
  EXPECT_EQ(shard_of_batch(4, 0, 3).rows, 0);
  EXPECT_EQ(shard_of_batch(4, 1, 3).rows, 0);
  EXPECT_EQ(shard_of_batch(4, 2, 3).rows, 4);
}

TEST(DataParallel, EveryRowBelongsToExactlyOneRankInOrder) {
  for (i64 rows : {1, 7, 8, 9, 36, 64, 100, 1000})
    for (int world = 1; world <= 9; ++world) {
      i64 next = 0;
      for (int r = 0; r < world; ++r) {
        const BatchShard s = shard_of_batch(rows, r, world);
        EXPECT_EQ(s.global_rows, rows);
        if (s.rows == 0) continue;
        EXPECT_EQ(s.first_row, next) << rows << " rows, rank " << r << " of " << world;
        EXPECT_EQ(s.first_row % 8, 0);
        next = s.first_row + s.rows;
      }
      EXPECT_EQ(next, rows) << rows << " rows over " << world;
      i64 samples = 0;
      for (int r = 0; r < world; ++r) {
        const auto [b, e] = share_of_samples(rows, r, world);
        EXPECT_EQ(b, samples);
        samples = e;
      }
      EXPECT_EQ(samples, rows);
    }
}

bool same_parameters(const Module& a, const Module& b) {
  const auto pa = a.parameters(), pb = b.parameters();
  for (size_t i = 0; i < pa.size(); ++i) {
    const std::vector<float> va = pa[i].tensor.to_vector(), vb = pb[i].tensor.to_vector();
    if (std::memcmp(va.data(), vb.data(), va.size() * sizeof(float)) != 0) return false;
  }
  return true;
}

// The whole path of a data-parallel step in one process (the shard is the whole batch): the
// partials of every chunk are gathered, combined and applied; the parameters, momenta and
// loss equal the plain step's after several steps, short last chunk and dropout included.
TEST(DataParallel, AStepOverTheWholeBatchIsThePlainStep) {
  ModeGuard det(Mode::Deterministic);
  const Recipe recipe = reference_mnist();
  auto plain = make_model(recipe), parallel = make_model(recipe);
  SGD plain_opt(plain->parameters(), recipe.lr, recipe.momentum);
  SGD parallel_opt(parallel->parameters(), recipe.lr, recipe.momentum);
  const std::unique_ptr<Communicator> one = make_single_process_world();
  for (std::int64_t step = 0; step < 3; ++step) {
    const i64 rows = step == 1 ? 13 : 20;
    const Batch batch = test::synthetic_mnist_batch(static_cast<std::uint64_t>(step), rows);
    const float want = train_step(*plain, plain_opt, batch, step);
    const float got = data_parallel_step(*parallel, parallel_opt, batch, shard_of_batch(rows, 0, 1), step, *one);
    EXPECT_EQ(std::memcmp(&want, &got, sizeof(float)), 0) << "loss at step " << step;
    ASSERT_TRUE(same_parameters(*plain, *parallel)) << "parameters after step " << step;
  }
  for (size_t i = 0; i < plain_opt.momentum_buffers().size(); ++i)
    EXPECT_EQ(plain_opt.momentum_buffers()[i].tensor.to_vector(), parallel_opt.momentum_buffers()[i].tensor.to_vector());
}

TEST(DataParallel, EvaluationOverTheWorldIsThePlainEvaluation) {
  const Recipe recipe = reference_mnist();
  auto model = make_model(recipe);
  const Batch data = test::synthetic_mnist_batch(9, 50);
  const std::unique_ptr<Communicator> one = make_single_process_world();
  const EvalResult want = evaluate(*model, data.x, data.y, 16);
  const EvalResult got = evaluate(*model, data.x, data.y, 16, *one);
  EXPECT_EQ(got.correct, want.correct);
  EXPECT_EQ(got.total, 50);
  EXPECT_EQ(got.loss_sum, want.loss_sum);
}

}  // namespace
}  // namespace lockstep::nn

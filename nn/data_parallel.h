// Data-parallel training in which every world size gives the same bits (docs/ordering.md#
// data-parallel-batch-reduction). A global batch is cut at batch-chunk boundaries and the
// chunks are dealt to the ranks as contiguous runs; each rank runs forward and backward on
// its rows inside a BatchShardScope (core/batch_shard.h), so that dropout masks and the loss
// scale are those of the global batch, and in deterministic mode the ops leave the partial of
// each chunk of every batch reduction instead of summing them. The ranks exchange those
// partials and each combines all of them in chunk order: the one-process reduction, bit for
// bit. Fast mode sums whole local gradients with one all-reduce instead.
#pragma once

#include <cstdint>
#include <utility>

#include "core/batch_shard.h"
#include "nn/communicator.h"
#include "nn/training.h"

namespace lockstep::nn {

// Rank `rank`'s rows of a batch of `rows` samples: chunks [C*rank/world, C*(rank+1)/world) of
// the C batch chunks. A rank may get none (rows = 0) when the world has more ranks than chunks.
BatchShard shard_of_batch(i64 rows, int rank, int world);
// Rank `rank`'s samples [begin, end) of n, for evaluation: contiguous, as even as possible.
std::pair<i64, i64> share_of_samples(i64 n, int rank, int world);

struct StepTimes {
  double exchange_seconds = 0;  // in the collectives and packing, since the step started
};

// One data-parallel step: `local` holds the shard's rows of the global batch (empty when the
// shard has none). Every rank ends with the same parameters and momenta as the one-process
// train_step on the whole batch (deterministic mode), and returns the global batch's loss.
float data_parallel_step(Module& model, SGD& opt, const Batch& local, const BatchShard& shard, std::int64_t step,
                         Communicator& comm, StepTimes* times = nullptr);

// evaluate() over the world: each rank runs its share of the samples; the per-sample results
// are gathered and summed in sample order, so the result equals the one-process evaluate().
EvalResult evaluate(Module& model, const Tensor& images, const Tensor& labels, i64 batch_size, Communicator& comm);

}  // namespace lockstep::nn

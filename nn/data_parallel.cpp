#include "nn/data_parallel.h"

#include <algorithm>
#include <chrono>

#include "core/mode.h"
#include "core/ops.h"
#include "kernels/nll_loss.h"
#include "kernels/reduce.h"

namespace lockstep::nn {
namespace {

using Clock = std::chrono::steady_clock;

i64 chunks_of(i64 rows) { return kernels::num_chunks(rows, kernels::kBatchChunk); }

void append_host(std::vector<float>& out, const Tensor& t) {
  const Tensor host = t.to(Device::CPU);
  const float* v = host.data<float>();
  out.insert(out.end(), v, v + host.numel());
}

void set_gradient(Tensor parameter, const float* values) {
  const std::vector<float> v(values, values + parameter.numel());
  parameter.set_grad(Tensor::from_vector(v, parameter.shape()).to(parameter.device()));
}

// Forward and backward on this rank's rows, inside the shard: the ops leave their partials
// there (deterministic) or the local gradients on the parameters (fast).
void local_pass(Module& model, const Batch& local, BatchShardScope& scope) {
  if (scope.shard().rows == 0) return;
  Tensor loss = ops::nll_loss(model(local.x), local.y);
  loss.backward();
}

// Deterministic: every rank's chunk partials of every parameter gradient, gathered, then
// combined in global chunk order (kernels::combine_chunk_partials); returns the loss partials
// of all chunks, in order. A rank's block is [param 0 partials (its chunks x numel), param 1
// ..., its loss partials].
std::vector<float> exchange_partials(const std::vector<NamedTensor>& params, const BatchShardScope& scope,
                                     const std::vector<i64>& rank_chunks, Communicator& comm) {
  i64 numel = 0;
  for (const NamedTensor& p : params) numel += p.tensor.numel();
  std::vector<float> mine;
  if (scope.shard().rows > 0) {
    mine.reserve(static_cast<size_t>(scope.local_chunks() * (numel + 1)));
    for (const NamedTensor& p : params) {
      const Tensor part = scope.partials_of(p.tensor);
      LS_CHECK(part.defined(), Error, "data-parallel step: parameter '", p.name,
               "' got no gradient partials; every parameter must be used by a layer that leaves them");
      append_host(mine, part);
    }
    mine.insert(mine.end(), scope.loss_partials().begin(), scope.loss_partials().end());
  }
  std::vector<i64> counts;
  for (i64 c : rank_chunks) counts.push_back(c * (numel + 1));
  const std::vector<float> all = comm.all_gather(mine, counts);

  i64 total_chunks = 0;
  for (i64 c : rank_chunks) total_chunks += c;
  std::vector<float> staged, combined;
  i64 param_offset = 0;  // of this parameter's partials in a rank's block, in units of its chunks
  for (const NamedTensor& p : params) {
    const i64 n = p.tensor.numel();
    staged.resize(static_cast<size_t>(total_chunks * n));
    combined.resize(static_cast<size_t>(n));
    i64 block = 0, row = 0;
    for (i64 c : rank_chunks) {
      std::copy_n(all.begin() + block + c * param_offset, c * n, staged.begin() + row * n);
      block += c * (numel + 1);
      row += c;
    }
    kernels::combine_chunk_partials(staged.data(), total_chunks, n, combined.data());
    set_gradient(p.tensor, combined.data());
    param_offset += n;
  }
  std::vector<float> loss_partials;
  i64 block = 0;
  for (i64 c : rank_chunks) {
    loss_partials.insert(loss_partials.end(), all.begin() + block + c * numel, all.begin() + block + c * (numel + 1));
    block += c * (numel + 1);
  }
  return loss_partials;
}

// Fast: the local gradients (of the local rows, already divided by the global batch size)
// summed over the ranks by MPI; a rank without rows adds zeros.
void all_reduce_gradients(const std::vector<NamedTensor>& params, Communicator& comm) {
  std::vector<float> sum;
  for (const NamedTensor& p : params) {
    if (p.tensor.grad().defined())
      append_host(sum, p.tensor.grad());
    else
      sum.resize(sum.size() + static_cast<size_t>(p.tensor.numel()), 0.0f);
  }
  comm.all_reduce_sum(sum);
  i64 offset = 0;
  for (const NamedTensor& p : params) {
    set_gradient(p.tensor, sum.data() + offset);
    offset += p.tensor.numel();
  }
}

// The loss partials of every rank, in chunk order; only loss partials travel (fast mode).
std::vector<float> gather_loss_partials(const BatchShardScope& scope, const std::vector<i64>& rank_chunks,
                                        Communicator& comm) {
  std::vector<float> mine = scope.shard().rows > 0 ? scope.loss_partials() : std::vector<float>();
  return comm.all_gather(mine, rank_chunks);
}

}  // namespace

BatchShard shard_of_batch(i64 rows, int rank, int world) {
  LS_CHECK(rows >= 1 && world >= 1 && rank >= 0 && rank < world, Error, "shard_of_batch: rank ", rank, " of ", world,
           ", batch of ", rows);
  const i64 chunks = chunks_of(rows);
  const i64 c0 = chunks * rank / world, c1 = chunks * (rank + 1) / world;
  const i64 first = c0 * kernels::kBatchChunk;
  const i64 last = std::min(rows, c1 * kernels::kBatchChunk);
  return BatchShard{rows, first, std::max<i64>(0, last - first)};
}

std::pair<i64, i64> share_of_samples(i64 n, int rank, int world) {
  return {n * rank / world, n * (rank + 1) / world};
}

float data_parallel_step(Module& model, SGD& opt, const Batch& local, const BatchShard& shard, std::int64_t step,
                         Communicator& comm, StepTimes* times) {
  model.train(true);
  model.set_step(step);
  const std::vector<NamedTensor> params = model.parameters();
  std::vector<i64> rank_chunks;
  for (int r = 0; r < comm.size(); ++r) rank_chunks.push_back(chunks_of(shard_of_batch(shard.global_rows, r, comm.size()).rows));
  BatchShardScope scope(shard);
  local_pass(model, local, scope);
  const auto t0 = Clock::now();
  std::vector<float> loss_partials;
  if (current_mode() == Mode::Deterministic) {
    loss_partials = exchange_partials(params, scope, rank_chunks, comm);
  } else {
    all_reduce_gradients(params, comm);
    loss_partials = gather_loss_partials(scope, rank_chunks, comm);
  }
  if (times) times->exchange_seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  opt.step();
  model.zero_grad();
  return kernels::nll_loss_fwd_finish(loss_partials.data(), shard.global_rows);
}

EvalResult evaluate(Module& model, const Tensor& images, const Tensor& labels, i64 batch_size, Communicator& comm) {
  const i64 n = images.size(0);
  const auto [begin, end] = share_of_samples(n, comm.rank(), comm.size());
  const SampleScores mine = score_samples(model, images, labels, begin, end, batch_size);
  std::vector<i64> counts;
  for (int r = 0; r < comm.size(); ++r) {
    const auto [b, e] = share_of_samples(n, r, comm.size());
    counts.push_back(e - b);
  }
  return summarize({comm.all_gather(mine.label_logp, counts), comm.all_gather(mine.correct, counts)});
}

}  // namespace lockstep::nn

#include "core/batch_shard.h"

#include "kernels/reduce.h"

namespace lockstep {
namespace {
thread_local BatchShardScope* t_active = nullptr;
}  // namespace

BatchShardScope::BatchShardScope(const BatchShard& shard) : shard_(shard), previous_(t_active) {
  LS_CHECK(shard.global_rows >= 1 && shard.rows >= 0 && shard.first_row >= 0 &&
               shard.first_row + shard.rows <= shard.global_rows && shard.first_row % kernels::kBatchChunk == 0 &&
               (shard.rows % kernels::kBatchChunk == 0 || shard.first_row + shard.rows == shard.global_rows),
           Error, "BatchShardScope: rows [", shard.first_row, ", ", shard.first_row + shard.rows, ") of ",
           shard.global_rows, " are not whole batch chunks of ", kernels::kBatchChunk);
  t_active = this;
}

BatchShardScope::~BatchShardScope() { t_active = previous_; }

i64 BatchShardScope::local_chunks() const { return kernels::num_chunks(shard_.rows, kernels::kBatchChunk); }

Tensor BatchShardScope::partials_of(const Tensor& parameter) const { return partials_of(parameter.impl()); }

Tensor BatchShardScope::partials_of(const TensorImpl* parameter) const {
  for (const GradientPartials& g : gradient_partials_)
    if (g.parameter == parameter) return g.partials;
  return Tensor();
}

void BatchShardScope::add_loss_partials(std::vector<float> partials) {
  LS_CHECK(loss_partials_.empty(), Error, "batch shard: a second loss in one step; data-parallel training takes one");
  loss_partials_ = std::move(partials);
}

void BatchShardScope::add_gradient_partials(const TensorImpl* parameter, Tensor partials) {
  LS_CHECK(!partials_of(parameter).defined(), Error,
           "batch shard: a parameter used twice in one step; data-parallel training in deterministic mode takes "
           "each parameter once");
  gradient_partials_.push_back({parameter, std::move(partials)});
}

BatchShardScope* active_batch_shard() { return t_active; }

}  // namespace lockstep

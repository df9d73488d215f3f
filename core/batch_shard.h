// One process's share of a global batch, for data-parallel training (nn/data_parallel.h).
//
// A rank holds rows [first_row, first_row + rows) of a batch of global_rows samples; first_row
// is a multiple of kernels::kBatchChunk, so the rank's rows are whole batch chunks of the
// global batch (the last may be short). While a BatchShardScope is active on a thread, the ops
// whose result depends on a sample's position in the batch or on the whole batch read it:
//   - dropout and dropout2d key each mask by the global sample index (first_row added);
//   - nll_loss divides by global_rows, and leaves the partial sum of each local chunk here;
//   - in deterministic mode, conv2d and linear leave the weight and bias gradient partial of
//     each local chunk here, one tensor (chunks, ...) per parameter, and give the parameter no
//     gradient: the partials of every rank are combined in chunk order by the caller, which
//     is the canonical batch reduction of kernels/reduce.h. In fast mode they give the
//     parameter the gradient of the local rows, and the caller sums those however is fastest.
// See docs/ordering.md#data-parallel-batch-reduction.
#pragma once

#include <vector>

#include "core/tensor.h"

namespace lockstep {

struct BatchShard {
  i64 global_rows = 0;
  i64 first_row = 0;  // a multiple of kernels::kBatchChunk
  i64 rows = 0;
};

// A parameter's gradient partials: (local chunks, *parameter shape), on the parameter's device.
struct GradientPartials {
  const TensorImpl* parameter;  // identity only (the tensor a layer passed to the op)
  Tensor partials;
};

/// Makes `shard` the active one on this thread for the scope; the partials the ops leave are
/// read with loss_partials() and gradient_partials() before the scope ends.
class BatchShardScope {
 public:
  explicit BatchShardScope(const BatchShard& shard);
  ~BatchShardScope();
  BatchShardScope(const BatchShardScope&) = delete;
  BatchShardScope& operator=(const BatchShardScope&) = delete;

  const BatchShard& shard() const { return shard_; }
  i64 local_chunks() const;
  const std::vector<float>& loss_partials() const { return loss_partials_; }
  const std::vector<GradientPartials>& gradient_partials() const { return gradient_partials_; }
  // The partials of `parameter`; an undefined tensor when no op left any.
  Tensor partials_of(const Tensor& parameter) const;
  Tensor partials_of(const TensorImpl* parameter) const;

  // For the ops; `parameter` is the impl() of the tensor the layer passed in.
  void add_loss_partials(std::vector<float> partials);
  void add_gradient_partials(const TensorImpl* parameter, Tensor partials);

 private:
  BatchShard shard_;
  BatchShardScope* previous_;
  std::vector<float> loss_partials_;
  std::vector<GradientPartials> gradient_partials_;
};

// The scope active on this thread, or nullptr.
BatchShardScope* active_batch_shard();

}  // namespace lockstep

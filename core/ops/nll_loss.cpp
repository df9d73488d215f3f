// ops::nll_loss, mean reduction: -(sum over n of logp[n, target[n]]) / N in the canonical
// batch-chunk order. Targets are validated here, on the host (a copy for device targets), so
// kernels never index out of range. Order: docs/ordering.md#nll_loss-forward and #nll_loss-backward.
#include "core/ops.h"
#include "core/batch_shard.h"
#include "core/ops/common.h"
#include "kernels/nll_loss.h"

namespace lockstep::ops {
namespace {

// Data-parallel (core/batch_shard.h): the partial sum of each local batch chunk, computed on
// the host with the kernels' own chunk form, for the caller to combine with every rank's.
// The op's output stays the mean over the local rows; its backward divides by the global rows.
void leave_loss_partials(BatchShardScope& shard, const Tensor& logp, const i64* target_host) {
  const i64 rows = logp.size(0), cols = logp.size(1);
  LS_CHECK(rows == shard.shard().rows, ShapeError, "nll_loss: a data-parallel step holds ", shard.shard().rows,
           " rows of the batch, the input has ", rows);
  const Tensor logp_host = logp.to(Device::CPU);
  std::vector<float> partials(static_cast<size_t>(shard.local_chunks()));
  for (size_t j = 0; j < partials.size(); ++j)
    partials[j] = kernels::nll_loss_fwd_partial(logp_host.data<float>(), target_host, rows, cols, static_cast<i64>(j));
  shard.add_loss_partials(std::move(partials));
}

}  // namespace

Tensor nll_loss(const Tensor& logp, const Tensor& target) {
  check_float("nll_loss", "input", logp);
  check_rank("nll_loss", "input", "NC", logp);
  check_defined("nll_loss", "target", target);
  LS_CHECK(target.dtype() == DType::I64, DTypeError, "nll_loss: expected target of dtype int64, got ",
           dtype_name(target.dtype()));
  check_same_device("nll_loss", logp, target);
  const i64 rows = logp.size(0), cols = logp.size(1);
  LS_CHECK(target.shape() == Shape({rows}), ShapeError, "nll_loss: expected target (N) = (", rows,
           ") for input ", logp.shape(), ", got ", target.shape());
  LS_CHECK(rows >= 1 && cols >= 1, ShapeError, "nll_loss: expected a non-empty input (N,C), got ", logp.shape());
  // Why validate a host copy: device code throws nothing, and N int64 targets are a cheap copy.
  const Tensor target_host = target.to(Device::CPU);
  const i64* t = target_host.data<i64>();
  for (i64 n = 0; n < rows; ++n)
    LS_CHECK(t[n] >= 0 && t[n] < cols, ShapeError, "nll_loss: target[", n, "] = ", t[n], " is out of range [0, ",
             cols, ") for input ", logp.shape());

  Tensor loss = empty_like(logp, Shape{});
  kernel<OpKind::NllLossFwd>(logp.device())(logp.data<float>(), target.data<i64>(), loss.data<float>(), rows, cols);
  i64 mean_over = rows;
  if (BatchShardScope* shard = active_batch_shard()) {
    leave_loss_partials(*shard, logp, t);
    mean_over = shard->shard().global_rows;
  }
  if (any_requires_grad({&logp})) {
    // A copy: the validated values, whatever the caller does to `target` next.
    record(loss, "nll_loss", {logp}, {{"target", target.clone()}},
           [rows, cols, mean_over](const Tensor& dloss, const std::vector<Tensor>& saved) {
             Tensor dlogp = empty_like(dloss, Shape{rows, cols});
             kernel<OpKind::NllLossBwd>(dloss.device())(dloss.data<float>(), saved[0].data<i64>(),
                                                        dlogp.data<float>(), rows, cols, mean_over);
             return std::vector<Tensor>{dlogp};
           });
  }
  return loss;
}

}  // namespace lockstep::ops

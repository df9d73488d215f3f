// dropout, dropout2d and dropout2d_max_pool2d_relu (whose pooling lives in
// core/ops/max_pool2d.cpp): validation, the key -> DropoutParams step, and autograd. The backward
// formula dx = mask * scale * dy reuses the forward kernel with the same params, so the mask
// is recomputed from the key (a few Philox blocks) rather than kept alive between passes.
// See docs/randomness.md#dropout.
#include "core/ops_random.h"
#include "core/batch_shard.h"
#include "core/ops/common.h"
#include "core/ops/max_pool2d_relu.h"
#include "core/random.h"
#include "kernels/dropout.h"

namespace lockstep::ops {
namespace {

void check_dropout(std::string_view op, const Tensor& x, float p, const DropoutKey& key) {
  check_float(op, "x", x);
  LS_CHECK(p >= 0.0f && p <= 1.0f, Error, op, ": expected a drop probability p in [0, 1], got ", p);
  LS_CHECK(key.step >= 0, Error, op, ": expected a training step >= 0, got ", key.step);
}

// y = mask * scale * x; differentiable (its backward is itself with the same params).
Tensor apply_mask(const char* op, const Tensor& x, const kernels::DropoutParams& d) {
  Tensor y = empty_like(x);
  kernel<OpKind::DropoutApply>(x.device())(x.data<float>(), y.data<float>(), d, x.numel());
  if (any_requires_grad({&x}))
    record(y, op, {x}, [op, d](const Tensor& dy) { return std::vector<Tensor>{apply_mask(op, dy, d)}; });
  return y;
}

// In a data-parallel step (core/batch_shard.h) the masks of this rank's rows are those of
// their global rows: mask indices start at first_row's.
kernels::DropoutParams params_for(std::string_view op, const Tensor& x, const DropoutKey& key, float p, i64 group) {
  std::uint64_t first_mask = 0;
  if (const BatchShardScope* shard = active_batch_shard()) {
    LS_CHECK(x.rank() >= 1 && x.size(0) == shard->shard().rows, ShapeError, op, ": a data-parallel step holds ",
             shard->shard().rows, " rows of the batch, the input is ", x.shape());
    first_mask = static_cast<std::uint64_t>(shard->shard().first_row * (x.numel() / x.size(0)) / group);
  }
  return kernels::dropout_params(
      random::stream_for_dropout(key.seed, key.layer_id, static_cast<std::uint64_t>(key.step)), p, group, first_mask);
}

}  // namespace

Tensor dropout(const Tensor& x, float p, bool training, const DropoutKey& key) {
  check_dropout("dropout", x, p, key);
  if (!training || p == 0.0f) return x;  // identity, as PyTorch: same tensor, same graph
  return apply_mask("dropout", x, params_for("dropout", x, key, p, 1));
}

Tensor dropout2d(const Tensor& x, float p, bool training, const DropoutKey& key) {
  check_dropout("dropout2d", x, p, key);
  check_rank("dropout2d", "x", "NCHW", x);
  if (!training || p == 0.0f) return x;
  return apply_mask("dropout2d", x, params_for("dropout2d", x, key, p, x.size(2) * x.size(3)));
}

Tensor dropout2d_max_pool2d_relu(const Tensor& x, float p, bool training, const DropoutKey& key, i64 kernel_size,
                                 i64 stride) {
  constexpr const char* op = "dropout2d_max_pool2d_relu";
  check_dropout(op, x, p, key);
  const Pool2dGeom g = pool2d_geom(op, x, kernel_size, stride);
  if (!training || p == 0.0f) return max_pool2d_relu_with(op, x, g, nullptr);  // dropout2d is the identity
  const kernels::DropoutParams d = params_for(op, x, key, p, g.H * g.W);
  return max_pool2d_relu_with(op, x, g, &d);
}

}  // namespace lockstep::ops

// linear: checks, autograd node and dispatch. Backward: dx by LinearBwdData, dw and db by
// LinearBwdWeight (both reduce over the batch in canonical chunks).
#include "core/ops.h"
#include "core/ops/common.h"
#include "core/ops/gradient_partials.h"

namespace lockstep::ops {
namespace {

// Data-parallel, deterministic: each local chunk's dw and db partials (core/ops/gradient_partials.h).
void leave_partials(BatchShardScope& shard, const Tensor& dy, const Tensor& x, const LinearGeom& g,
                    const TensorImpl* weight_id, const TensorImpl* bias_id) {
  const i64 chunks = shard.local_chunks();
  Tensor dw = empty_like(dy, {chunks, g.O, g.I}), db = empty_like(dy, {chunks, g.O});
  for_each_local_chunk(g.N, [&](i64 i, i64 r0, i64 rows) {
    kernel<OpKind::LinearBwdWeight>(dy.device())(dy.data<float>() + r0 * g.O, x.data<float>() + r0 * g.I,
                                                 dw.data<float>() + i * g.O * g.I, db.data<float>() + i * g.O,
                                                 LinearGeom{rows, g.I, g.O});
  });
  shard.add_gradient_partials(weight_id, dw);
  shard.add_gradient_partials(bias_id, db);
}

}  // namespace

Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  constexpr std::string_view op = "linear";
  check_float(op, "input", x);
  check_float(op, "weight", weight);
  check_float(op, "bias", bias);
  check_rank(op, "input", "NI", x);
  check_rank(op, "weight", "OI", weight);
  check_same_device(op, x, weight);
  check_same_device(op, x, bias);
  const i64 N = x.size(0), I = weight.size(1), O = weight.size(0);
  LS_CHECK(x.size(1) == I, ShapeError, "linear: expected input (N,I) with I=", I, " (weight ", weight.shape(),
           "), got ", x.shape());
  LS_CHECK(bias.shape() == Shape({O}), ShapeError, "linear: expected bias (", O, "), got ", bias.shape());
  const LinearGeom g{N, I, O};
  Tensor y = empty_like(x, {N, O});
  kernel<OpKind::LinearFwd>(x.device())(x.data<float>(), weight.data<float>(), bias.data<float>(), y.data<float>(), g);
  if (any_requires_grad({&x, &weight, &bias})) {
    const bool need_x = x.requires_grad(), need_params = weight.requires_grad() || bias.requires_grad();
    // dx reads the weight, dw and db read the input.
    const std::initializer_list<ToSave> to_save = {{"input", need_params ? x : Tensor()},
                                                   {"weight", need_x ? weight : Tensor()}};
    const TensorImpl *weight_id = weight.impl(), *bias_id = bias.impl();
    record(y, "linear", {x, weight, bias}, to_save, [g, need_x, need_params, weight_id, bias_id](
                                                        const Tensor& dy, const std::vector<Tensor>& saved) {
      const Tensor &xs = saved[0], &ws = saved[1];
      std::vector<Tensor> grads(3);
      if (need_x) {
        grads[0] = empty_like(dy, {g.N, g.I});
        kernel<OpKind::LinearBwdData>(dy.device())(dy.data<float>(), ws.data<float>(), grads[0].data<float>(), g);
      }
      if (need_params) {
        if (BatchShardScope* shard = shard_taking_partials("linear", g.N)) {
          leave_partials(*shard, dy, xs, g, weight_id, bias_id);
          return grads;
        }
        grads[1] = empty_like(dy, {g.O, g.I});
        grads[2] = empty_like(dy, {g.O});
        kernel<OpKind::LinearBwdWeight>(dy.device())(dy.data<float>(), xs.data<float>(), grads[1].data<float>(),
                                                     grads[2].data<float>(), g);
      }
      return grads;
    });
  }
  return y;
}

}  // namespace lockstep::ops

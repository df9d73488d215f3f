// conv2d: checks, autograd node and dispatch. Backward: dx by Conv2dBwdData, dw and db by
// Conv2dBwdWeight (both reduce over the batch in canonical chunks).
#include "core/ops.h"
#include "core/ops/common.h"
#include "core/ops/gradient_partials.h"

namespace lockstep::ops {
namespace {

// Data-parallel, deterministic: each local chunk's dw and db partials (core/ops/gradient_partials.h).
void leave_partials(BatchShardScope& shard, const Tensor& dy, const Tensor& x, const Conv2dGeom& g,
                    const TensorImpl* weight_id, const TensorImpl* bias_id) {
  const i64 chunks = shard.local_chunks(), wn = g.K * g.C * g.R * g.S;
  Tensor dw = empty_like(dy, {chunks, g.K, g.C, g.R, g.S}), db = empty_like(dy, {chunks, g.K});
  const i64 y_row = g.K * g.P * g.Q, x_row = g.C * g.H * g.W;
  for_each_local_chunk(g.N, [&](i64 i, i64 r0, i64 rows) {
    Conv2dGeom gc = g;
    gc.N = rows;
    kernel<OpKind::Conv2dBwdWeight>(dy.device())(dy.data<float>() + r0 * y_row, x.data<float>() + r0 * x_row,
                                                 dw.data<float>() + i * wn, db.data<float>() + i * g.K, gc);
  });
  shard.add_gradient_partials(weight_id, dw);
  shard.add_gradient_partials(bias_id, db);
}

}  // namespace

Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, Conv2dOptions opt) {
  constexpr std::string_view op = "conv2d";
  check_float(op, "input", x);
  check_float(op, "weight", weight);
  check_float(op, "bias", bias);
  check_rank(op, "input", "NCHW", x);
  check_rank(op, "weight", "KCRS", weight);
  check_same_device(op, x, weight);
  check_same_device(op, x, bias);
  LS_CHECK(opt.stride >= 1 && opt.padding >= 0, ShapeError, "conv2d: expected stride >= 1 and padding >= 0, got stride=",
           opt.stride, " padding=", opt.padding);
  const i64 K = weight.size(0), C = weight.size(1), R = weight.size(2), S = weight.size(3);
  LS_CHECK(x.size(1) == C, ShapeError, "conv2d: expected input (N,C,H,W) with C=", C, " (weight ", weight.shape(),
           "), got ", x.shape());
  LS_CHECK(bias.shape() == Shape({K}), ShapeError, "conv2d: expected bias (", K, "), got ", bias.shape());
  const i64 N = x.size(0), H = x.size(2), W = x.size(3);
  const i64 P = (H + 2 * opt.padding - R) / opt.stride + 1, Q = (W + 2 * opt.padding - S) / opt.stride + 1;
  LS_CHECK(H + 2 * opt.padding >= R && W + 2 * opt.padding >= S, ShapeError, "conv2d: kernel ", R, "x", S,
           " is larger than the padded input ", H + 2 * opt.padding, "x", W + 2 * opt.padding, " (input ", x.shape(),
           ")");
  const Conv2dGeom g{N, C, H, W, K, R, S, P, Q, opt.stride, opt.padding};
  Tensor y = empty_like(x, {N, K, P, Q});
  kernel<OpKind::Conv2dFwd>(x.device())(x.data<float>(), weight.data<float>(), bias.data<float>(), y.data<float>(), g);
  if (any_requires_grad({&x, &weight, &bias})) {
    const bool need_x = x.requires_grad(), need_params = weight.requires_grad() || bias.requires_grad();
    // dx reads the weight, dw and db read the input.
    const std::initializer_list<ToSave> to_save = {{"input", need_params ? x : Tensor()},
                                                   {"weight", need_x ? weight : Tensor()}};
    const TensorImpl *weight_id = weight.impl(), *bias_id = bias.impl();
    record(y, "conv2d", {x, weight, bias}, to_save, [g, need_x, need_params, weight_id, bias_id](
                                                        const Tensor& dy, const std::vector<Tensor>& saved) {
      const Tensor &xs = saved[0], &ws = saved[1];
      std::vector<Tensor> grads(3);
      if (need_x) {
        grads[0] = empty_like(dy, {g.N, g.C, g.H, g.W});
        kernel<OpKind::Conv2dBwdData>(dy.device())(dy.data<float>(), ws.data<float>(), grads[0].data<float>(), g);
      }
      if (need_params) {
        if (BatchShardScope* shard = shard_taking_partials("conv2d", g.N)) {
          leave_partials(*shard, dy, xs, g, weight_id, bias_id);
          return grads;
        }
        grads[1] = empty_like(dy, {g.K, g.C, g.R, g.S});
        grads[2] = empty_like(dy, {g.K});
        kernel<OpKind::Conv2dBwdWeight>(dy.device())(dy.data<float>(), xs.data<float>(), grads[1].data<float>(),
                                                     grads[2].data<float>(), g);
      }
      return grads;
    });
  }
  return y;
}

}  // namespace lockstep::ops

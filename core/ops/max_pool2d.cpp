// ops::max_pool2d and ops::max_pool2d_relu (and the body of dropout2d_max_pool2d_relu): shape
// checks, dispatch, and the backward, which scatters dy through the argmax saved by the
// forward (an int64 tensor of index h*W + w within each (n,c) plane). Order:
// docs/ordering.md#max_pool2d-forward, #max_pool2d-backward, #max_pool2d_relu and
// #dropout2d_max_pool2d_relu.
#include "core/ops.h"
#include "core/ops/common.h"
#include "core/ops/max_pool2d_relu.h"

namespace lockstep::ops {

Tensor max_pool2d(const Tensor& x, i64 kernel_size, i64 stride) {
  const Pool2dGeom g = pool2d_geom("max_pool2d", x, kernel_size, stride);

  Tensor y = empty_like(x, Shape{g.N, g.C, g.P, g.Q});
  Tensor argmax = Tensor::empty(Shape{g.N, g.C, g.P, g.Q}, DType::I64, x.device());
  if (y.numel() > 0) kernel<OpKind::MaxPool2dFwd>(x.device())(x.data<float>(), y.data<float>(), argmax.data<i64>(), g);
  if (any_requires_grad({&x})) {
    record(y, "max_pool2d", {x}, {{"argmax", argmax}}, [g](const Tensor& dy, const std::vector<Tensor>& saved) {
      Tensor dx = empty_like(dy, Shape{g.N, g.C, g.H, g.W});
      if (dx.numel() > 0)
        kernel<OpKind::MaxPool2dBwd>(dy.device())(dy.data<float>(), saved[0].data<i64>(), dx.data<float>(), g);
      return std::vector<Tensor>{dx};
    });
  }
  return y;
}

Tensor max_pool2d_relu_with(std::string_view op, const Tensor& x, const Pool2dGeom& g,
                            const kernels::DropoutParams* drop) {
  Tensor y = empty_like(x, Shape{g.N, g.C, g.P, g.Q});
  Tensor argmax = Tensor::empty(Shape{g.N, g.C, g.P, g.Q}, DType::I64, x.device());
  if (y.numel() > 0)
    kernel<OpKind::MaxPool2dReluFwd>(x.device())(x.data<float>(), drop, y.data<float>(), argmax.data<i64>(), g);
  if (any_requires_grad({&x})) {
    // The mask's params by value (a few words): the backward redraws the mask from them.
    const bool has_drop = drop != nullptr;
    const kernels::DropoutParams d = has_drop ? *drop : kernels::DropoutParams{};
    record(y, std::string(op), {x}, {{"output", y}, {"argmax", argmax}},
           [g, has_drop, d](const Tensor& dy, const std::vector<Tensor>& saved) {
             Tensor dx = empty_like(dy, Shape{g.N, g.C, g.H, g.W});
             if (dx.numel() > 0)
               kernel<OpKind::MaxPool2dReluBwd>(dy.device())(dy.data<float>(), saved[0].data<float>(),
                                                             saved[1].data<i64>(), has_drop ? &d : nullptr,
                                                             dx.data<float>(), g);
             return std::vector<Tensor>{dx};
           });
  }
  return y;
}

Tensor max_pool2d_relu(const Tensor& x, i64 kernel_size, i64 stride) {
  return max_pool2d_relu_with("max_pool2d_relu", x, pool2d_geom("max_pool2d_relu", x, kernel_size, stride), nullptr);
}

}  // namespace lockstep::ops

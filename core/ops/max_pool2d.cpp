// ops::max_pool2d and ops::max_pool2d_relu: shape checks, dispatch, and the backward, which
// scatters dy through the argmax saved by the forward (an int64 tensor of index h*W + w within
// each (n,c) plane). Order: docs/ordering.md#max_pool2d-forward, #max_pool2d-backward and
// #max_pool2d_relu.
#include "core/ops.h"
#include "core/ops/common.h"

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

Tensor max_pool2d_relu(const Tensor& x, i64 kernel_size, i64 stride) {
  const Pool2dGeom g = pool2d_geom("max_pool2d_relu", x, kernel_size, stride);

  Tensor y = empty_like(x, Shape{g.N, g.C, g.P, g.Q});
  Tensor argmax = Tensor::empty(Shape{g.N, g.C, g.P, g.Q}, DType::I64, x.device());
  if (y.numel() > 0)
    kernel<OpKind::MaxPool2dReluFwd>(x.device())(x.data<float>(), y.data<float>(), argmax.data<i64>(), g);
  if (any_requires_grad({&x})) {
    record(y, "max_pool2d_relu", {x}, {{"output", y}, {"argmax", argmax}},
           [g](const Tensor& dy, const std::vector<Tensor>& saved) {
             Tensor dx = empty_like(dy, Shape{g.N, g.C, g.H, g.W});
             if (dx.numel() > 0)
               kernel<OpKind::MaxPool2dReluBwd>(dy.device())(dy.data<float>(), saved[0].data<float>(),
                                                             saved[1].data<i64>(), dx.data<float>(), g);
             return std::vector<Tensor>{dx};
           });
  }
  return y;
}

}  // namespace lockstep::ops

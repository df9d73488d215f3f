// ops::max_pool2d: shape checks, dispatch, and the backward, which scatters dy through the
// argmax saved by the forward (an int64 tensor of index h*W + w within each (n,c) plane).
// Order: docs/ordering.md#max_pool2d-forward and #max_pool2d-backward.
#include "core/ops.h"
#include "core/ops/common.h"
#include "kernels/max_pool2d.h"

namespace lockstep::ops {

Tensor max_pool2d(const Tensor& x, i64 kernel_size, i64 stride) {
  check_float("max_pool2d", "input", x);
  check_rank("max_pool2d", "input", "NCHW", x);
  LS_CHECK(kernel_size >= 1, ShapeError, "max_pool2d: expected kernel_size >= 1, got ", kernel_size);
  LS_CHECK(stride >= 0, ShapeError, "max_pool2d: expected stride >= 1 (or 0 for kernel_size), got ", stride);
  if (stride == 0) stride = kernel_size;
  const i64 N = x.size(0), C = x.size(1), H = x.size(2), W = x.size(3);
  const i64 P = kernels::pool_out_extent(H, kernel_size, stride);
  const i64 Q = kernels::pool_out_extent(W, kernel_size, stride);
  LS_CHECK(P >= 1 && Q >= 1, ShapeError, "max_pool2d: expected H and W >= kernel_size ", kernel_size,
           " so the output is at least 1x1, got input ", x.shape());
  const Pool2dGeom g{N, C, H, W, kernel_size, kernel_size, P, Q, stride};

  Tensor y = empty_like(x, Shape{N, C, P, Q});
  Tensor argmax = Tensor::empty(Shape{N, C, P, Q}, DType::I64, x.device());
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

}  // namespace lockstep::ops

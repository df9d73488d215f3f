// ops::avg_pool2d: shape checks, dispatch, and the backward, which spreads dy evenly over
// each window (it needs no saved tensor: the divisor is the window size).
// Order: docs/ordering.md#avg_pool2d-forward and #avg_pool2d-backward.
#include "core/ops.h"
#include "core/ops/common.h"

namespace lockstep::ops {

Tensor avg_pool2d(const Tensor& x, i64 kernel_size, i64 stride) {
  const Pool2dGeom g = pool2d_geom("avg_pool2d", x, kernel_size, stride);

  Tensor y = empty_like(x, Shape{g.N, g.C, g.P, g.Q});
  if (y.numel() > 0) kernel<OpKind::AvgPool2dFwd>(x.device())(x.data<float>(), y.data<float>(), g);
  if (any_requires_grad({&x})) {
    record(y, "avg_pool2d", {x}, [g](const Tensor& dy) {
      Tensor dx = empty_like(dy, Shape{g.N, g.C, g.H, g.W});
      if (dx.numel() > 0) kernel<OpKind::AvgPool2dBwd>(dy.device())(dy.data<float>(), dx.data<float>(), g);
      return std::vector<Tensor>{dx};
    });
  }
  return y;
}

}  // namespace lockstep::ops

// ops::relu: y = max(x, 0) with NaN propagating; the backward reads the saved input.
// Order: docs/ordering.md#relu.
#include "core/ops.h"
#include "core/ops/common.h"

namespace lockstep::ops {

Tensor relu(const Tensor& x) {
  check_float("relu", "input", x);
  Tensor y = empty_like(x);
  kernel<OpKind::ReluFwd>(x.device())(x.data<float>(), y.data<float>(), x.numel());
  if (any_requires_grad({&x})) {
    record(y, "relu", {x}, {{"input", x}}, [](const Tensor& dy, const std::vector<Tensor>& saved) {
      Tensor dx = empty_like(dy);
      kernel<OpKind::ReluBwd>(dy.device())(dy.data<float>(), saved[0].data<float>(), dx.data<float>(), dy.numel());
      return std::vector<Tensor>{dx};
    });
  }
  return y;
}

}  // namespace lockstep::ops

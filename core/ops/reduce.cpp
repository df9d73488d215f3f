// sum and mean over all elements, in the canonical chunked order of kernels/reduce.h.
#include "core/ops.h"
#include "core/ops/common.h"

namespace lockstep::ops {
namespace {

// Gradient of a full reduction: every element receives dy * factor.
Tensor broadcast_grad(const Tensor& dy, const Shape& shape, float factor) {
  Tensor g = Tensor::empty(shape, DType::F32, dy.device());
  const Tensor dy_scaled = factor == 1.0f ? dy : scale(dy, factor);
  fill_(g, dy_scaled.item());
  return g;
}

}  // namespace

Tensor sum(const Tensor& x) {
  check_float("sum", "x", x);
  Tensor y = empty_like(x, Shape{});
  kernel<OpKind::Sum>(x.device())(x.data<float>(), x.numel(), y.data<float>());
  if (any_requires_grad({&x})) {
    const Shape shape = x.shape();
    record(y, "sum", {x}, [shape](const Tensor& dy) { return std::vector<Tensor>{broadcast_grad(dy, shape, 1.0f)}; });
  }
  return y;
}

Tensor mean(const Tensor& x) {
  check_float("mean", "x", x);
  LS_CHECK(x.numel() > 0, ShapeError, "mean: expected a non-empty tensor, got shape ", x.shape());
  // Order: sum in the canonical tree, then one division by n (a correctly rounded op).
  Tensor total;
  {
    NoGradGuard no_grad;
    total = sum(x);
  }
  Tensor y = Tensor::scalar(total.item() / static_cast<float>(x.numel())).to(x.device());
  if (any_requires_grad({&x})) {
    const Shape shape = x.shape();
    const float n = static_cast<float>(x.numel());
    record(y, "mean", {x}, [shape, n](const Tensor& dy) {
      Tensor g = Tensor::empty(shape, DType::F32, dy.device());
      fill_(g, dy.item() / n);
      return std::vector<Tensor>{g};
    });
  }
  return y;
}

Tensor reshape(const Tensor& x, const Shape& shape) {
  check_defined("reshape", "x", x);
  Tensor y = make_view(x, shape);
  if (any_requires_grad({&x})) {
    const Shape in_shape = x.shape();
    record(y, "reshape", {x}, [in_shape](const Tensor& dy) { return std::vector<Tensor>{make_view(dy, in_shape)}; });
  }
  return y;
}

}  // namespace lockstep::ops

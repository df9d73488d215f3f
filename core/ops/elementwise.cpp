// add, mul, scale, fill_: element-wise ops on equal shapes (no broadcasting).
#include "core/ops.h"
#include "core/ops/common.h"

namespace lockstep::ops {
namespace {

void check_binary(std::string_view op, const Tensor& a, const Tensor& b) {
  check_float(op, "a", a);
  check_float(op, "b", b);
  check_same_device(op, a, b);
  LS_CHECK(a.shape() == b.shape(), ShapeError, op, ": expected equal shapes, got ", a.shape(), " and ", b.shape());
}

}  // namespace

Tensor add(const Tensor& a, const Tensor& b) {
  check_binary("add", a, b);
  Tensor y = empty_like(a);
  kernel<OpKind::Add>(a.device())(a.data<float>(), b.data<float>(), y.data<float>(), a.numel());
  if (any_requires_grad({&a, &b}))
    record(y, "add", {a, b}, [](const Tensor& dy) { return std::vector<Tensor>{dy, dy}; });
  return y;
}

Tensor mul(const Tensor& a, const Tensor& b) {
  check_binary("mul", a, b);
  Tensor y = empty_like(a);
  kernel<OpKind::Mul>(a.device())(a.data<float>(), b.data<float>(), y.data<float>(), a.numel());
  if (any_requires_grad({&a, &b})) {
    // da reads b and db reads a; a gradient nobody needs is neither computed nor saved for.
    const bool need_a = a.requires_grad(), need_b = b.requires_grad();
    record(y, "mul", {a, b}, {{"a", need_b ? a : Tensor()}, {"b", need_a ? b : Tensor()}},
           [need_a, need_b](const Tensor& dy, const std::vector<Tensor>& saved) {
             return std::vector<Tensor>{need_a ? mul(dy, saved[1]) : Tensor(), need_b ? mul(dy, saved[0]) : Tensor()};
           });
  }
  return y;
}

Tensor scale(const Tensor& x, float s) {
  check_float("scale", "x", x);
  Tensor y = empty_like(x);
  kernel<OpKind::Scale>(x.device())(x.data<float>(), s, y.data<float>(), x.numel());
  if (any_requires_grad({&x}))
    record(y, "scale", {x}, [s](const Tensor& dy) { return std::vector<Tensor>{scale(dy, s)}; });
  return y;
}

void fill_(Tensor& t, float value) {
  check_float("fill_", "t", t);
  kernel<OpKind::Fill>(t.device())(t.data<float>(), value, t.numel());
  t.bump_version();
}

}  // namespace lockstep::ops

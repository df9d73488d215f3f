// ops::log_softmax over dim 1 of an (N,C) tensor; the backward reads the saved output.
// Order: docs/ordering.md#log_softmax-forward and #log_softmax-backward.
#include "core/ops.h"
#include "core/ops/common.h"

namespace lockstep::ops {

Tensor log_softmax(const Tensor& x) {
  check_float("log_softmax", "input", x);
  check_rank("log_softmax", "input", "NC", x);
  const i64 rows = x.size(0), cols = x.size(1);
  LS_CHECK(cols >= 1, ShapeError, "log_softmax: expected at least one class (C >= 1), got input ", x.shape());
  Tensor y = empty_like(x);
  kernel<OpKind::LogSoftmaxFwd>(x.device())(x.data<float>(), y.data<float>(), rows, cols);
  if (any_requires_grad({&x})) {
    record(y, "log_softmax", {x}, {{"output", y}}, [rows, cols](const Tensor& dy, const std::vector<Tensor>& saved) {
      Tensor dx = empty_like(dy);
      kernel<OpKind::LogSoftmaxBwd>(dy.device())(dy.data<float>(), saved[0].data<float>(), dx.data<float>(), rows,
                                                 cols);
      return std::vector<Tensor>{dx};
    });
  }
  return y;
}

}  // namespace lockstep::ops

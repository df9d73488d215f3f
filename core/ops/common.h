// Shared checks and helpers for the op front-ends in core/ops/.
#pragma once

#include <string_view>

#include "core/autograd.h"
#include "core/registry.h"
#include "core/tensor.h"
#include "kernels/max_pool2d.h"

namespace lockstep::ops {

inline void check_defined(std::string_view op, std::string_view what, const Tensor& t) {
  LS_CHECK(t.defined(), Error, op, ": ", what, " is an undefined tensor");
}

inline void check_float(std::string_view op, std::string_view what, const Tensor& t) {
  check_defined(op, what, t);
  LS_CHECK(t.dtype() == DType::F32, DTypeError, op, ": expected ", what, " of dtype float32, got ",
           dtype_name(t.dtype()));
}

inline void check_same_device(std::string_view op, const Tensor& a, const Tensor& b) {
  LS_CHECK(a.device() == b.device(), DeviceError, op, ": tensors on different devices (", device_name(a.device()),
           " and ", device_name(b.device()), ")");
}

inline void check_rank(std::string_view op, std::string_view what, std::string_view letters, const Tensor& t) {
  LS_CHECK(t.rank() == static_cast<i64>(letters.size()), ShapeError, op, ": expected ", what, " (",
           [&] {
             std::string s;
             for (size_t i = 0; i < letters.size(); ++i) {
               if (i) s += ',';
               s += letters[i];
             }
             return s;
           }(),
           "), got ", t.shape());
}

// The geometry of a square pooling window over x (N,C,H,W), checked: float input of rank 4,
// kernel_size >= 1, stride >= 0 (0 means kernel_size) and an output of at least 1x1.
inline Pool2dGeom pool2d_geom(std::string_view op, const Tensor& x, i64 kernel_size, i64 stride) {
  check_float(op, "input", x);
  check_rank(op, "input", "NCHW", x);
  LS_CHECK(kernel_size >= 1, ShapeError, op, ": expected kernel_size >= 1, got ", kernel_size);
  LS_CHECK(stride >= 0, ShapeError, op, ": expected stride >= 1 (or 0 for kernel_size), got ", stride);
  if (stride == 0) stride = kernel_size;
  const i64 N = x.size(0), C = x.size(1), H = x.size(2), W = x.size(3);
  const i64 P = kernels::pool_out_extent(H, kernel_size, stride);
  const i64 Q = kernels::pool_out_extent(W, kernel_size, stride);
  LS_CHECK(P >= 1 && Q >= 1, ShapeError, op, ": expected H and W >= kernel_size ", kernel_size,
           " so the output is at least 1x1, got input ", x.shape());
  return Pool2dGeom{N, C, H, W, kernel_size, kernel_size, P, Q, stride};
}

inline Tensor empty_like(const Tensor& t, const Shape& shape) { return Tensor::empty(shape, DType::F32, t.device()); }
inline Tensor empty_like(const Tensor& t) { return empty_like(t, t.shape()); }

// A Node whose backward is a lambda; ops whose formula is short use it instead of a class.
// The lambda receives the saved tensors, in the order they were saved (read them only there:
// a tensor captured by the lambda instead would escape the version check).
template <class F>
class LambdaNode : public Node {
 public:
  LambdaNode(std::string name, F f) : Node(std::move(name)), f_(std::move(f)) {}
  std::vector<Tensor> backward(const Tensor& grad_output) override { return f_(grad_output, saved()); }

 private:
  F f_;
};

// A tensor the backward reads, and its name in the error if it is written in place. An
// undefined tensor (one this backward turns out not to need) is saved as such, unchecked.
struct ToSave {
  const char* what;
  Tensor tensor;
};

// Records output's node: `record(y, "relu", {x}, {{"input", x}}, [](const Tensor& dy, const
// std::vector<Tensor>& saved) { ... saved[0] ... });`.
template <class F>
void record(Tensor& output, std::string name, std::vector<Tensor> inputs, std::initializer_list<ToSave> saved,
            F backward) {
  auto node = std::make_shared<LambdaNode<F>>(std::move(name), std::move(backward));
  for (const ToSave& s : saved) node->save(s.what, s.tensor);
  attach_node(output, std::move(node), std::move(inputs));
}

// For a backward that reads no tensor (its lambda takes only dy): `record(y, "add", {a, b}, f)`.
template <class F>
void record(Tensor& output, std::string name, std::vector<Tensor> inputs, F backward) {
  record(output, std::move(name), std::move(inputs), {},
         [f = std::move(backward)](const Tensor& dy, const std::vector<Tensor>&) { return f(dy); });
}

}  // namespace lockstep::ops

// Tensor: a shape, contiguous row-major strides, a dtype and a shared, device-tagged
// storage, plus the autograd fields. Views (reshape, flatten) share storage.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "core/device.h"
#include "core/error.h"
#include "core/shape.h"
#include "core/storage.h"

namespace lockstep {

class Node;
struct TensorImpl;

class Tensor {
 public:
  Tensor() = default;

  /// Uninitialised storage: `auto t = Tensor::empty({2, 3});`
  static Tensor empty(const Shape& shape, DType dtype = DType::F32, Device device = Device::CPU);
  static Tensor zeros(const Shape& shape, DType dtype = DType::F32, Device device = Device::CPU);
  static Tensor full(const Shape& shape, float value);
  static Tensor from_vector(const std::vector<float>& values, const Shape& shape);
  static Tensor from_ints(const std::vector<i64>& values, const Shape& shape);
  static Tensor scalar(float value) { return from_vector({value}, Shape{}); }

  bool defined() const { return impl_ != nullptr; }
  const Shape& shape() const;
  i64 rank() const { return shape().rank(); }
  i64 size(i64 dim) const;
  i64 numel() const { return shape().numel(); }
  const std::vector<i64>& strides() const;
  DType dtype() const;
  Device device() const;

  // Element pointers into the tensor's own storage (a device pointer for device tensors);
  // throws DTypeError on a mismatch. to_vector/to_int_vector/item copy device tensors back.
  template <class T> T* data();
  template <class T> const T* data() const;
  std::vector<float> to_vector() const;
  std::vector<i64> to_int_vector() const;
  float item() const;

  // In-place writes, counted on the storage (so views share the count): every in-place API
  // bumps it, and code writing through data<T>() into a tensor that may be saved for backward
  // calls bump_version(). Backward refuses a saved tensor whose version moved.
  std::uint64_t version() const;
  void bump_version();

  // Autograd.
  bool requires_grad() const;
  Tensor& set_requires_grad(bool on = true);
  const Tensor& grad() const;  // undefined until a backward pass reaches this leaf
  void zero_grad();            // drops the gradient (the next backward starts from zero)
  void set_grad(const Tensor& g);
  const std::shared_ptr<Node>& grad_fn() const;
  void set_grad_fn(std::shared_ptr<Node> fn);
  /// Reverse-mode pass from a one-element tensor: `loss.backward();`
  void backward() const;

  // Views and copies.
  Tensor reshape(const Shape& shape) const;  // autograd-aware view
  Tensor flatten(i64 start_dim = 1) const;   // (N, ...) -> (N, prod(...))
  Tensor detach() const;                     // same storage, no history
  Tensor clone() const;                      // fresh storage, no history
  /// A copy on `device` (this tensor itself when already there): `Tensor h = t.to(Device::CPU);`
  Tensor to(Device device) const;

  bool same_impl(const Tensor& o) const { return impl_ == o.impl_; }
  TensorImpl* impl() const { return impl_.get(); }

 private:
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}
  friend Tensor make_view(const Tensor& base, const Shape& shape);
  std::shared_ptr<TensorImpl> impl_;
};

struct TensorImpl {
  std::shared_ptr<Storage> storage;
  i64 offset = 0;  // in elements
  Shape shape;
  std::vector<i64> strides;
  DType dtype = DType::F32;
  bool requires_grad = false;
  Tensor grad;
  std::shared_ptr<Node> grad_fn;
};

// A view of base's storage with a new shape of the same element count (no autograd).
Tensor make_view(const Tensor& base, const Shape& shape);

}  // namespace lockstep

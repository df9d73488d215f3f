#include "core/tensor.h"

#include <cstring>

#include "core/autograd.h"
#include "core/ops.h"

namespace lockstep {
namespace {

const TensorImpl& checked(const std::shared_ptr<TensorImpl>& impl) {
  LS_CHECK(impl != nullptr, Error, "tensor: use of an undefined tensor");
  return *impl;
}

template <class T>
constexpr DType dtype_of();
template <>
constexpr DType dtype_of<float>() { return DType::F32; }
template <>
constexpr DType dtype_of<i64>() { return DType::I64; }

}  // namespace

Tensor Tensor::empty(const Shape& shape, DType dtype, Device device) {
  for (i64 d : shape.dims()) LS_CHECK(d >= 0, ShapeError, "tensor: negative dimension in shape ", shape);
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = std::make_shared<Storage>(device, static_cast<size_t>(shape.numel()) * dtype_size(dtype));
  impl->shape = shape;
  impl->strides = contiguous_strides(shape);
  impl->dtype = dtype;
  return Tensor(std::move(impl));
}

Tensor Tensor::zeros(const Shape& shape, DType dtype, Device device) {
  Tensor t = empty(shape, dtype, device);
  if (device == Device::CPU) {
    std::memset(t.impl_->storage->data(), 0, t.impl_->storage->bytes());
  } else {
    ops::fill_(t, 0.0f);
  }
  return t;
}

Tensor Tensor::full(const Shape& shape, float value) {
  Tensor t = empty(shape);
  float* p = t.data<float>();
  for (i64 i = 0; i < t.numel(); ++i) p[i] = value;
  return t;
}

Tensor Tensor::from_vector(const std::vector<float>& values, const Shape& shape) {
  LS_CHECK(static_cast<i64>(values.size()) == shape.numel(), ShapeError, "from_vector: shape ", shape, " needs ",
           shape.numel(), " values, got ", values.size());
  Tensor t = empty(shape);
  // An empty vector's data() may be null, which memcpy must not get even for 0 bytes.
  if (!values.empty()) std::memcpy(t.data<float>(), values.data(), values.size() * sizeof(float));
  return t;
}

Tensor Tensor::from_ints(const std::vector<i64>& values, const Shape& shape) {
  LS_CHECK(static_cast<i64>(values.size()) == shape.numel(), ShapeError, "from_ints: shape ", shape, " needs ",
           shape.numel(), " values, got ", values.size());
  Tensor t = empty(shape, DType::I64);
  if (!values.empty()) std::memcpy(t.data<i64>(), values.data(), values.size() * sizeof(i64));
  return t;
}

const Shape& Tensor::shape() const { return checked(impl_).shape; }
const std::vector<i64>& Tensor::strides() const { return checked(impl_).strides; }
DType Tensor::dtype() const { return checked(impl_).dtype; }
Device Tensor::device() const { return checked(impl_).storage->device(); }

i64 Tensor::size(i64 dim) const {
  const Shape& s = shape();
  const i64 d = dim < 0 ? dim + s.rank() : dim;
  LS_CHECK(d >= 0 && d < s.rank(), ShapeError, "size: dimension ", dim, " out of range for shape ", s);
  return s[d];
}

template <class T>
T* Tensor::data() {
  const TensorImpl& impl = checked(impl_);
  LS_CHECK(impl.dtype == dtype_of<T>(), DTypeError, "data: tensor holds ", dtype_name(impl.dtype), ", asked for ",
           dtype_name(dtype_of<T>()));
  return static_cast<T*>(impl_->storage->data()) + impl.offset;
}
template <class T>
const T* Tensor::data() const {
  return const_cast<Tensor*>(this)->data<T>();
}
template float* Tensor::data<float>();
template const float* Tensor::data<float>() const;
template i64* Tensor::data<i64>();
template const i64* Tensor::data<i64>() const;

std::vector<float> Tensor::to_vector() const {
  if (device() != Device::CPU) return to(Device::CPU).to_vector();
  const float* p = data<float>();
  return std::vector<float>(p, p + numel());
}

std::vector<i64> Tensor::to_int_vector() const {
  if (device() != Device::CPU) return to(Device::CPU).to_int_vector();
  const i64* p = data<i64>();
  return std::vector<i64>(p, p + numel());
}

std::uint64_t Tensor::version() const { return checked(impl_).storage->version(); }
void Tensor::bump_version() { checked(impl_).storage->bump_version(); }

float Tensor::item() const {
  LS_CHECK(numel() == 1, ShapeError, "item: expected a one-element tensor, got shape ", shape());
  return to_vector()[0];
}

bool Tensor::requires_grad() const { return checked(impl_).requires_grad; }
Tensor& Tensor::set_requires_grad(bool on) {
  checked(impl_);
  LS_CHECK(!on || impl_->dtype == DType::F32, DTypeError, "set_requires_grad: only float32 tensors have gradients");
  impl_->requires_grad = on;
  return *this;
}
const Tensor& Tensor::grad() const { return checked(impl_).grad; }
void Tensor::zero_grad() { checked(impl_), impl_->grad = Tensor(); }
void Tensor::set_grad(const Tensor& g) { checked(impl_), impl_->grad = g; }
const std::shared_ptr<Node>& Tensor::grad_fn() const { return checked(impl_).grad_fn; }
void Tensor::set_grad_fn(std::shared_ptr<Node> fn) { checked(impl_), impl_->grad_fn = std::move(fn); }
void Tensor::backward() const { run_backward(*this); }

Tensor make_view(const Tensor& base, const Shape& shape) {
  LS_CHECK(shape.numel() == base.numel(), ShapeError, "reshape: cannot view shape ", base.shape(), " as ", shape,
           " (", base.numel(), " vs ", shape.numel(), " elements)");
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = base.impl_->storage;
  impl->offset = base.impl_->offset;
  impl->shape = shape;
  impl->strides = contiguous_strides(shape);
  impl->dtype = base.impl_->dtype;
  return Tensor(std::move(impl));
}

Tensor Tensor::reshape(const Shape& shape) const { return ops::reshape(*this, shape); }

Tensor Tensor::flatten(i64 start_dim) const {
  const Shape& s = shape();
  LS_CHECK(start_dim >= 0 && start_dim < std::max<i64>(s.rank(), 1), ShapeError, "flatten: start_dim ", start_dim,
           " out of range for shape ", s);
  std::vector<i64> dims(s.dims().begin(), s.dims().begin() + start_dim);
  i64 rest = 1;
  for (i64 i = start_dim; i < s.rank(); ++i) rest *= s[i];
  dims.push_back(rest);
  return reshape(Shape(dims));
}

Tensor Tensor::detach() const { return make_view(*this, shape()); }

Tensor Tensor::clone() const {
  Tensor out = empty(shape(), dtype(), device());
  Storage::copy(out.impl_->storage->data(), device(),
                static_cast<const char*>(impl_->storage->data()) + impl_->offset * dtype_size(dtype()), device(),
                static_cast<size_t>(numel()) * dtype_size(dtype()));
  return out;
}

Tensor Tensor::to(Device target) const {
  if (device() == target) return *this;
  Tensor out = empty(shape(), dtype(), target);
  Storage::copy(out.impl_->storage->data(), target,
                static_cast<const char*>(impl_->storage->data()) + impl_->offset * dtype_size(dtype()), device(),
                static_cast<size_t>(numel()) * dtype_size(dtype()));
  return out;
}

}  // namespace lockstep

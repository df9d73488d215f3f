#include "nn/sgd.h"

#include <utility>

#include "core/registry.h"

namespace lockstep::nn {

SgdOperand describe(const Tensor& t) { return {t.device(), t.dtype(), t.shape()}; }

void check_sgd_operands(std::size_t index, const std::string& name, const SgdOperand& p, const SgdOperand& v,
                        const SgdOperand& g) {
  const std::pair<const char*, const SgdOperand*> operands[] = {{"parameter", &p}, {"momentum buffer", &v},
                                                                {"gradient", &g}};
  for (const auto& [role, t] : operands)
    LS_CHECK(t->device == p.device, DeviceError, "SGD: parameter ", index, " '", name, "': expected the ", role,
             " on ", device_name(p.device), " like the parameter, found ", device_name(t->device));
  for (const auto& [role, t] : operands)
    LS_CHECK(t->dtype == DType::F32, DTypeError, "SGD: parameter ", index, " '", name, "': expected the ", role,
             " of dtype float32, found ", dtype_name(t->dtype));
  for (const auto& [role, t] : operands)
    LS_CHECK(t->shape == p.shape, ShapeError, "SGD: parameter ", index, " '", name, "': expected the ", role,
             " of shape ", p.shape, " like the parameter, found ", t->shape);
}

SGD::SGD(std::vector<NamedTensor> params, float lr, float momentum)
    : params_(std::move(params)), lr_(lr), momentum_(momentum) {
  LS_CHECK(lr >= 0.0f, Error, "SGD: expected lr >= 0, got ", lr);
  LS_CHECK(momentum >= 0.0f, Error, "SGD: expected momentum >= 0, got ", momentum);
  for (const auto& p : params_)
    buffers_.push_back({p.name, Tensor::zeros(p.tensor.shape(), DType::F32, p.tensor.device())});
}

void SGD::step() {
  // All checked before any update, so a refused step leaves every parameter as it was.
  for (size_t i = 0; i < params_.size(); ++i) {
    const Tensor& p = params_[i].tensor;
    if (p.grad().defined())
      check_sgd_operands(i, params_[i].name, describe(p), describe(buffers_[i].tensor), describe(p.grad()));
  }
  for (size_t i = 0; i < params_.size(); ++i) {
    Tensor& p = params_[i].tensor;
    const Tensor& g = p.grad();
    if (!g.defined()) continue;
    Tensor& v = buffers_[i].tensor;
    kernel<OpKind::SgdUpdate>(p.device())(p.data<float>(), v.data<float>(), g.data<float>(), lr_, momentum_,
                                          p.numel());
    p.bump_version();  // a forward that saved p, not yet backpropagated, must not use the new values
    if (momentum_ != 0.0f) v.bump_version();
  }
}

}  // namespace lockstep::nn

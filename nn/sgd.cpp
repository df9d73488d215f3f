#include "nn/sgd.h"

#include "core/registry.h"

namespace lockstep::nn {

SGD::SGD(std::vector<NamedTensor> params, float lr, float momentum)
    : params_(std::move(params)), lr_(lr), momentum_(momentum) {
  LS_CHECK(lr >= 0.0f, Error, "SGD: expected lr >= 0, got ", lr);
  LS_CHECK(momentum >= 0.0f, Error, "SGD: expected momentum >= 0, got ", momentum);
  for (const auto& p : params_)
    buffers_.push_back({p.name, Tensor::zeros(p.tensor.shape(), DType::F32, p.tensor.device())});
}

void SGD::step() {
  for (size_t i = 0; i < params_.size(); ++i) {
    Tensor& p = params_[i].tensor;
    const Tensor& g = p.grad();
    if (!g.defined()) continue;
    kernel<OpKind::SgdUpdate>(p.device())(p.data<float>(), buffers_[i].tensor.data<float>(), g.data<float>(), lr_,
                                          momentum_, p.numel());
  }
}

}  // namespace lockstep::nn

// SGD with momentum, PyTorch semantics: v = momentum*v + g; p -= lr*v (see
// kernels/elementwise.h for the exact rounding). Momentum buffers start at zero, which
// equals PyTorch's first-step copy of g because 0*momentum + g == g exactly.
#pragma once

#include <vector>

#include "nn/module.h"

namespace lockstep::nn {

class SGD {
 public:
  /// `SGD opt(net.parameters(), 0.01f, 0.5f); ... loss.backward(); opt.step(); net.zero_grad();`
  SGD(std::vector<NamedTensor> params, float lr, float momentum = 0.0f);
  void step();  // parameters without a gradient are skipped, as in PyTorch

  std::vector<NamedTensor>& momentum_buffers() { return buffers_; }  // same order as params
  float lr() const { return lr_; }
  float momentum() const { return momentum_; }

 private:
  std::vector<NamedTensor> params_;
  std::vector<NamedTensor> buffers_;
  float lr_, momentum_;
};

}  // namespace lockstep::nn

// SGD with momentum, PyTorch semantics: v = momentum*v + g; p -= lr*v (see
// kernels/elementwise.h for the exact rounding). Momentum buffers start at zero, which
// equals PyTorch's first-step copy of g because 0*momentum + g == g exactly.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "nn/module.h"

namespace lockstep::nn {

// What SGD::step checks of a tensor before its kernel reads the pointers: a description, so
// that a test can state a CUDA tensor without a GPU.
struct SgdOperand {
  Device device;
  DType dtype;
  Shape shape;
};
SgdOperand describe(const Tensor& t);

// Throws a one-line error naming parameter `index` (`name`) unless p, its momentum buffer v
// and its gradient g are float32, on p's device (first: a pointer for the wrong device is an
// illegal access, not an error) and of p's shape.
void check_sgd_operands(std::size_t index, const std::string& name, const SgdOperand& p, const SgdOperand& v,
                        const SgdOperand& g);

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

// The layers of the reference network as modules. Parameters are created as zeros; each
// layer with parameters draws them itself (PyTorch's defaults, with the fan-in only the layer
// knows) from the counter-based init streams (nn/init.h) that Module::reset_parameters
// assigns by the parameter's position in the model, so no init depends on construction history.
#pragma once

#include "core/ops.h"
#include "nn/module.h"

namespace lockstep::nn {

/// `Conv2d conv(1, 10, 5);  y = conv(x);` x: (N,C,H,W) -> (N,K,P,Q)
class Conv2d : public Module {
 public:
  Conv2d(i64 in_channels, i64 out_channels, i64 kernel_size, i64 stride = 1, i64 padding = 0);
  Tensor forward(const Tensor& x) override;
  i64 fan_in() const { return in_channels_ * kernel_size_ * kernel_size_; }
  Tensor weight, bias;

 protected:
  // weight and bias uniform in +-default_init_bound(fan_in()), as PyTorch's Conv2d.
  void init_own_parameters(std::uint64_t seed, std::uint64_t first_stream) override;

 private:
  i64 in_channels_, kernel_size_;
  ops::Conv2dOptions options_;
};

/// `Linear fc(320, 50);  y = fc(x);` x: (N,I) -> (N,O)
class Linear : public Module {
 public:
  Linear(i64 in_features, i64 out_features);
  Tensor forward(const Tensor& x) override;
  i64 fan_in() const { return in_features_; }
  Tensor weight, bias;

 protected:
  // weight and bias uniform in +-default_init_bound(fan_in()), as PyTorch's Linear.
  void init_own_parameters(std::uint64_t seed, std::uint64_t first_stream) override;

 private:
  i64 in_features_;
};

class MaxPool2d : public Module {
 public:
  explicit MaxPool2d(i64 kernel_size, i64 stride = 0) : kernel_size_(kernel_size), stride_(stride) {}
  Tensor forward(const Tensor& x) override { return ops::max_pool2d(x, kernel_size_, stride_); }

 private:
  i64 kernel_size_, stride_;
};

class ReLU : public Module {
 public:
  Tensor forward(const Tensor& x) override { return ops::relu(x); }
};

class LogSoftmax : public Module {
 public:
  Tensor forward(const Tensor& x) override { return ops::log_softmax(x); }
};

}  // namespace lockstep::nn

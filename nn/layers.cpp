#include "nn/layers.h"

#include "nn/init.h"

namespace lockstep::nn {
namespace {

// PyTorch's default for both layer kinds: weight, then bias, uniform in +-1/sqrt(fan_in).
void init_weight_and_bias(Tensor& weight, Tensor& bias, i64 fan_in, std::uint64_t seed, std::uint64_t first_stream) {
  const float bound = default_init_bound(fan_in);
  init_uniform_(weight, bound, seed, first_stream);
  init_uniform_(bias, bound, seed, first_stream + 1);
}

}  // namespace

Conv2d::Conv2d(i64 in_channels, i64 out_channels, i64 kernel_size, i64 stride, i64 padding)
    : in_channels_(in_channels), kernel_size_(kernel_size), options_{stride, padding} {
  LS_CHECK(in_channels >= 1 && out_channels >= 1 && kernel_size >= 1, ShapeError,
           "Conv2d: expected positive channels and kernel size, got in=", in_channels, " out=", out_channels,
           " kernel=", kernel_size);
  weight = register_parameter("weight", Tensor::zeros({out_channels, in_channels, kernel_size, kernel_size}));
  bias = register_parameter("bias", Tensor::zeros({out_channels}));
}

Tensor Conv2d::forward(const Tensor& x) { return ops::conv2d(x, weight, bias, options_); }

void Conv2d::init_own_parameters(std::uint64_t seed, std::uint64_t first_stream) {
  init_weight_and_bias(weight, bias, fan_in(), seed, first_stream);
}

Linear::Linear(i64 in_features, i64 out_features) : in_features_(in_features) {
  LS_CHECK(in_features >= 1 && out_features >= 1, ShapeError, "Linear: expected positive sizes, got in=",
           in_features, " out=", out_features);
  weight = register_parameter("weight", Tensor::zeros({out_features, in_features}));
  bias = register_parameter("bias", Tensor::zeros({out_features}));
}

Tensor Linear::forward(const Tensor& x) { return ops::linear(x, weight, bias); }

void Linear::init_own_parameters(std::uint64_t seed, std::uint64_t first_stream) {
  init_weight_and_bias(weight, bias, fan_in(), seed, first_stream);
}

}  // namespace lockstep::nn

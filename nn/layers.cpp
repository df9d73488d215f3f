#include "nn/layers.h"

namespace lockstep::nn {

Conv2d::Conv2d(i64 in_channels, i64 out_channels, i64 kernel_size, i64 stride, i64 padding)
    : in_channels_(in_channels), kernel_size_(kernel_size), options_{stride, padding} {
  LS_CHECK(in_channels >= 1 && out_channels >= 1 && kernel_size >= 1, ShapeError,
           "Conv2d: expected positive channels and kernel size, got in=", in_channels, " out=", out_channels,
           " kernel=", kernel_size);
  weight = register_parameter("weight", Tensor::zeros({out_channels, in_channels, kernel_size, kernel_size}));
  bias = register_parameter("bias", Tensor::zeros({out_channels}));
}

Tensor Conv2d::forward(const Tensor& x) { return ops::conv2d(x, weight, bias, options_); }

Linear::Linear(i64 in_features, i64 out_features) : in_features_(in_features) {
  LS_CHECK(in_features >= 1 && out_features >= 1, ShapeError, "Linear: expected positive sizes, got in=",
           in_features, " out=", out_features);
  weight = register_parameter("weight", Tensor::zeros({out_features, in_features}));
  bias = register_parameter("bias", Tensor::zeros({out_features}));
}

Tensor Linear::forward(const Tensor& x) { return ops::linear(x, weight, bias); }

}  // namespace lockstep::nn

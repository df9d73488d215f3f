// The differentiable operations. Each validates its inputs (errors name the op and say
// expected vs got), records an autograd node when a gradient is needed, and dispatches to
// the kernel for the tensors' device and the current Mode. Each op's front end and backward
// formula are written once: add, mul, scale and fill_ in core/ops/elementwise.cpp; sum, mean
// and reshape in core/ops/reduce.cpp; every other op in core/ops/<op>.cpp. The random ops
// (dropout, dropout2d) are declared in core/ops_random.h.
#pragma once

#include "core/tensor.h"

namespace lockstep::ops {

// Element-wise, same shapes (no broadcasting).
Tensor add(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor scale(const Tensor& x, float s);
void fill_(Tensor& t, float value);  // in place, no autograd

// Reductions to a scalar, in the canonical chunked order (kernels/reduce.h).
Tensor sum(const Tensor& x);
Tensor mean(const Tensor& x);

Tensor reshape(const Tensor& x, const Shape& shape);

struct Conv2dOptions {
  i64 stride = 1;
  i64 padding = 0;
};
/// x: (N,C,H,W), weight: (K,C,R,S), bias: (K) -> (N,K,P,Q).
Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, Conv2dOptions options = {});

/// x: (N,C,H,W) -> (N,C,P,Q); stride defaults to the kernel size. First index wins on ties; NaN propagates.
Tensor max_pool2d(const Tensor& x, i64 kernel_size, i64 stride = 0);
/// relu(max_pool2d(x, kernel_size, stride)) as one op, with the same bits forward and backward;
/// the pooled tensor before relu is never materialised.
Tensor max_pool2d_relu(const Tensor& x, i64 kernel_size, i64 stride = 0);

/// x: (N,C,H,W) -> (N,C,P,Q), the mean of each window; stride defaults to the kernel size.
Tensor avg_pool2d(const Tensor& x, i64 kernel_size, i64 stride = 0);

/// x: (N,I), weight: (O,I), bias: (O) -> (N,O).
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias);

Tensor relu(const Tensor& x);

/// log_softmax over dim 1 of a (N,C) tensor.
Tensor log_softmax(const Tensor& x);

/// Mean over the batch of -logp[n, target[n]]; logp: (N,C) float32, target: (N) int64 in [0, C).
Tensor nll_loss(const Tensor& logp, const Tensor& target);

}  // namespace lockstep::ops

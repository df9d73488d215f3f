// The random ops: dropout (element-wise) and dropout2d (whole channels, alone or fused
// with the max_pool2d_relu that follows it in the reference CNN). Their masks are pure
// functions of a DropoutKey and the element (or channel) index, never of threads or devices;
// the backward pass recomputes the mask from the key, so no mask tensor is saved.
// See docs/randomness.md#dropout.
#pragma once

#include <cstdint>

#include "core/tensor.h"

namespace lockstep::ops {

/// What a dropout mask is keyed on: `DropoutKey{.seed = 1, .layer_id = 0, .step = 42}`.
struct DropoutKey {
  std::uint64_t seed = 0;
  std::uint64_t layer_id = 0;  // which dropout layer of the model (fixed per layer instance)
  std::int64_t step = 0;       // training step, >= 0
};

/// Inverted dropout: in training each element is kept with probability 1 - p and scaled by
/// 1/(1 - p), else set to +0. Eval mode and p = 0 return x itself; p = 1 gives zeros.
/// `y = ops::dropout(x, 0.5f, model.is_training(), {seed, 1, step});`
Tensor dropout(const Tensor& x, float p, bool training, const DropoutKey& key);

/// Dropout2d on x: (N,C,H,W): each (n, c) plane is kept or zeroed as a whole, with mask
/// index n*C + c. Same scaling, modes and p rules as dropout.
/// `y = ops::dropout2d(x, 0.5f, model.is_training(), {seed, 0, step});`
Tensor dropout2d(const Tensor& x, float p, bool training, const DropoutKey& key);

/// ops::max_pool2d_relu(ops::dropout2d(x, p, training, key), kernel_size, stride) as one op,
/// with the same bits forward and backward: the masked tensor is never materialised, and a
/// dropped plane is never read.
Tensor dropout2d_max_pool2d_relu(const Tensor& x, float p, bool training, const DropoutKey& key, i64 kernel_size,
                                 i64 stride = 0);

}  // namespace lockstep::ops

// Parameter initialisation from the counter-based init stream (core/random.h): element i of
// parameter k depends only on (seed, k, i), never on construction order, threads or devices.
// Distributions follow PyTorch's defaults for Conv2d and Linear. See docs/randomness.md#init.
#pragma once

#include <cstdint>

#include "core/tensor.h"

namespace lockstep::nn {

/// PyTorch's default bound for Conv2d/Linear weights and biases: 1/sqrt(fan_in), evaluated
/// in double (sqrt and division correctly rounded) and rounded once to float. `default_init_bound(320)`
float default_init_bound(i64 fan_in);

/// Fills a CPU float32 tensor in place with uniform values in [-bound, bound]:
/// t[i] = (2 u_i - 1) * bound, u_i = float(w_i >> 8) * 2^-24, w_i = word i of
/// random::stream_for_init(seed, param_index). No autograd is recorded.
/// `init_uniform_(fc1.weight, default_init_bound(320), seed, 2);`
void init_uniform_(Tensor& t, float bound, std::uint64_t seed, std::uint64_t param_index);

}  // namespace lockstep::nn

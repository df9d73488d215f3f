// Synthetic, learnable MNIST-shaped batches from a fixed integer hash, shared by the
// end-to-end tests, the training-step benchmark and the cross-ISA workload: class c lights a
// c-dependent band of rows on top of hash noise, so a CNN can fit it and the loss must fall.
#pragma once

#include <cstdint>
#include <vector>

#include "nn/training.h"
#include "reference/data.h"

namespace lockstep::test {

inline nn::Batch synthetic_mnist_batch(std::uint64_t step, i64 batch) {
  std::vector<float> x(static_cast<size_t>(batch * 784));
  std::vector<i64> y(static_cast<size_t>(batch));
  for (i64 n = 0; n < batch; ++n) {
    const std::uint64_t id = step * static_cast<std::uint64_t>(batch) + static_cast<std::uint64_t>(n);
    const i64 label = static_cast<i64>(mix64(id) % 10);
    y[static_cast<size_t>(n)] = label;
    for (i64 i = 0; i < 784; ++i) {
      const i64 row = i / 28;
      const float band = (row >= 2 * label + 4 && row < 2 * label + 8) ? 2.0f : 0.0f;
      x[static_cast<size_t>(n * 784 + i)] = band + hash_uniform(id, static_cast<std::uint64_t>(i), -0.5f, 0.5f);
    }
  }
  return {Tensor::from_vector(x, {batch, 1, 28, 28}), Tensor::from_ints(y, {batch})};
}

}  // namespace lockstep::test

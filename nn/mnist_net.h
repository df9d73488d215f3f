// The reference network: the classic PyTorch MNIST example (docs/sources.md#the-reference-network).
//   conv1 (1->10, 5x5) -> max_pool 2 -> relu
//   conv2 (10->20, 5x5) -> dropout2d(0.5) -> max_pool 2 -> relu
//   flatten (320) -> fc1 (320->50) -> relu -> dropout(0.5) -> fc2 (50->10) -> log_softmax
// Parameters, in this order (the order of init streams, checkpoints and the fingerprint):
//   conv1.weight, conv1.bias, conv2.weight, conv2.bias, fc1.weight, fc1.bias, fc2.weight, fc2.bias.
#pragma once

#include <cstdint>
#include <memory>

#include "nn/layers.h"

namespace lockstep::nn {

struct MnistNetOptions {
  std::uint64_t seed = 1;  // keys the init and dropout streams
  bool dropout = true;     // false: the network without its two dropout layers
  float dropout_p = 0.5f;
};

class MnistNet : public Module {
 public:
  explicit MnistNet(MnistNetOptions options = {});
  Tensor forward(const Tensor& x) override;  // x: (N,1,28,28) -> log-probabilities (N,10)

  // Re-draws every parameter from the init stream of `seed` (PyTorch's default bounds).
  void reset_parameters(std::uint64_t seed);

  const MnistNetOptions& options() const { return options_; }

 private:
  MnistNetOptions options_;
  std::shared_ptr<Conv2d> conv1_, conv2_;
  std::shared_ptr<Linear> fc1_, fc2_;
};

}  // namespace lockstep::nn

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
  std::uint64_t seed = 1;     // keys the init and dropout streams
  bool dropout = true;        // false: the network without its two dropout layers
  float dropout_p = 0.5f;     // dropout2d after conv2
  float fc_dropout_p = 0.5f;  // dropout after fc1
};

class MnistNet : public Module {
 public:
  // The one input shape the network takes: fc1's 320 inputs are conv2's 20 channels of 4x4.
  static constexpr i64 kInputChannels = 1, kInputHeight = 28, kInputWidth = 28;

  // Parameters drawn by reset_parameters(options.seed).
  explicit MnistNet(MnistNetOptions options = {});
  Tensor forward(const Tensor& x) override;  // x: (N,1,28,28) -> log-probabilities (N,10)

  const MnistNetOptions& options() const { return options_; }

 private:
  MnistNetOptions options_;
  std::shared_ptr<Conv2d> conv1_, conv2_;
  std::shared_ptr<Linear> fc1_, fc2_;
};

}  // namespace lockstep::nn

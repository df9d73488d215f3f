#include "nn/mnist_net.h"

#include "core/ops_random.h"

namespace lockstep::nn {
namespace {
// Dropout layer ids: part of the dropout stream key (docs/randomness.md).
constexpr std::uint64_t kConv2DropLayer = 0;
constexpr std::uint64_t kFc1DropLayer = 1;
}  // namespace

MnistNet::MnistNet(MnistNetOptions options) : options_(options) {
  conv1_ = std::make_shared<Conv2d>(kInputChannels, 10, 5);
  conv2_ = std::make_shared<Conv2d>(10, 20, 5);
  fc1_ = std::make_shared<Linear>(320, 50);
  fc2_ = std::make_shared<Linear>(50, 10);
  register_module("conv1", conv1_);
  register_module("conv2", conv2_);
  register_module("fc1", fc1_);
  register_module("fc2", fc2_);
  reset_parameters(options_.seed);
}

Tensor MnistNet::forward(const Tensor& x) {
  LS_CHECK(x.rank() == 4 && x.size(1) == kInputChannels && x.size(2) == kInputHeight && x.size(3) == kInputWidth,
           ShapeError, "MnistNet: expected input (N,1,28,28), got ", x.shape());
  const bool drop = options_.dropout && is_training();
  Tensor h = ops::max_pool2d_relu((*conv1_)(x), 2);
  // dropout2d then max_pool2d then relu, as one op (the same bits as the three).
  h = ops::dropout2d_max_pool2d_relu((*conv2_)(h), options_.dropout_p, drop, {options_.seed, kConv2DropLayer, step()}, 2);
  h = ops::relu((*fc1_)(h.flatten(1)));
  if (drop) h = ops::dropout(h, options_.fc_dropout_p, true, {options_.seed, kFc1DropLayer, step()});
  return ops::log_softmax((*fc2_)(h));
}

}  // namespace lockstep::nn

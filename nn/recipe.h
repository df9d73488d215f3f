// A training recipe: everything that decides the bits of a run besides the data and the
// mode. The command line (`lockstep train`, `verify`), `lockstep study training` and the
// C++ example all start from reference_mnist(), so the reference numbers live in one place.
#pragma once

#include <cstdint>
#include <string>

#include "core/shape.h"

namespace lockstep::nn {

// One sample's shape: channels x height x width.
struct ImageShape {
  i64 channels = 0, height = 0, width = 0;
  bool operator==(const ImageShape&) const = default;
};

struct Recipe {
  std::string model;  // a name make_model() knows (nn/models.h)
  ImageShape input;
  // Input normalisation: x = (pixel / 255 - norm_mean) / norm_std (nn::normalize_images).
  float norm_mean = 0, norm_std = 0;
  bool dropout = false;     // false: the model without its dropout layers
  float conv_dropout_p = 0; // dropout2d after the last convolution
  float fc_dropout_p = 0;   // dropout after the hidden fully connected layer
  i64 batch_size = 0, test_batch_size = 0;
  float lr = 0, momentum = 0;  // SGD
  int epochs = 0;
  std::uint64_t seed = 0;  // keys the init, dropout and data-order streams
};

/// PyTorch's classic MNIST example as lockstep trains it: MnistNet on 1x28x28 images
/// normalised with mean 0.1307 and std 0.3081, dropout p 0.5 twice, batch 32 (test 64),
/// SGD lr 0.01 momentum 0.5, 4 epochs, seed 1.
Recipe reference_mnist();

/// Throws Error naming the first field out of range, e.g.
/// "recipe: batch_size must be >= 1, got 0".
void check_recipe(const Recipe& r);

std::string shape_text(const ImageShape& s);  // "1x28x28"

}  // namespace lockstep::nn

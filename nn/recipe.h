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

// The largest batch size a recipe may ask for (2^31 - 1): far beyond any data set here,
// and small enough that no product of batch counts and sizes can overflow.
inline constexpr i64 kMaxBatchSize = 2147483647;

/// Throws Error naming the first field out of range, e.g.
/// "recipe: batch_size must be in [1, 2147483647], got 0".
void check_recipe(const Recipe& r);

/// Batches in an epoch of `samples` samples: ceil(samples / batch_size), without the
/// overflow of (samples + batch_size - 1). Error unless samples >= 0 and batch_size >= 1.
i64 batches_per_epoch(i64 samples, i64 batch_size);

std::string shape_text(const ImageShape& s);  // "1x28x28"

}  // namespace lockstep::nn

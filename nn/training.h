// The pieces of a training run that the command line, the C++ example, `verify` and the
// tests share: input normalisation, batch assembly in a given order, one SGD step,
// evaluation, and the weight fingerprint.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "nn/module.h"
#include "nn/sgd.h"

namespace lockstep::nn {

// PyTorch's ToTensor + Normalize(mean, std), in float32: x = ((b / 255) - mean) / std,
// each operation rounded once. pixels: count*rows*cols bytes -> (count, 1, rows, cols).
Tensor normalize_images(const std::uint8_t* pixels, i64 count, i64 rows, i64 cols, float mean, float std);
Tensor labels_tensor(const std::vector<std::uint8_t>& labels);  // -> int64 (N)

struct Batch {
  Tensor x;  // (B,1,H,W)
  Tensor y;  // (B) int64
};

// Rows order[begin..end) of images/labels.
Batch gather_batch(const Tensor& images, const Tensor& labels, const std::vector<i64>& order, i64 begin, i64 end);
// Rows [begin, end) in storage order.
Batch slice_batch(const Tensor& images, const Tensor& labels, i64 begin, i64 end);
// Rows order[begin..end) gathered on the device the tensors live on (order: int64 tensor of
// valid row numbers on that device), so data uploaded once is sliced there: no per-batch copy.
Batch gather_batch(const Tensor& images, const Tensor& labels, const Tensor& order, i64 begin, i64 end);

// Moves every tensor to `device` in place: each keeps its identity (a module's parameter
// handles see the move) and gets a copy of its values in new storage there.
void move_to_device(const std::vector<NamedTensor>& tensors, Device device);

// One step: forward in training mode with dropout keyed on `step`, mean NLL loss,
// backward, SGD update, gradients dropped. Returns the loss.
float train_step(Module& model, SGD& opt, const Batch& batch, std::int64_t step);

struct EvalResult {
  double loss_sum = 0;  // sum over samples of -log p(label), accumulated in double in sample order
  i64 correct = 0;
  i64 total = 0;
  double mean_loss() const { return total ? loss_sum / static_cast<double>(total) : 0.0; }
  double accuracy() const { return total ? static_cast<double>(correct) / static_cast<double>(total) : 0.0; }
};

// Eval mode, no graph; the prediction is the first index of the maximum log-probability.
EvalResult evaluate(Module& model, const Tensor& images, const Tensor& labels, i64 batch_size);

// What evaluate() reads of each sample of [begin, end), in sample order: the log-probability
// of its label and whether the prediction is right (1 or 0, a float to travel with the other).
struct SampleScores {
  std::vector<float> label_logp;
  std::vector<float> correct;
};
SampleScores score_samples(Module& model, const Tensor& images, const Tensor& labels, i64 begin, i64 end,
                           i64 batch_size);
// The EvalResult of scores: the loss summed in double in sample order.
EvalResult summarize(const SampleScores& scores);

// The name of the first tensor holding a NaN or an infinity ("" when all are finite); a
// tensor on a device is copied to the host to be read.
std::string first_non_finite(const std::vector<NamedTensor>& tensors);

// SHA-256 of every parameter's float32 bytes (little-endian), in parameters() order,
// as "sha256:<64 hex>". See docs/fingerprint.md.
std::string fingerprint(const Module& model);
std::string fingerprint(const std::vector<NamedTensor>& tensors);

}  // namespace lockstep::nn

#include "nn/recipe.h"

#include <cmath>
#include <limits>

#include "core/error.h"

namespace lockstep::nn {
namespace {

void check_probability(const char* field, float p) {
  LS_CHECK(std::isfinite(p) && p >= 0.0f && p < 1.0f, Error, "recipe: ", field, " must be in [0, 1), got ", p);
}

void check_count(const char* field, i64 v, i64 max) {
  LS_CHECK(v >= 1 && v <= max, Error, "recipe: ", field, " must be in [1, ", max, "], got ", v);
}

}  // namespace

Recipe reference_mnist() {
  Recipe r;
  r.model = "mnist_net";
  r.input = {1, 28, 28};
  r.norm_mean = 0.1307f;
  r.norm_std = 0.3081f;
  r.dropout = true;
  r.conv_dropout_p = 0.5f;
  r.fc_dropout_p = 0.5f;
  r.batch_size = 32;
  r.test_batch_size = 64;
  r.lr = 0.01f;
  r.momentum = 0.5f;
  r.epochs = 4;
  r.seed = 1;
  return r;
}

void check_recipe(const Recipe& r) {
  LS_CHECK(!r.model.empty(), Error, "recipe: model must name a model, got ''");
  LS_CHECK(r.input.channels >= 1 && r.input.height >= 1 && r.input.width >= 1, Error,
           "recipe: input must be positive channels x height x width, got ", shape_text(r.input));
  LS_CHECK(std::isfinite(r.norm_mean), Error, "recipe: norm_mean must be finite, got ", r.norm_mean);
  LS_CHECK(std::isfinite(r.norm_std) && r.norm_std > 0.0f, Error, "recipe: norm_std must be finite and > 0, got ",
           r.norm_std);
  check_probability("conv_dropout_p", r.conv_dropout_p);
  check_probability("fc_dropout_p", r.fc_dropout_p);
  check_count("batch_size", r.batch_size, kMaxBatchSize);
  check_count("test_batch_size", r.test_batch_size, kMaxBatchSize);
  check_count("epochs", r.epochs, std::numeric_limits<int>::max());
  LS_CHECK(std::isfinite(r.lr) && r.lr >= 0.0f, Error, "recipe: lr must be finite and >= 0, got ", r.lr);
  LS_CHECK(std::isfinite(r.momentum) && r.momentum >= 0.0f, Error, "recipe: momentum must be finite and >= 0, got ",
           r.momentum);
}

i64 batches_per_epoch(i64 samples, i64 batch_size) {
  LS_CHECK(samples >= 0 && batch_size >= 1, Error, "batches_per_epoch: expected samples >= 0 and batch size >= 1, got ",
           samples, " and ", batch_size);
  return samples / batch_size + (samples % batch_size != 0 ? 1 : 0);
}

std::string shape_text(const ImageShape& s) {
  return std::to_string(s.channels) + "x" + std::to_string(s.height) + "x" + std::to_string(s.width);
}

}  // namespace lockstep::nn

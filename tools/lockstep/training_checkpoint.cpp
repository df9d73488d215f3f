#include "tools/lockstep/training_checkpoint.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "nn/checkpoint.h"
#include "nn/training.h"
#include "tools/lockstep/recipe_io.h"

namespace lockstep::cli {
namespace {

constexpr const char* kFormat = "lockstep-train-v1";

// Recipe fields checkpoints did not record at first; a checkpoint without one was written
// with the reference value (the only one those builds could use).
bool recorded_later(const std::string& key) {
  return key == "conv_dropout_p" || key == "fc_dropout_p" || key == "input";
}

const std::string& metadata(const nn::Checkpoint& c, const std::string& path, const std::string& key) {
  auto it = c.metadata.find(key);
  LS_CHECK(it != c.metadata.end(), IoError, path, ": not a lockstep training checkpoint (no '", key, "' metadata)");
  return it->second;
}

i64 metadata_int(const nn::Checkpoint& c, const std::string& path, const std::string& key) {
  const std::string& text = metadata(c, path, key);
  i64 v = -1;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  LS_CHECK(ec == std::errc() && end == text.data() + text.size() && v >= 0, IoError, path, ": metadata '", key,
           "': expected a count (a decimal integer in [0, 2^63)), got '", text, "'");
  return v;
}

// The position must be one this recipe can reach: step = epoch * batches + batch, the loss
// sum of the batches so far in this epoch finite and not negative (a sum of NLL losses).
void check_position(const Position& p, const std::string& path, const PositionLimits& limits) {
  const i64 epochs = limits.epochs, per_epoch = limits.batches_per_epoch;
  LS_CHECK(p.epoch < epochs || (p.epoch == epochs && p.batch == 0), IoError, path, ": metadata 'epoch' is ", p.epoch,
           ", expected below the recipe's ", epochs, " epochs (or ", epochs, " with batch 0: the run is complete)");
  // batch == per_epoch: every batch of the epoch done, its evaluation not yet (interrupted there).
  LS_CHECK(p.batch <= per_epoch, IoError, path, ": metadata 'batch' is ", p.batch, ", expected at most the ",
           per_epoch, " batches per epoch of this recipe and data");
  const i64 expected_step = p.epoch * per_epoch + p.batch;  // no overflow: epoch <= 2^31, batches <= 2^31
  LS_CHECK(p.step == expected_step, IoError, path, ": metadata 'step' is ", p.step, ", expected ", expected_step,
           " at epoch ", p.epoch, ", batch ", p.batch, " with ", per_epoch, " batches per epoch");
  LS_CHECK(p.epoch_batches == p.batch, IoError, path, ": metadata 'epoch_batches' is ", p.epoch_batches,
           ", expected ", p.batch, " (the batches done in this epoch: metadata 'batch')");
  LS_CHECK(std::isfinite(p.epoch_loss_sum) && p.epoch_loss_sum >= 0, IoError, path, ": metadata 'epoch_loss_sum' is ",
           p.epoch_loss_sum, ", expected a finite sum of losses >= 0");
}

// The weights must be those the checkpoint's own fingerprint was taken of: the one check
// files written before digests (nn/checkpoint.h) get on their tensors.
void check_fingerprint(const nn::Module& model, const nn::Checkpoint& c, const std::string& path) {
  const std::string& want = metadata(c, path, "fingerprint");
  const std::string have = nn::fingerprint(model);
  LS_CHECK(have == want, IoError, path, ": the weights have fingerprint ", have, ", metadata 'fingerprint' records ",
           want, ": the file is corrupted");
}

void check_finite(const nn::NamedTensor& t, const std::string& path) {
  const float* v = t.tensor.data<float>();
  for (i64 i = 0; i < t.tensor.numel(); ++i)
    LS_CHECK(std::isfinite(v[i]), Error, "checkpoint ", path, ": tensor '", t.name, "' element ", i, " is ", v[i],
             "; a checkpoint never holds non-finite values");
}

void check_recipe_fields(const nn::Checkpoint& c, const std::string& path, const CheckpointRecipe& recipe) {
  const std::map<std::string, std::string> reference = recipe_metadata(nn::reference_mnist());
  for (const auto& [key, want] : recipe.fields) {
    auto it = c.metadata.find(key);
    const std::string have = it != c.metadata.end() ? it->second
                             : recorded_later(key)  ? reference.at(key)
                                                    : "(missing)";
    LS_CHECK(have == want, Error, "resume: ", path, " was written with ", key, " = ", have, ", this run has ", want,
             "; resume with the same recipe");
  }
}

void restore_tensor(const nn::Checkpoint& c, const std::string& path, const std::string& name, Tensor& into) {
  const auto found =
      std::find_if(c.tensors.begin(), c.tensors.end(), [&](const nn::NamedTensor& t) { return t.name == name; });
  LS_CHECK(found != c.tensors.end(), IoError, path, ": no tensor '", name, "', which the model has");
  const Tensor& t = found->tensor;
  LS_CHECK(t.shape() == into.shape(), IoError, path, ": tensor '", name, "' has shape ", t.shape(),
           ", the model expects ", into.shape());
  std::copy(t.data<float>(), t.data<float>() + t.numel(), into.data<float>());
}

}  // namespace

void save_training_checkpoint(const std::string& path, const nn::Module& model, nn::SGD& opt, const Position& pos,
                              const CheckpointRecipe& recipe) {
  nn::Checkpoint ckpt;
  for (const auto& p : model.parameters()) ckpt.tensors.push_back({p.name, p.tensor.to(Device::CPU)});
  for (const auto& b : opt.momentum_buffers())
    ckpt.tensors.push_back({"momentum." + b.name, b.tensor.to(Device::CPU)});
  for (const auto& t : ckpt.tensors) check_finite(t, path);
  ckpt.model = recipe.model;
  ckpt.metadata = recipe.fields;
  ckpt.metadata["format"] = kFormat;
  ckpt.metadata["epoch"] = std::to_string(pos.epoch);
  ckpt.metadata["batch"] = std::to_string(pos.batch);
  ckpt.metadata["step"] = std::to_string(pos.step);
  ckpt.metadata["epoch_loss_sum"] = hex_float(pos.epoch_loss_sum);
  ckpt.metadata["epoch_batches"] = std::to_string(pos.epoch_batches);
  ckpt.metadata["fingerprint"] = nn::fingerprint(model);
  nn::save_checkpoint(path, ckpt);
}

Position load_training_checkpoint(const std::string& path, nn::Module& model, nn::SGD& opt,
                                  const CheckpointRecipe& recipe, const PositionLimits& limits) {
  const nn::Checkpoint c = nn::load_checkpoint(path, recipe.model);
  auto fmt_it = c.metadata.find("format");
  LS_CHECK(fmt_it != c.metadata.end() && fmt_it->second == kFormat, IoError, path,
           ": not a lockstep training checkpoint (format metadata missing or unknown)");
  check_recipe_fields(c, path, recipe);
  for (auto& p : model.parameters()) restore_tensor(c, path, p.name, p.tensor);
  for (auto& b : opt.momentum_buffers()) restore_tensor(c, path, "momentum." + b.name, b.tensor);
  const size_t expected = model.parameters().size() + opt.momentum_buffers().size();
  LS_CHECK(c.tensors.size() == expected, IoError, path, ": holds ", c.tensors.size(), " tensors, expected ", expected,
           " (the model's parameters and their momentum buffers)");
  check_fingerprint(model, c, path);
  Position pos;
  pos.epoch = metadata_int(c, path, "epoch");
  pos.batch = metadata_int(c, path, "batch");
  pos.step = metadata_int(c, path, "step");
  pos.epoch_batches = metadata_int(c, path, "epoch_batches");
  pos.epoch_loss_sum = parse_hex_float(metadata(c, path, "epoch_loss_sum"), path + ": metadata 'epoch_loss_sum'");
  check_position(pos, path, limits);
  return pos;
}

}  // namespace lockstep::cli

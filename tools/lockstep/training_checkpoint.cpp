#include "tools/lockstep/training_checkpoint.h"

#include <algorithm>

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

i64 metadata_int(const nn::Checkpoint& c, const std::string& path, const std::string& key) {
  auto it = c.metadata.find(key);
  LS_CHECK(it != c.metadata.end(), IoError, path, ": not a lockstep training checkpoint (no '", key, "' metadata)");
  try {
    size_t used = 0;
    const long long v = std::stoll(it->second, &used);
    LS_CHECK(used == it->second.size() && v >= 0, IoError, path, ": metadata '", key, "' is not a count: '",
             it->second, "'");
    return v;
  } catch (const std::logic_error&) {
    throw IoError(path + ": metadata '" + key + "' is not a count: '" + it->second + "'");
  }
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
  const Tensor& t = c.get(name);
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
                                  const CheckpointRecipe& recipe) {
  const nn::Checkpoint c = nn::load_checkpoint(path, recipe.model);
  auto fmt_it = c.metadata.find("format");
  LS_CHECK(fmt_it != c.metadata.end() && fmt_it->second == kFormat, IoError, path,
           ": not a lockstep training checkpoint (format metadata missing or unknown)");
  check_recipe_fields(c, path, recipe);
  for (auto& p : model.parameters()) restore_tensor(c, path, p.name, p.tensor);
  for (auto& b : opt.momentum_buffers()) restore_tensor(c, path, "momentum." + b.name, b.tensor);
  Position pos;
  pos.epoch = metadata_int(c, path, "epoch");
  pos.batch = metadata_int(c, path, "batch");
  pos.step = metadata_int(c, path, "step");
  pos.epoch_batches = metadata_int(c, path, "epoch_batches");
  auto loss = c.metadata.find("epoch_loss_sum");
  LS_CHECK(loss != c.metadata.end(), IoError, path, ": not a lockstep training checkpoint (no 'epoch_loss_sum' metadata)");
  pos.epoch_loss_sum = parse_hex_float(loss->second, path + ": metadata 'epoch_loss_sum'");
  return pos;
}

}  // namespace lockstep::cli

// Training checkpoints: the weights, the momentum buffers, the position in the run and the
// recipe fields a resume must match. Everything random is counter-based
// (docs/randomness.md), so these are the whole state: resuming reproduces the bits of the
// uninterrupted run.
#pragma once

#include <map>
#include <string>

#include "nn/module.h"
#include "nn/sgd.h"

namespace lockstep::cli {

struct Position {
  i64 epoch = 0;  // 0-based epoch being run
  i64 batch = 0;  // next batch within it
  i64 step = 0;   // steps done so far
  double epoch_loss_sum = 0;
  i64 epoch_batches = 0;
};

// What a checkpoint must agree with: the model name and the recipe metadata
// (recipe_metadata() plus the training images' SHA-256).
struct CheckpointRecipe {
  std::string model;
  std::map<std::string, std::string> fields;
};

// What a position is checked against: the recipe's epochs and the batches per epoch of the
// recipe's batch size on this data.
struct PositionLimits {
  i64 epochs = 0;
  i64 batches_per_epoch = 0;
};

// Error (an internal invariant of the run) when any tensor holds a non-finite value: a
// diverged run keeps its last good checkpoint.
void save_training_checkpoint(const std::string& path, const nn::Module& model, nn::SGD& opt, const Position& pos,
                              const CheckpointRecipe& recipe);

// Restores weights and momentum buffers in place and returns the position. Errors name the
// file: another model, a recipe field that differs ("resume: <file> was written with seed =
// 1, this run has 2"), a missing or malformed field, a tensor or metadata value changed since
// it was written (nn::load_checkpoint), weights whose fingerprint is not the recorded one, a
// position the recipe cannot reach (metadata 'epoch' past the epochs, 'batch' past the
// batches per epoch (equal to it: the epoch's batches done, its evaluation not), 'step' not
// epoch * batches + batch, a loss sum not finite). Fields added to the recipe after the first
// checkpoints (the dropout p's, the input shape) read as the reference recipe's when absent.
Position load_training_checkpoint(const std::string& path, nn::Module& model, nn::SGD& opt,
                                  const CheckpointRecipe& recipe, const PositionLimits& limits);

}  // namespace lockstep::cli

// One training run of a recipe (nn/recipe.h): the loop behind `lockstep train` and
// `lockstep verify`. Everything random is counter-based (docs/randomness.md), so the
// position (epoch, batch, step) plus the weights and momentum buffers is the whole state:
// a checkpoint holds exactly that (tools/lockstep/training_checkpoint.h), and resuming
// reproduces the uninterrupted bits.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/mode.h"
#include "core/shape.h"
#include "nn/recipe.h"

namespace lockstep::cli {

struct TrainOptions {
  nn::Recipe recipe = nn::reference_mnist();
  std::string data = "data/mnist";
  Mode mode = Mode::Deterministic;
  std::string device = "cpu";
  int threads = 0;      // 0: LOCKSTEP_THREADS or the hardware
  i64 max_steps = -1;   // -1: no limit
  std::string checkpoint_dir = "checkpoints";  // empty: no checkpoints
  i64 checkpoint_every = 0;                     // 0: only at epoch ends and on SIGINT/SIGTERM
  std::string resume;                           // checkpoint to continue from
  std::string manifest;                         // empty: <checkpoint_dir>/manifest.json, or none
  i64 fingerprint_every = 1;                    // record a fingerprint every N steps in the manifest
  bool quiet = false;
  bool detect_anomaly = false;  // name the first op whose output is non-finite (checks every op output)
  std::string command_line;
};

// The run stopped because its loss or a parameter became NaN or infinite (`lockstep train`
// exits 4). The message names the step; checkpoints written before it are kept.
class NonFiniteError : public Error {
 public:
  using Error::Error;
};

// The reproducible part of the options: the recipe plus data, mode, device and max_steps.
nlohmann::json options_to_json(const TrainOptions& o);
// Inverse, for verify; `where` names the source in errors (IoError naming the field).
TrainOptions options_from_json(const nlohmann::json& recipe, const std::string& where = "recipe");

struct EpochRecord {
  int epoch = 0;  // 1-based
  double train_loss = 0;
  double test_loss = 0;
  i64 correct = 0, total = 0;
  double seconds = 0, samples_per_second = 0;
  std::string fingerprint;
};

struct TrainResult {
  std::string fingerprint;
  i64 steps = 0;
  bool interrupted = false;
  std::vector<EpochRecord> epochs;
};

// Called after each recorded step fingerprint; returning false stops the run (verify uses it).
using StepObserver = std::function<bool(i64 step, const std::string& fingerprint)>;

// Runs training as the options say, printing progress unless quiet; writes checkpoints and
// the manifest (a run stopped by max_steps also writes last.safetensors, to resume from).
// Throws NonFiniteError at the first step whose loss or parameters are not finite, before
// any checkpoint or fingerprint records them; the manifest says why the run stopped.
// `stop` is polled after every step (set by SIGINT/SIGTERM). The process mode and thread
// count are the options' during the run and what they were before it afterwards.
TrainResult run_training(const TrainOptions& o, const std::atomic<bool>* stop = nullptr,
                         const StepObserver& observer = nullptr);

}  // namespace lockstep::cli

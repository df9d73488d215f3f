// The end-to-end training step for the benchmarks: the reference CNN (nn::MnistNet with
// dropout, SGD with momentum, nn::train_step) on synthetic batches, on any device, and the
// check made before a step is timed: deterministic mode must reach, after 3 steps, the weight
// fingerprint of a canonical deterministic run; fast mode's 3 losses must agree with it to
// 1e-3 (relative). Shared by bench/train_step_bench.cpp (CPU) and bench/cuda/.
#pragma once

#include <benchmark/benchmark.h>

#include <cmath>
#include <string>
#include <vector>

#include "core/mode.h"
#include "nn/mnist_net.h"
#include "nn/training.h"
#include "reference/synthetic_mnist.h"

namespace lockstep::bench {

// The benchmarked model and optimiser, initialised on the host and moved to `device`.
struct StepModel {
  explicit StepModel(Device device) : net({/*seed=*/7, /*dropout=*/true, 0.5f}), opt(moved(net, device), 0.01f, 0.5f) {}
  nn::MnistNet net;
  nn::SGD opt;

 private:
  static std::vector<nn::NamedTensor> moved(nn::MnistNet& n, Device device) {
    nn::move_to_device(n.parameters(), device);
    return n.parameters();
  }
};

// Synthetic batch `index` of `batch` samples, on `device`.
inline nn::Batch step_batch(std::uint64_t index, i64 batch, Device device) {
  const nn::Batch b = test::synthetic_mnist_batch(index, batch);
  return device == Device::CPU ? b : nn::Batch{b.x.to(device), b.y.to(device)};
}

// The timed loop of a training-step benchmark: `warmup` untimed steps (library handles, the
// allocator's cache), then one step per iteration, reported as samples/s.
inline void time_train_steps(benchmark::State& state, StepModel& m, const nn::Batch& data, i64 batch, int warmup) {
  std::int64_t step = 0;
  for (int s = 0; s < warmup; ++s) nn::train_step(m.net, m.opt, data, step++);
  for (auto _ : state) benchmark::DoNotOptimize(nn::train_step(m.net, m.opt, data, step++));
  state.counters["samples/s"] = benchmark::Counter(double(batch), benchmark::Counter::kIsIterationInvariantRate);
}

struct Trial {
  std::vector<float> losses;
  std::string digest;
};

inline Trial train_trial(Mode mode, Device device, int steps, i64 batch) {
  ModeGuard guard(mode);
  StepModel m(device);
  Trial t;
  for (int s = 0; s < steps; ++s)
    t.losses.push_back(nn::train_step(m.net, m.opt, step_batch(std::uint64_t(s), batch, device), s));
  t.digest = nn::fingerprint(m.net);
  return t;
}

// "" when `got` passes against the canonical deterministic trial, else why not.
inline std::string trial_verdict(const Trial& got, const Trial& canonical, Mode mode, const std::string& canonical_name) {
  if (mode == Mode::Deterministic && got.digest != canonical.digest)
    return "deterministic weights differ from the " + canonical_name + ": " + got.digest + " vs " + canonical.digest;
  for (size_t i = 0; i < got.losses.size(); ++i)
    if (!(std::fabs(got.losses[i] - canonical.losses[i]) <= 1e-3f * std::fabs(canonical.losses[i])))
      return "loss at step " + std::to_string(i) + " is " + std::to_string(got.losses[i]) + ", deterministic " +
             std::to_string(canonical.losses[i]);
  return "";
}

}  // namespace lockstep::bench

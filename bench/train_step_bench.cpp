// End to end: one training step of the reference CNN (nn::MnistNet with dropout, SGD with
// momentum, nn::train_step) on synthetic data, per mode, at 1 and 2 threads, in samples/s.
// Validated before timing: deterministic mode must give, after 3 steps, the weight
// fingerprint of a 1-thread deterministic run; fast mode's 3 losses must agree with
// deterministic mode's to 1e-3 (relative). Names: train_step/cpu/<det|fast>/b<batch>/threads:<t>.
#include <cmath>

#include "bench/bench_common.h"
#include "core/mode.h"
#include "nn/mnist_net.h"
#include "nn/training.h"
#include "reference/data.h"
#include "reference/synthetic_mnist.h"

namespace lockstep::bench {
namespace {

struct Trial {
  std::vector<float> losses;
  std::string digest;
};

Trial train(Mode mode, int steps, i64 batch) {
  ModeGuard guard(mode);
  nn::MnistNet net({/*seed=*/7, /*dropout=*/true, 0.5f});
  nn::SGD opt(net.parameters(), 0.01f, 0.5f);
  Trial t;
  for (int s = 0; s < steps; ++s) t.losses.push_back(nn::train_step(net, opt, test::synthetic_mnist_batch(std::uint64_t(s), batch), s));
  t.digest = nn::fingerprint(net);
  return t;
}

void bench_train_step(benchmark::State& state, Mode mode) {
  const i64 batch = state.range(0);
  ThreadCountGuard threads(static_cast<int>(state.range(1)));
  const Trial& canonical = cached<Trial>("det/" + std::to_string(batch), [&] {
    ThreadCountGuard one(1);
    return train(Mode::Deterministic, 3, batch);
  });
  const Trial got = train(mode, 3, batch);
  std::string verdict;
  if (mode == Mode::Deterministic && got.digest != canonical.digest)
    verdict = "deterministic weights differ from the 1-thread run: " + got.digest + " vs " + canonical.digest;
  for (size_t i = 0; i < got.losses.size() && verdict.empty(); ++i)
    if (!(std::fabs(got.losses[i] - canonical.losses[i]) <= 1e-3f * std::fabs(canonical.losses[i])))
      verdict = "loss at step " + std::to_string(i) + " is " + std::to_string(got.losses[i]) + ", deterministic " +
                std::to_string(canonical.losses[i]);
  if (!validated(state, verdict)) return;
  ModeGuard guard(mode);
  nn::MnistNet net({7, true, 0.5f});
  nn::SGD opt(net.parameters(), 0.01f, 0.5f);
  const nn::Batch data = test::synthetic_mnist_batch(0, batch);
  std::int64_t step = 0;
  for (auto _ : state) benchmark::DoNotOptimize(nn::train_step(net, opt, data, step++));
  state.counters["samples/s"] =
      benchmark::Counter(double(batch), benchmark::Counter::kIsIterationInvariantRate);
}

void register_benchmarks() {
  for (Mode mode : {Mode::Deterministic, Mode::Fast})
    register_benchmark(std::string("train_step/cpu/") + (mode == Mode::Deterministic ? "det" : "fast"),
                       [mode](benchmark::State& st) { bench_train_step(st, mode); }, {"batch", "threads"},
                       {{32, 1}, {32, 2}, {256, 1}, {256, 2}}, benchmark::kMillisecond);
}

}  // namespace
}  // namespace lockstep::bench

using lockstep::bench::register_benchmarks;
LOCKSTEP_BENCH_MAIN()

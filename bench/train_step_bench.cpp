// End to end on the CPU: one training step of the reference CNN (bench/train_step.h) per
// mode, at 1 and 2 threads, in samples/s. Validated before timing against a 1-thread
// deterministic run (bench/train_step.h). Names: train_step/cpu/<det|fast>/batch:<b>/threads:<t>.
#include "bench/bench_common.h"
#include "bench/train_step.h"

namespace lockstep::bench {
namespace {

void bench_train_step(benchmark::State& state, Mode mode) {
  const i64 batch = state.range(0);
  ThreadCountGuard threads(static_cast<int>(state.range(1)));
  const Trial& canonical = cached<Trial>("det/" + std::to_string(batch), [&] {
    ThreadCountGuard one(1);
    return train_trial(Mode::Deterministic, Device::CPU, 3, batch);
  });
  if (!validated(state, trial_verdict(train_trial(mode, Device::CPU, 3, batch), canonical, mode, "1-thread run")))
    return;
  ModeGuard guard(mode);
  StepModel m(Device::CPU);
  time_train_steps(state, m, step_batch(0, batch, Device::CPU), batch, /*warmup=*/0);
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

// End to end on the CUDA device: one training step of the reference CNN (bench/train_step.h)
// per mode, in samples/s, at batch 32 and 256, the model and batch on the device. Validated
// before timing: det must reach the weight fingerprint of the CPU's deterministic run, fast
// its losses to 1e-3. A step ends by reading its loss back (nn::train_step returns it as a
// float), which waits for the step's every kernel: the wall clock times whole steps.
// Names: train_step/cuda/<det|fast>/batch:<b>/real_time.
#include "bench/cuda/device_bench.h"
#include "bench/train_step.h"

namespace lockstep::bench {
namespace {

void bench_train_step(benchmark::State& state, Mode mode) {
  if (!device_usable(state)) return;
  reporting_errors(state, [&] {
    const i64 batch = state.range(0);
    const Trial& cpu_det = cached<Trial>("cpu_det/" + std::to_string(batch),
                                         [&] { return train_trial(Mode::Deterministic, Device::CPU, 3, batch); });
    if (!validated(state, trial_verdict(train_trial(mode, Device::CUDA, 3, batch), cpu_det, mode, "CPU's det run")))
      return;
    ModeGuard guard(mode);
    StepModel m(Device::CUDA);
    time_train_steps(state, m, step_batch(0, batch, Device::CUDA), batch, /*warmup=*/3);
  });
}

void register_benchmarks() {
  add_device_context();
  for (Mode mode : {Mode::Deterministic, Mode::Fast})
    register_benchmark(std::string("train_step/cuda/") + (mode == Mode::Deterministic ? "det" : "fast"),
                       [mode](benchmark::State& st) { bench_train_step(st, mode); }, {"batch"}, {{32}, {256}},
                       benchmark::kMillisecond);
}

}  // namespace
}  // namespace lockstep::bench

using lockstep::bench::register_benchmarks;
LOCKSTEP_BENCH_MAIN()

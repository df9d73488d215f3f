// Shared by the CUDA benchmarks (bench/cuda/): the usable-device check (without one, every
// benchmark is skipped with the reason, "no usable CUDA device: ...", and the executable
// still exits 0, so the benchmarks build and run everywhere and cannot rot), a CUDA error
// reported as the benchmark's error, and device timing. Kernels are asynchronous: a host
// clock around a launch measures the launch only, so a timed iteration is bracketed by CUDA
// events on lockstep's stream and waits for the second one.
#pragma once

#include <cuda_runtime.h>

#include <string>

#include "bench/bench_common.h"
#include "core/error.h"
#include "core/transfer.h"
#include "cuda/check.h"
#include "cuda/device_facts.h"
#include "cuda/runtime.h"

namespace lockstep::bench {

// The GPU in the run context ("gpu": cuda/device_facts.h's line, or "none: <why>"), which
// tools/bench_table.py prints. Call from register_benchmarks().
inline void add_device_context() {
  const std::string why = device_unavailable_reason(Device::CUDA);
  benchmark::AddCustomContext("gpu", why.empty() ? cuda::describe(cuda::device_facts()) : "none: " + why);
}

// False, with the benchmark skipped and the reason as its error, when no CUDA device is usable.
inline bool device_usable(benchmark::State& state) {
  const std::string why = device_unavailable_reason(Device::CUDA);
  if (why.empty()) return true;
  state.SkipWithError(why.c_str());
  return false;
}

// Runs `body`; a lockstep error (a failed CUDA call) becomes the benchmark's error.
template <class F>
void reporting_errors(benchmark::State& state, F body) {
  try {
    body();
  } catch (const Error& e) {
    state.SkipWithError(e.what());
  }
}

// Two events on lockstep's stream; seconds() is the device time of `calls` calls of `run`,
// queued back to back as a training step queues its kernels (so one call's launch latency
// hides behind the previous call, as it does there).
class DeviceTimer {
 public:
  DeviceTimer() {
    LS_CUDA_CHECK(cudaEventCreate(&start_));
    LS_CUDA_CHECK(cudaEventCreate(&stop_));
  }
  ~DeviceTimer() {
    cudaEventDestroy(start_);
    cudaEventDestroy(stop_);
  }
  DeviceTimer(const DeviceTimer&) = delete;
  DeviceTimer& operator=(const DeviceTimer&) = delete;

  template <class F>
  double seconds(std::int64_t calls, F run) {
    LS_CUDA_CHECK(cudaEventRecord(start_, cuda::stream()));
    for (std::int64_t i = 0; i < calls; ++i) run();
    LS_CUDA_CHECK(cudaEventRecord(stop_, cuda::stream()));
    LS_CUDA_CHECK(cudaEventSynchronize(stop_));
    float ms = 0;
    LS_CUDA_CHECK(cudaEventElapsedTime(&ms, start_, stop_));
    return 1e-3 * static_cast<double>(ms);
  }

 private:
  cudaEvent_t start_ = nullptr, stop_ = nullptr;
};

// The timed loop of a manually timed benchmark: each iteration is `calls` calls of `run`.
template <class F>
void time_device_calls(benchmark::State& state, std::int64_t calls, F run) {
  DeviceTimer timer;
  for (auto _ : state) state.SetIterationTime(timer.seconds(calls, run));
}

// Waits for every queued kernel and copy on lockstep's stream.
inline void finish_device_work() { LS_CUDA_CHECK(cudaStreamSynchronize(cuda::stream())); }

}  // namespace lockstep::bench

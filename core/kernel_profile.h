// Where a step's time goes: wall time and calls per kernel, for the step breakdown
// (bench/step_profile.cpp). Off by default; while on, kernel<K>() (core/registry.h) hands out
// a timing trampoline instead of the kernel itself. A CPU kernel is timed to its end. A CUDA
// launch returns before the kernel has run, so the CUDA backend installs a "finish device
// work" hook (set_finish_device_work) that the trampoline calls before it reads the clock on
// either side of a kernel: each kernel is then timed to its end too. That serialises host and
// device (nothing overlaps while profiling), so the per-kernel shares are shares of a
// synchronised step, slower than an unprofiled one. The totals are plain counters for the one
// thread that drives the model (kernels split their own work over the pool), so profile one
// driving thread at a time.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>

#include "core/op_kind.h"

namespace lockstep::kernel_profile {

struct Totals {
  std::array<double, static_cast<size_t>(OpKind::Count)> seconds{};
  std::array<std::int64_t, static_cast<size_t>(OpKind::Count)> calls{};
};

bool enabled();
void set_enabled(bool on);
void reset();
const Totals& totals();
void add(OpKind k, double seconds);

// Installs the hook that waits for all device work queued so far (nullptr: none, the
// default); returns the previous one. A backend installs it when it registers.
using FinishDeviceWork = void (*)();
FinishDeviceWork set_finish_device_work(FinishDeviceWork finish);
// Calls the installed hook, if any.
void finish_device_work();

// The trampoline kernel<K>() returns while profiling: calls `target` (this thread's lookup)
// and adds the time to K's total, from after the device work queued before it to the end of
// its own.
template <OpKind K, class Sig>
struct Timed;
template <OpKind K, class... A>
struct Timed<K, void (*)(A...)> {
  static inline thread_local void (*target)(A...) = nullptr;
  static void run(A... args) {
    finish_device_work();
    const auto t0 = std::chrono::steady_clock::now();
    target(args...);
    finish_device_work();
    add(K, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
};

}  // namespace lockstep::kernel_profile

#include "core/kernel_profile.h"

#include <atomic>

namespace lockstep::kernel_profile {
namespace {
std::atomic<bool> g_enabled{false};
Totals g_totals;
std::atomic<FinishDeviceWork> g_finish{nullptr};
}  // namespace

bool enabled() { return g_enabled.load(std::memory_order_relaxed); }
void set_enabled(bool on) { g_enabled.store(on, std::memory_order_relaxed); }
void reset() { g_totals = Totals{}; }
const Totals& totals() { return g_totals; }
void add(OpKind k, double seconds) {
  g_totals.seconds[static_cast<size_t>(k)] += seconds;
  ++g_totals.calls[static_cast<size_t>(k)];
}

FinishDeviceWork set_finish_device_work(FinishDeviceWork finish) { return g_finish.exchange(finish); }
void finish_device_work() {
  if (const FinishDeviceWork f = g_finish.load()) f();
}

}  // namespace lockstep::kernel_profile

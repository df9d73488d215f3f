#include "core/registry.h"

#include <string>

#include "core/error.h"

namespace lockstep {

void Registry::set(OpKind op, Device device, Mode mode, AnyKernel fn) {
  table_[static_cast<int>(op)][static_cast<int>(device)][static_cast<int>(mode)] = fn;
}

bool Registry::has(OpKind op, Device device, Mode mode) const {
  return table_[static_cast<int>(op)][static_cast<int>(device)][static_cast<int>(mode)] != nullptr;
}

AnyKernel Registry::get(OpKind op, Device device, Mode mode) const {
  const auto& slots = table_[static_cast<int>(op)][static_cast<int>(device)];
  if (mode == Mode::Fast && slots[static_cast<int>(Mode::Fast)]) return slots[static_cast<int>(Mode::Fast)];
  if (slots[static_cast<int>(Mode::Deterministic)]) return slots[static_cast<int>(Mode::Deterministic)];
  if (mode == Mode::Deterministic && slots[static_cast<int>(Mode::Fast)]) {
    throw NondeterministicError(std::string(op_name(op)) + ": no deterministic " + std::string(device_name(device)) +
                                " kernel; use Mode::Fast or another device");
  }
  throw UnsupportedError(std::string(op_name(op)) + ": no " + std::string(device_name(device)) + " kernel" +
                         (device == Device::CUDA ? " (was lockstep built with CUDA?)" : ""));
}

// The backends, each installing its own kernels (and, for devices, allocator, copier and
// probe): the one place core/ names them.
void install_cpu_backend(Registry& r);   // cpu/register.cpp
void install_cuda_backend(Registry& r);  // cuda/register.cpp, or cuda/no_cuda.cpp without CUDA

Registry& registry() {
  // A function-local static: C++ runs the installer once and makes every other caller wait
  // for it, so the allocator and copier globals it writes are published to all threads.
  static Registry* r = [] {
    auto* reg = new Registry();
    install_cpu_backend(*reg);
    install_cuda_backend(*reg);
    return reg;
  }();
  return *r;
}

}  // namespace lockstep

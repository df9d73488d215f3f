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

Registry& registry() {
  static Registry* r = [] {
    auto* reg = new Registry();
    register_cpu_kernels(*reg);
    register_cuda_kernels(*reg);
    return reg;
  }();
  return *r;
}

}  // namespace lockstep

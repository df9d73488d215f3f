// The kernel table: table[OpKind][Device][Mode] of typed function pointers (the PyTorch
// DispatchStub idea). The backends are installed explicitly, once, the first time the table,
// a device allocator or a device copy is needed (registry(), ensure_backends()), rather than
// by static initialisers, which the linker drops from static libraries.
//
// Lookup rules: a missing Fast entry falls back to the Deterministic one (a deterministic
// kernel is always an acceptable fast kernel). A missing Deterministic entry throws
// NondeterministicError: deterministic mode never silently runs a nondeterministic kernel.
#pragma once

#include "core/device.h"
#include "core/kernel_profile.h"
#include "core/kernel_table.h"
#include "core/mode.h"

namespace lockstep {

using AnyKernel = void (*)();

class Registry {
 public:
  void set(OpKind op, Device device, Mode mode, AnyKernel fn);
  AnyKernel get(OpKind op, Device device, Mode mode) const;
  bool has(OpKind op, Device device, Mode mode) const;

 private:
  AnyKernel table_[static_cast<int>(OpKind::Count)][kDeviceCount][kModeCount] = {};
};

/// The table, with every backend installed (thread-safe; the first call installs them).
Registry& registry();

/// Installs the backends (kernels, allocators, copiers, device probes) if not yet done. Storage
/// calls it before it uses a non-CPU device, so a program's first call may be a CUDA allocation.
inline void ensure_backends() { registry(); }

template <OpKind K>
void register_kernel(Registry& r, Device device, Mode mode, typename KernelSig<K>::type fn) {
  r.set(K, device, mode, reinterpret_cast<AnyKernel>(fn));
}

/// The kernel for op K on `device` in the current mode: `kernel<OpKind::Add>(Device::CPU)(a, b, y, n);`
/// While kernel_profile is on, a trampoline that times the kernel (core/kernel_profile.h).
template <OpKind K>
typename KernelSig<K>::type kernel(Device device) {
  using Sig = typename KernelSig<K>::type;
  const Sig f = reinterpret_cast<Sig>(registry().get(K, device, current_mode()));
  if (!kernel_profile::enabled()) return f;
  kernel_profile::Timed<K, Sig>::target = f;
  return &kernel_profile::Timed<K, Sig>::run;
}

}  // namespace lockstep

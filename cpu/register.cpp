// Installs the CPU backend: every kernel the op table (core/op_table.h) flags for the CPU.
// The CPU allocator needs no installing (core/storage.cpp starts with it).
#include "core/registry.h"
#include "cpu/kernels.h"

namespace lockstep {

void install_cpu_backend(Registry& r) {
#define LS_CPU_REGISTER(Kind, name, params, cpu_det, cpu_fast, cuda_det, cuda_fast)                        \
  LS_IF(cpu_det)(register_kernel<OpKind::Kind>(r, Device::CPU, Mode::Deterministic, cpu::name##_det);) \
  LS_IF(cpu_fast)(register_kernel<OpKind::Kind>(r, Device::CPU, Mode::Fast, cpu::name##_fast);)
  LS_OP_TABLE(LS_CPU_REGISTER)
#undef LS_CPU_REGISTER
}

}  // namespace lockstep

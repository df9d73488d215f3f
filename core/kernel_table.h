// The signature of every kernel, KernelSig<OpKind::K>::type, generated from the op table
// (core/op_table.h). Kernels take raw pointers into storage of the device they run on, so
// the same signature serves the CPU and CUDA backends.
#pragma once

#include "core/op_kind.h"

namespace lockstep {

template <OpKind K>
struct KernelSig;

#define LS_KERNEL_SIG(Kind, name, params, ...) \
  template <>                                  \
  struct KernelSig<OpKind::Kind> {             \
    using type = void(*) params;               \
  };
LS_OP_TABLE(LS_KERNEL_SIG)
#undef LS_KERNEL_SIG

}  // namespace lockstep

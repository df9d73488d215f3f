// Built instead of the CUDA backend when lockstep is configured without CUDA: the CUDA
// rows of the kernel table stay empty, and asking for a CUDA kernel says so.
#include "core/registry.h"

namespace lockstep {
void register_cuda_kernels(Registry&) {}
}  // namespace lockstep

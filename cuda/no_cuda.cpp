// Built instead of the CUDA backend when lockstep is configured without CUDA: the CUDA
// rows of the kernel table stay empty, no CUDA allocator is installed, and asking for a
// CUDA kernel or tensor says so.
#include "core/registry.h"

namespace lockstep {
void install_cuda_backend(Registry&) {}
}  // namespace lockstep

// Built instead of the CUDA backend when lockstep is configured without CUDA: the CUDA
// rows of the kernel table stay empty, no CUDA allocator is installed, and asking for a
// CUDA kernel, tensor or the device's facts says so.
#include "core/error.h"
#include "core/registry.h"
#include "cuda/device_facts.h"

namespace lockstep {
void install_cuda_backend(Registry&) {}

namespace cuda {
DeviceFacts device_facts() { throw DeviceError("cuda: lockstep was built without the cuda backend"); }
}  // namespace cuda
}  // namespace lockstep

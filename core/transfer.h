// Whether a device can hold tensors right now, asked before a run commits to it. The CPU
// always can; a device backend installs a probe for its device when it registers (cuda/),
// and a build without that backend says so. Copies themselves are Tensor::to and
// Storage::copy. Not here: any CUDA header (core/ compiles without nvcc).
#pragma once

#include <string>

#include "core/device.h"

namespace lockstep {

/// Why `device` cannot be used, or "" when it can:
/// `if (auto why = device_unavailable_reason(Device::CUDA); !why.empty()) std::puts(why.c_str());`
std::string device_unavailable_reason(Device device);

// Installed by a device backend; the probe returns "" when the device is usable.
void set_device_probe(Device device, std::string (*probe)());

}  // namespace lockstep

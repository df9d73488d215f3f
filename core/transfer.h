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

/// Makes this process use unit `index` modulo the units of `device` on this host (GPU
/// `index % count`), before the first tensor lands there; returns the unit chosen. Several
/// processes on one host (data-parallel ranks) pass their rank on the host. A no-op returning
/// 0 for the CPU.
int select_device_unit(Device device, int index);
// Installed by a device backend that has several units per host.
void set_device_unit_selector(Device device, int (*selector)(int index));

}  // namespace lockstep

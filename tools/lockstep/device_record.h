// The device a run trained on, as the run manifest records it: {"device": "cpu"}, or
// {"device": "cuda", "gpu": {"model": ..., "sm_count": ..., ...}} (cuda/device_facts.h), so
// a fingerprint can be read next to the GPU, driver and library versions that produced it.
#pragma once

#include <nlohmann/json.hpp>

#include "core/device.h"
#include "cuda/device_facts.h"

namespace lockstep::cli {

nlohmann::json gpu_json(const cuda::DeviceFacts& f);
// Asks the device for its facts (CUDA: the one this process selected); the device must be usable.
nlohmann::json device_record(Device device);

}  // namespace lockstep::cli

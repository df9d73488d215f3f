#include "tools/lockstep/device_record.h"

#include <cmath>

namespace lockstep::cli {

nlohmann::json gpu_json(const cuda::DeviceFacts& f) {
  return {{"model", f.model},
          {"sm_count", f.sm_count},
          {"compute_capability", f.compute_capability},
          {"memory_gib", std::round(f.memory_gib * 10) / 10},
          {"driver", f.driver},
          {"driver_cuda", f.driver_cuda},
          {"cuda_runtime", f.runtime},
          {"cudnn", f.cudnn},
          {"cublas", f.cublas}};
}

nlohmann::json device_record(Device device) {
  nlohmann::json j = {{"device", std::string(device_name(device))}};
  if (device == Device::CUDA) j["gpu"] = gpu_json(cuda::device_facts());
  return j;
}

}  // namespace lockstep::cli

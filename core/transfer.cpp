#include "core/transfer.h"

#include "core/registry.h"

namespace lockstep {
namespace {
std::string (*g_probes[kDeviceCount])() = {};
}  // namespace

void set_device_probe(Device device, std::string (*probe)()) { g_probes[static_cast<int>(device)] = probe; }

std::string device_unavailable_reason(Device device) {
  if (device == Device::CPU) return "";
  ensure_backends();
  auto* probe = g_probes[static_cast<int>(device)];
  if (!probe) return "lockstep was built without the " + std::string(device_name(device)) + " backend";
  return probe();
}

}  // namespace lockstep

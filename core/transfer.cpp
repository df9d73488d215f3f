#include "core/transfer.h"

#include "core/registry.h"

namespace lockstep {
namespace {
std::string (*g_probes[kDeviceCount])() = {};
int (*g_selectors[kDeviceCount])(int) = {};
}  // namespace

void set_device_unit_selector(Device device, int (*selector)(int)) { g_selectors[static_cast<int>(device)] = selector; }

int select_device_unit(Device device, int index) {
  if (device == Device::CPU) return 0;
  ensure_backends();
  auto* selector = g_selectors[static_cast<int>(device)];
  return selector ? selector(index) : 0;
}

void set_device_probe(Device device, std::string (*probe)()) { g_probes[static_cast<int>(device)] = probe; }

std::string device_unavailable_reason(Device device) {
  if (device == Device::CPU) return "";
  ensure_backends();
  auto* probe = g_probes[static_cast<int>(device)];
  if (!probe) return "lockstep was built without the " + std::string(device_name(device)) + " backend";
  return probe();
}

}  // namespace lockstep

#include "core/storage.h"

#include <cstdlib>
#include <cstring>
#include <new>

#include "core/cpu_allocator.h"
#include "core/error.h"
#include "core/registry.h"
#include "core/transfer.h"

namespace lockstep {
namespace {

Storage::Allocator g_allocators[kDeviceCount] = {{cpu_allocator::allocate, cpu_allocator::release}, {nullptr, nullptr}};
Storage::Copier g_copier = nullptr;

}  // namespace

void Storage::set_allocator(Device device, Allocator allocator) {
  g_allocators[static_cast<int>(device)] = allocator;
}

void Storage::set_copier(Copier copier) { g_copier = copier; }

void Storage::copy(void* dst, Device dst_device, const void* src, Device src_device, std::size_t bytes) {
  if (bytes == 0) return;
  if (dst_device == Device::CPU && src_device == Device::CPU) {
    std::memcpy(dst, src, bytes);
    return;
  }
  ensure_backends();
  LS_CHECK(g_copier != nullptr, DeviceError, "storage: no copy from ", device_name(src_device), " to ",
           device_name(dst_device), " (was lockstep built with CUDA?)");
  g_copier(dst, dst_device, src, src_device, bytes);
}

Storage::Storage(Device device, std::size_t bytes) : device_(device), bytes_(bytes), data_(nullptr) {
  if (device != Device::CPU) ensure_backends();
  const Allocator& a = g_allocators[static_cast<int>(device)];
  LS_CHECK(a.allocate != nullptr, DeviceError, "storage: no allocator for device '", device_name(device),
           "': ", device_unavailable_reason(device));
  data_ = a.allocate(bytes);
}

Storage::~Storage() {
  if (data_) g_allocators[static_cast<int>(device_)].release(data_);
}

}  // namespace lockstep

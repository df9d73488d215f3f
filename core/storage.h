// A flat, device-tagged byte buffer shared by a tensor and its views.
// The CPU allocation is 64-byte aligned for the SIMD kernels; a CUDA backend provides
// its own allocate/free pair through Storage::Allocator without changing Tensor.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "core/device.h"

namespace lockstep {

class Storage {
 public:
  struct Allocator {
    void* (*allocate)(std::size_t bytes);
    void (*release)(void* ptr);
  };

  Storage(Device device, std::size_t bytes);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  Device device() const { return device_; }
  std::size_t bytes() const { return bytes_; }
  void* data() { return data_; }
  const void* data() const { return data_; }

  // How many in-place writes the bytes have had (ops::fill_, an SGD step, Tensor::bump_version);
  // shared by every view. Autograd compares it with the version a node saved a tensor at.
  std::uint64_t version() const { return version_; }
  void bump_version() { ++version_; }

  // Installed by a device backend (cuda/) at start-up; CPU is built in.
  static void set_allocator(Device device, Allocator allocator);

  // Byte copies between any two devices; CPU to CPU is built in, a device backend installs
  // the rest (synchronous: the bytes are in place when copy() returns).
  using Copier = void (*)(void* dst, Device dst_device, const void* src, Device src_device, std::size_t bytes);
  static void set_copier(Copier copier);
  static void copy(void* dst, Device dst_device, const void* src, Device src_device, std::size_t bytes);

 private:
  Device device_;
  std::size_t bytes_;
  void* data_;
  std::uint64_t version_ = 0;
};

}  // namespace lockstep

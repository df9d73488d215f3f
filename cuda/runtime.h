// The CUDA backend's host side: whether a device is usable, the one stream every kernel, copy
// and library call runs on, the caching allocator, and grid sizes. Memory freed to the cache
// is reused at once: safe because all work is ordered on the one stream.
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <string>

#include "core/device.h"
#include "cuda/launch.h"
#include "kernels/hd.h"

namespace lockstep::cuda {

using i64 = kernels::i64;

// "" when a CUDA device is usable, else why not, with the CUDA error name. Probes once.
std::string unavailable_reason();
// Throws DeviceError("cuda: no usable CUDA device: ...") unless a device is usable.
void require_device();
// cudaSetDevice(index % device count) before the stream and the first allocation; returns it.
int select_device(int index);

cudaStream_t stream();
// Waits for everything queued on the stream; nothing (and no CUDA call) when no stream was
// made yet, so a process that never used the GPU may call it without one. The kernel
// profile's "finish device work" hook (core/kernel_profile.h).
void finish_queued_work();

// Caching allocator (installed through Storage::set_allocator): sizes are rounded up to
// 512 bytes and freed blocks are kept per size, so a training step calls no cudaMalloc
// after the first. empty_cache() returns the cached blocks to the driver.
void* device_alloc(std::size_t bytes);
void device_free(void* ptr);
void empty_cache();

// Storage::Copier for every pair of devices involving CUDA; synchronous.
void copy_bytes(void* dst, Device dst_device, const void* src, Device src_device, std::size_t bytes);

// TF32 in cuBLAS/cuDNN fast kernels only when LOCKSTEP_ALLOW_TF32=1 (off by default).
bool tf32_allowed();

// Blocks for n items under a launch shape (at least 1); throws on a block outside 1..1024.
unsigned grid_size(i64 n, const LaunchConfig& cfg);

// Scratch device memory from the caching allocator for the life of a scope.
class DeviceBuffer {
 public:
  explicit DeviceBuffer(std::size_t bytes) : ptr_(device_alloc(bytes)) {}
  ~DeviceBuffer() { device_free(ptr_); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  template <class T>
  T* as() const { return static_cast<T*>(ptr_); }

 private:
  void* ptr_;
};

}  // namespace lockstep::cuda

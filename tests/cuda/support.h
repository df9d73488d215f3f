// Skip-with-reason for the CUDA tests: without a usable device a test is reported as skipped
// with the CUDA error (e.g. cudaErrorInsufficientDriver), never failed and never passed.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "core/tensor.h"
#include "core/transfer.h"
#include "cuda/launch.h"

namespace lockstep::test {

// The backend's probe: cudaGetDeviceCount succeeds and finds at least one device.
inline std::string cuda_unusable() { return device_unavailable_reason(Device::CUDA); }

// Two launch shapes per deterministic kernel: a full grid of 256-thread blocks, and a few
// 96-thread blocks whose threads loop (grid-stride) over many items each.
inline const cuda::LaunchConfig kLaunches[] = {{256, 0}, {96, 3}};
inline std::string describe(const cuda::LaunchConfig& c) {
  return "block=" + std::to_string(c.block) + " max_blocks=" + std::to_string(c.max_blocks);
}

inline Tensor on_gpu(const Tensor& t) { return t.to(Device::CUDA); }
inline Tensor gpu_empty(const Shape& s, DType dtype = DType::F32) { return Tensor::empty(s, dtype, Device::CUDA); }

}  // namespace lockstep::test

#define LS_REQUIRE_CUDA()                                                             \
  do {                                                                                \
    if (const std::string ls_why_ = ::lockstep::test::cuda_unusable(); !ls_why_.empty()) \
      GTEST_SKIP() << ls_why_;                                                         \
  } while (0)

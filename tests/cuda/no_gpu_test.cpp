// What the CUDA backend does on a machine without a usable GPU (this one runs everywhere;
// it skips only where a GPU IS present): registration succeeds without touching the runtime,
// and the first CUDA tensor throws a DeviceError that says why, with the CUDA error name.
#include <gtest/gtest.h>

#include "core/registry.h"
#include "core/tensor.h"
#include "core/transfer.h"

namespace lockstep {
namespace {

TEST(CudaWithoutGpu, RegistrationFillsTheCudaRowsWithoutTouchingTheGpu) {
  EXPECT_TRUE(registry().has(OpKind::Conv2dFwd, Device::CUDA, Mode::Deterministic));
  EXPECT_TRUE(registry().has(OpKind::Conv2dFwd, Device::CUDA, Mode::Fast));
  for (int k = 0; k < static_cast<int>(OpKind::Count); ++k)
    EXPECT_TRUE(registry().has(static_cast<OpKind>(k), Device::CUDA, Mode::Deterministic)) << kOpNames[k];
}

TEST(CudaWithoutGpu, CreatingACudaTensorThrowsAClearDeviceError) {
  const std::string why = device_unavailable_reason(Device::CUDA);
  if (why.empty()) GTEST_SKIP() << "a usable CUDA device is present";
  EXPECT_NE(why.find("no usable CUDA device"), std::string::npos) << why;
  EXPECT_NE(why.find("cudaError"), std::string::npos) << "the reason should name the CUDA error: " << why;
  try {
    Tensor::empty({2}, DType::F32, Device::CUDA);
    FAIL() << "expected a DeviceError";
  } catch (const DeviceError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("no usable CUDA device"), std::string::npos) << msg;
    EXPECT_NE(msg.find("cudaError"), std::string::npos) << msg;
  }
  EXPECT_THROW(Tensor::from_vector({1, 2}, {2}).to(Device::CUDA), DeviceError);
}

}  // namespace
}  // namespace lockstep

// The backends are installed by whatever needs them first, not only by the first kernel
// lookup: a program may start with a device allocation or copy. ctest runs each test in its
// own process (gtest_discover_tests), so in each test below nothing has touched the kernel
// table before the first line.
#include <gtest/gtest.h>

#include <string>

#include "core/registry.h"
#include "core/tensor.h"
#include "core/transfer.h"

namespace lockstep {
namespace {

// Without a usable GPU the error must be the device's own reason (no driver, no device, or a
// build without CUDA), never "no allocator": that would mean the backend was not installed.
template <class F>
void expect_works_or_says_why(F first_call) {
  std::string error;
  try {
    first_call();
  } catch (const DeviceError& e) {
    error = e.what();
  }
  // Only now may the test touch the table itself.
  const bool cuda_built = registry().has(OpKind::Fill, Device::CUDA, Mode::Deterministic);
  const std::string why = device_unavailable_reason(Device::CUDA);
  if (why.empty()) {
    EXPECT_EQ(error, "") << "a usable GPU, yet the first CUDA call failed";
  } else {
    EXPECT_NE(error.find(why), std::string::npos) << "error: " << error << "\nwant the device's reason: " << why;
  }
  if (cuda_built) {
    EXPECT_EQ(error.find("no allocator"), std::string::npos) << "the CUDA backend was not installed: " << error;
  }
}

TEST(BackendInit, FirstCallMayAllocateOnCuda) {
  expect_works_or_says_why([] { Tensor::empty({4}, DType::F32, Device::CUDA); });
}

TEST(BackendInit, FirstCallMayCopyToCuda) {
  expect_works_or_says_why([] { Tensor::from_vector({1, 2, 3}, {3}).to(Device::CUDA); });
}

}  // namespace
}  // namespace lockstep

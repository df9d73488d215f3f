// The GPU facts a run manifest records (cuda/device_facts.h): the version texts from known
// numbers and driver files, a clear DeviceError without a GPU, and real values with one.
#include <gtest/gtest.h>

#include <regex>

#include "core/error.h"
#include "cuda/device_facts.h"
#include "tests/cuda/support.h"

namespace lockstep::cuda {
namespace {

TEST(DeviceFacts, VersionNumbersAsText) {
  EXPECT_EQ(cuda_version_text(13000), "13.0");
  EXPECT_EQ(cuda_version_text(12080), "12.8");
  EXPECT_EQ(cudnn_version_text(91300), "9.13.0");
  EXPECT_EQ(cudnn_version_text(90100), "9.1.0");
  EXPECT_EQ(cudnn_version_text(8906), "8.9.6");
}

TEST(DeviceFacts, DriverVersionFromTheProcFile) {
  EXPECT_EQ(nvidia_driver_version("NVRM version: NVIDIA UNIX x86_64 Kernel Module  535.104.05  Sat Aug 19 2023\n"
                                  "GCC version:  gcc version 12.2.0\n"),
            "535.104.05");
  EXPECT_EQ(nvidia_driver_version("NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  580.159.04  Release "
                                  "Build  (dvs-builder@U16)  Sun Jul 27 06:54:38 UTC 2025\n"),
            "580.159.04");
  EXPECT_EQ(nvidia_driver_version("GCC version:  gcc version 12.2.0 (Debian 12.2.0-14)\n"), "");
  EXPECT_EQ(nvidia_driver_version(""), "");
}

TEST(DeviceFacts, DescribedOnOneLine) {
  const DeviceFacts f{"NVIDIA Test", 132, "9.0", 139.84, "580.1.2", "13.0", "13.0", "9.13.0", "13.1.0"};
  EXPECT_EQ(describe(f), "NVIDIA Test (sm_90, 132 SMs, 139.8 GiB; driver 580.1.2 for CUDA 13.0; runtime 13.0, "
                         "cuDNN 9.13.0, cuBLAS 13.1.0)");
}

TEST(DeviceFacts, WithoutAGpuAskingIsAClearDeviceError) {
  const std::string why = test::cuda_unusable();
  if (why.empty()) GTEST_SKIP() << "a usable CUDA device is present";
  try {
    device_facts();
    FAIL() << "expected a DeviceError";
  } catch (const DeviceError& e) {
    EXPECT_NE(std::string(e.what()).find("no usable CUDA device"), std::string::npos) << e.what();
  }
}

TEST(DeviceFacts, OnAGpuEveryFactIsFilledIn) {
  LS_REQUIRE_CUDA();
  const DeviceFacts f = device_facts();
  EXPECT_FALSE(f.model.empty());
  EXPECT_GT(f.sm_count, 0);
  EXPECT_TRUE(std::regex_match(f.compute_capability, std::regex(R"(\d+\.\d)"))) << f.compute_capability;
  EXPECT_GT(f.memory_gib, 0.5);
  for (const std::string* v : {&f.driver_cuda, &f.runtime, &f.cudnn, &f.cublas})
    EXPECT_TRUE(std::regex_match(*v, std::regex(R"(\d+\.\d+(\.\d+)?)"))) << *v;
  EXPECT_FALSE(f.driver.empty());  // "unknown" where /proc/driver/nvidia/version is unreadable
}

}  // namespace
}  // namespace lockstep::cuda

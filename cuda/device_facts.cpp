// The device facts (cuda/device_facts.h), from the CUDA runtime, cuDNN, cuBLAS and the
// driver's /proc file (read, not linked: NVML would make the binary need the driver to start).
#include "cuda/device_facts.h"

#include <cublas_v2.h>
#include <cudnn.h>

#include <fstream>
#include <iterator>

#include "cuda/check.h"
#include "cuda/runtime.h"

namespace lockstep::cuda {
namespace {

std::string driver_from_proc() {
  std::ifstream in("/proc/driver/nvidia/version");
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string v = nvidia_driver_version(text);
  return v.empty() ? "unknown" : v;
}

std::string cublas_version() {
  int major = 0, minor = 0, patch = 0;
  if (cublasGetProperty(MAJOR_VERSION, &major) != CUBLAS_STATUS_SUCCESS ||
      cublasGetProperty(MINOR_VERSION, &minor) != CUBLAS_STATUS_SUCCESS ||
      cublasGetProperty(PATCH_LEVEL, &patch) != CUBLAS_STATUS_SUCCESS)
    return "unknown";
  return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch);
}

}  // namespace

DeviceFacts device_facts() {
  require_device();
  int dev = 0, major = 0, minor = 0, driver = 0, runtime = 0;
  LS_CUDA_CHECK(cudaGetDevice(&dev));
  cudaDeviceProp prop{};
  LS_CUDA_CHECK(cudaGetDeviceProperties(&prop, dev));
  DeviceFacts f;
  f.model = prop.name;
  LS_CUDA_CHECK(cudaDeviceGetAttribute(&f.sm_count, cudaDevAttrMultiProcessorCount, dev));
  LS_CUDA_CHECK(cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, dev));
  LS_CUDA_CHECK(cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, dev));
  f.compute_capability = std::to_string(major) + "." + std::to_string(minor);
  f.memory_gib = static_cast<double>(prop.totalGlobalMem) / (1024.0 * 1024.0 * 1024.0);
  f.driver = driver_from_proc();
  LS_CUDA_CHECK(cudaDriverGetVersion(&driver));
  LS_CUDA_CHECK(cudaRuntimeGetVersion(&runtime));
  f.driver_cuda = cuda_version_text(driver);
  f.runtime = cuda_version_text(runtime);
  f.cudnn = cudnn_version_text(static_cast<long>(cudnnGetVersion()));
  f.cublas = cublas_version();
  return f;
}

}  // namespace lockstep::cuda

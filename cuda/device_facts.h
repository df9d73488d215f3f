// What a run records about the GPU it used (the run manifest, the benchmarks' context): the
// model, SM count, compute capability, memory, the NVIDIA driver and the CUDA runtime, cuDNN
// and cuBLAS versions. Plain C++ (no CUDA header), so tools/ and the tests include it in any
// build; a build without the CUDA backend has only the stub of cuda/no_cuda.cpp.
#pragma once

#include <algorithm>
#include <cstdio>
#include <sstream>
#include <string>

namespace lockstep::cuda {

struct DeviceFacts {
  std::string model;               // "NVIDIA H100 80GB HBM3"
  int sm_count = 0;                // streaming multiprocessors
  std::string compute_capability;  // "9.0"
  double memory_gib = 0;           // global memory
  std::string driver;              // the NVIDIA driver, "580.159.04"; "unknown" when unreadable
  std::string driver_cuda;         // the newest CUDA the driver supports (cudaDriverGetVersion), "13.0"
  std::string runtime;             // the CUDA runtime linked in (cudaRuntimeGetVersion), "13.0"
  std::string cudnn;               // cudnnGetVersion, "9.13.0"
  std::string cublas;              // cublasGetProperty, "13.0.2"
};

// The facts of the device this process uses (select_device's unit, else device 0). Throws
// DeviceError ("cuda: no usable CUDA device: ...") without one, or "lockstep was built without
// the cuda backend" in a build without it.
DeviceFacts device_facts();

// One line: "NVIDIA H100 80GB HBM3 (sm_90, 132 SMs, 79.1 GiB; driver 580.159.04 for CUDA 13.0;
// runtime 13.0, cuDNN 9.13.0, cuBLAS 13.1.0)".
inline std::string describe(const DeviceFacts& f) {
  std::string cc = f.compute_capability;
  cc.erase(std::remove(cc.begin(), cc.end(), '.'), cc.end());
  char gib[32];
  std::snprintf(gib, sizeof gib, "%.1f", f.memory_gib);
  return f.model + " (sm_" + cc + ", " + std::to_string(f.sm_count) + " SMs, " + gib + " GiB; driver " + f.driver +
         " for CUDA " + f.driver_cuda + "; runtime " + f.runtime + ", cuDNN " + f.cudnn + ", cuBLAS " + f.cublas + ")";
}

// A CUDA version number (13000, 12080) as text ("13.0", "12.8").
inline std::string cuda_version_text(int v) { return std::to_string(v / 1000) + "." + std::to_string(v % 1000 / 10); }

// cudnnGetVersion()'s number as text: 91300 -> "9.13.0" (cuDNN 9 and later: major * 10000 +
// minor * 100 + patch), 8906 -> "8.9.6" (before: major * 1000 + minor * 100 + patch).
inline std::string cudnn_version_text(long v) {
  const long major = v >= 90000 ? v / 10000 : v / 1000, minor = v >= 90000 ? v % 10000 / 100 : v % 1000 / 100;
  return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(v % 100);
}

// The driver version in /proc/driver/nvidia/version's text (the first dotted number of its
// "NVRM version:" line, e.g. "... Kernel Module  580.159.04  Release Build ..."); "" if none.
inline std::string nvidia_driver_version(const std::string& proc_text) {
  std::istringstream lines(proc_text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind("NVRM version:", 0) != 0) continue;
    std::istringstream words(line);
    std::string w;
    while (words >> w)
      if (w.find('.') != std::string::npos && w.find_first_not_of("0123456789.") == std::string::npos && w[0] != '.')
        return w;
  }
  return "";
}

}  // namespace lockstep::cuda

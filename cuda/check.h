// LS_CUDA_CHECK(expr): throws DeviceError naming the call, the CUDA error name and string, and
// file:line. Put LS_CUDA_CHECK(cudaGetLastError()) after every launch (llm.c's cudaCheck,
// throwing instead of exiting). cuBLAS and cuDNN statuses get the same treatment.
#pragma once

#include <cuda_runtime.h>

#include "core/error.h"

namespace lockstep::cuda {
[[noreturn]] void throw_cuda_error(cudaError_t err, const char* expr, const char* file, int line);
[[noreturn]] void throw_library_error(const char* library, int status, const char* status_name, const char* expr,
                                      const char* file, int line);
}  // namespace lockstep::cuda

#define LS_CUDA_CHECK(expr)                                                                     \
  do {                                                                                          \
    const cudaError_t ls_cuda_err_ = (expr);                                                    \
    if (ls_cuda_err_ != cudaSuccess) ::lockstep::cuda::throw_cuda_error(ls_cuda_err_, #expr, __FILE__, __LINE__); \
  } while (0)

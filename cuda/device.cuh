// Device-side helpers for the __global__ kernels: the grid-stride loop every deterministic
// kernel is made of, and the launch macro that checks for launch errors.
#pragma once

#include "cuda/check.h"
#include "cuda/runtime.h"

// for (t = this thread's first item; t < n; t += threads in the grid)
#define LS_GRID_STRIDE(t, n)                                                                        \
  for (::lockstep::cuda::i64 t = static_cast<::lockstep::cuda::i64>(blockIdx.x) * blockDim.x + threadIdx.x; \
       t < (n); t += static_cast<::lockstep::cuda::i64>(gridDim.x) * blockDim.x)

// LS_LAUNCH(kernel, n, cfg)(args...): one launch on the backend's stream, items [0, n); no-op for n = 0.
#define LS_LAUNCH(kernel, n, cfg, ...)                                                                      \
  do {                                                                                                      \
    const ::lockstep::cuda::i64 ls_n_ = (n);                                                                \
    if (ls_n_ > 0) {                                                                                        \
      kernel<<<::lockstep::cuda::grid_size(ls_n_, cfg), (cfg).block, 0, ::lockstep::cuda::stream()>>>(__VA_ARGS__); \
      LS_CUDA_CHECK(cudaGetLastError());                                                                    \
    }                                                                                                       \
  } while (0)

// Declarations of the CUDA kernels registered in cuda/register.cpp, generated from the op
// table (core/op_table.h). Deterministic launchers take the launch shape as their last
// argument (tests run two shapes and compare bits); register.cpp binds kDefaultLaunch.
// Fast kernels (cuBLAS, cuDNN, atomics) say in their files why they are nondeterministic.
// Pointers are device pointers. Plain C++: host-only tests include it.
#pragma once

#include "core/kernel_table.h"
#include "cuda/launch.h"

namespace lockstep::cuda {

using Cfg = const LaunchConfig&;

// LS_WITH_CFG((a, b)) is (a, b, Cfg cfg): a det launcher's parameters.
#define LS_WITH_CFG(...) (__VA_ARGS__, Cfg cfg)
#define LS_CUDA_DECLARE(Kind, name, params, cpu_det, cpu_fast, cuda_det, cuda_fast) \
  LS_IF(cuda_det)(void name##_det LS_WITH_CFG params;) LS_IF(cuda_fast)(void name##_fast params;)
LS_OP_TABLE(LS_CUDA_DECLARE)
#undef LS_CUDA_DECLARE
#undef LS_WITH_CFG

// Atomic helpers the library-backed fast kernels use (cuda/fast_atomic.cu).
void conv2d_bias_grad_atomic(const float* dy, float* db, const Conv2dGeom& g);
void linear_bias_grad_atomic(const float* dy, float* db, const LinearGeom& g);
void broadcast_bias_rows(const float* b, float* y, i64 rows, i64 cols);  // y[n, o] = b[o]

}  // namespace lockstep::cuda

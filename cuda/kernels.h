// Declarations of the CUDA kernels registered in cuda/register.cpp. Deterministic launchers
// take the launch shape as their last argument (tests run two shapes and compare bits);
// register.cpp binds kDefaultLaunch. Fast kernels (cuBLAS, cuDNN, atomics) say in their
// files why they are nondeterministic. Pointers are device pointers; signatures otherwise
// match core/kernel_table.h. Plain C++: host-only tests include it.
#pragma once

#include "core/kernel_table.h"
#include "cuda/launch.h"

namespace lockstep::cuda {

using Cfg = const LaunchConfig&;

void fill_det(float* y, float value, i64 n, Cfg cfg);
void add_det(const float* a, const float* b, float* y, i64 n, Cfg cfg);
void mul_det(const float* a, const float* b, float* y, i64 n, Cfg cfg);
void scale_det(const float* x, float s, float* y, i64 n, Cfg cfg);
void sgd_update_det(float* p, float* v, const float* g, float lr, float momentum, i64 n, Cfg cfg);
void relu_fwd_det(const float* x, float* y, i64 n, Cfg cfg);
void relu_bwd_det(const float* dy, const float* x, float* dx, i64 n, Cfg cfg);
void gather_rows_det(const void* src, const i64* index, void* dst, i64 rows, i64 row_bytes, Cfg cfg);
void dropout_apply_det(const float* x, float* y, const kernels::DropoutParams& d, i64 n, Cfg cfg);

void sum_det(const float* x, i64 n, float* y, Cfg cfg);
void nll_loss_fwd_det(const float* logp, const i64* target, float* loss, i64 rows, i64 cols, Cfg cfg);
void nll_loss_bwd_det(const float* dloss, const i64* target, float* dlogp, i64 rows, i64 cols, Cfg cfg);
void log_softmax_fwd_det(const float* x, float* y, i64 rows, i64 cols, Cfg cfg);
void log_softmax_bwd_det(const float* dy, const float* y, float* dx, i64 rows, i64 cols, Cfg cfg);

void conv2d_fwd_det(const float* x, const float* w, const float* b, float* y, const Conv2dGeom& g, Cfg cfg);
void conv2d_bwd_data_det(const float* dy, const float* w, float* dx, const Conv2dGeom& g, Cfg cfg);
void conv2d_bwd_weight_det(const float* dy, const float* x, float* dw, float* db, const Conv2dGeom& g, Cfg cfg);

void max_pool2d_fwd_det(const float* x, float* y, i64* argmax, const Pool2dGeom& g, Cfg cfg);
void max_pool2d_bwd_det(const float* dy, const i64* argmax, float* dx, const Pool2dGeom& g, Cfg cfg);

void linear_fwd_det(const float* x, const float* w, const float* b, float* y, const LinearGeom& g, Cfg cfg);
void linear_bwd_data_det(const float* dy, const float* w, float* dx, const LinearGeom& g, Cfg cfg);
void linear_bwd_weight_det(const float* dy, const float* x, float* dw, float* db, const LinearGeom& g, Cfg cfg);

// Fast: cuDNN convolutions (cuda/fast_cudnn.cpp), cuBLAS SGEMM linear layers
// (cuda/fast_cublas.cpp), atomicAdd reductions (cuda/fast_atomic.cu).
void conv2d_fwd_fast(const float* x, const float* w, const float* b, float* y, const Conv2dGeom& g);
void conv2d_bwd_data_fast(const float* dy, const float* w, float* dx, const Conv2dGeom& g);
void conv2d_bwd_weight_fast(const float* dy, const float* x, float* dw, float* db, const Conv2dGeom& g);
void linear_fwd_fast(const float* x, const float* w, const float* b, float* y, const LinearGeom& g);
void linear_bwd_data_fast(const float* dy, const float* w, float* dx, const LinearGeom& g);
void linear_bwd_weight_fast(const float* dy, const float* x, float* dw, float* db, const LinearGeom& g);
void max_pool2d_bwd_fast(const float* dy, const i64* argmax, float* dx, const Pool2dGeom& g);

// Atomic helpers the library-backed fast kernels use (cuda/fast_atomic.cu).
void conv2d_bias_grad_atomic(const float* dy, float* db, const Conv2dGeom& g);
void linear_bias_grad_atomic(const float* dy, float* db, const LinearGeom& g);
void broadcast_bias_rows(const float* b, float* y, i64 rows, i64 cols);  // y[n, o] = b[o]

}  // namespace lockstep::cuda

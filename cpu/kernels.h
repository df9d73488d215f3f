// Declarations of the CPU kernels registered in cpu/register.cpp. Names follow
// <op>_<pass>_<det|fast>; signatures match core/kernel_table.h.
#pragma once

#include "core/kernel_table.h"

namespace lockstep::cpu {

void fill_det(float* y, float value, i64 n);
void add_det(const float* a, const float* b, float* y, i64 n);
void mul_det(const float* a, const float* b, float* y, i64 n);
void scale_det(const float* x, float s, float* y, i64 n);
void sum_det(const float* x, i64 n, float* y);
void sgd_update_det(float* p, float* v, const float* g, float lr, float momentum, i64 n);

void conv2d_fwd_det(const float* x, const float* w, const float* b, float* y, const Conv2dGeom& g);
void conv2d_bwd_data_det(const float* dy, const float* w, float* dx, const Conv2dGeom& g);
void conv2d_bwd_weight_det(const float* dy, const float* x, float* dw, float* db, const Conv2dGeom& g);

void max_pool2d_fwd_det(const float* x, float* y, i64* argmax, const Pool2dGeom& g);
void max_pool2d_bwd_det(const float* dy, const i64* argmax, float* dx, const Pool2dGeom& g);

void linear_fwd_det(const float* x, const float* w, const float* b, float* y, const LinearGeom& g);
void linear_bwd_data_det(const float* dy, const float* w, float* dx, const LinearGeom& g);
void linear_bwd_weight_det(const float* dy, const float* x, float* dw, float* db, const LinearGeom& g);

void relu_fwd_det(const float* x, float* y, i64 n);
void relu_bwd_det(const float* dy, const float* x, float* dx, i64 n);

void log_softmax_fwd_det(const float* x, float* y, i64 rows, i64 cols);
void log_softmax_bwd_det(const float* dy, const float* y, float* dx, i64 rows, i64 cols);
void nll_loss_fwd_det(const float* logp, const i64* target, float* loss, i64 rows, i64 cols);
void nll_loss_bwd_det(const float* dloss, const i64* target, float* dlogp, i64 rows, i64 cols);

void dropout_apply_det(const float* x, float* y, const kernels::DropoutParams& d, i64 n);

void gather_rows_det(const void* src, const i64* index, void* dst, i64 rows, i64 row_bytes);

// Fast variants (Mode::Fast only; each file says why it is nondeterministic).
void conv2d_fwd_fast(const float* x, const float* w, const float* b, float* y, const Conv2dGeom& g);
void conv2d_bwd_data_fast(const float* dy, const float* w, float* dx, const Conv2dGeom& g);
void conv2d_bwd_weight_fast(const float* dy, const float* x, float* dw, float* db, const Conv2dGeom& g);
void linear_fwd_fast(const float* x, const float* w, const float* b, float* y, const LinearGeom& g);
void linear_bwd_data_fast(const float* dy, const float* w, float* dx, const LinearGeom& g);
void linear_bwd_weight_fast(const float* dy, const float* x, float* dw, float* db, const LinearGeom& g);
void sum_fast(const float* x, i64 n, float* y);

}  // namespace lockstep::cpu

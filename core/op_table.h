// The one table of kernels. Everything that lists ops follows from it: the OpKind enum and
// its names (core/op_kind.h), the kernel signatures (core/kernel_table.h), the backends'
// declarations (cpu/kernels.h, cuda/kernels.h) and their registrations (cpu/register.cpp,
// cuda/register.cpp). Giving an op a kernel on a device is one flag here plus the kernel.
//
// X(Kind, name, (parameters), cpu_det, cpu_fast, cuda_det, cuda_fast)
//   Kind        the OpKind enumerator
//   name        the printable name and the stem of every kernel: <name>_det, <name>_fast
//   parameters  the kernel's parameters, in parentheses; pointers are into storage of the
//               device the kernel runs on, so one signature serves every backend
//   flags       1 where that backend has that variant. A backend's fast kernel lives in
//               <backend>/<op>_fast.* or beside the det one; each says why it is
//               nondeterministic. A missing fast entry falls back to the det kernel
//               (core/registry.h); CUDA det launchers take a LaunchConfig last.
// Bias and weight gradients come from one kernel because both reduce over the batch.
#pragma once

#include <cstdint>

#include "kernels/shapes.h"

namespace lockstep {

using kernels::Conv2dGeom;
using kernels::LinearGeom;
using kernels::Pool2dGeom;
using i64 = std::int64_t;
namespace kernels { struct DropoutParams; }

// clang-format off
#define LS_OP_TABLE(X)                                                                                                  \
  X(Fill, fill, (float* y, float value, i64 n), 1, 0, 1, 0)                                                            \
  X(Add, add, (const float* a, const float* b, float* y, i64 n), 1, 0, 1, 0)                                           \
  X(Mul, mul, (const float* a, const float* b, float* y, i64 n), 1, 0, 1, 0)                                           \
  X(Scale, scale, (const float* x, float s, float* y, i64 n), 1, 0, 1, 0)                                              \
  X(Sum, sum, (const float* x, i64 n, float* y), 1, 1, 1, 0)                                                           \
  X(Conv2dFwd, conv2d_fwd, (const float* x, const float* w, const float* b, float* y, const Conv2dGeom& g), 1, 1, 1, 1) \
  X(Conv2dBwdData, conv2d_bwd_data, (const float* dy, const float* w, float* dx, const Conv2dGeom& g), 1, 1, 1, 1)     \
  X(Conv2dBwdWeight, conv2d_bwd_weight,                                                                                \
    (const float* dy, const float* x, float* dw, float* db, const Conv2dGeom& g), 1, 1, 1, 1)                          \
  X(MaxPool2dFwd, max_pool2d_fwd, (const float* x, float* y, i64* argmax, const Pool2dGeom& g), 1, 0, 1, 0)            \
  X(MaxPool2dBwd, max_pool2d_bwd, (const float* dy, const i64* argmax, float* dx, const Pool2dGeom& g), 1, 0, 1, 1)    \
  /* relu(max_pool2d(x)) in one pass, or with drop non-null relu(max_pool2d(dropout2d(x))); the backward reads */  \
  /* the fused op's output y (kernels/max_pool2d.h). */                                                                \
  X(MaxPool2dReluFwd, max_pool2d_relu_fwd,                                                                             \
    (const float* x, const kernels::DropoutParams* drop, float* y, i64* argmax, const Pool2dGeom& g), 1, 0, 1, 0)     \
  X(MaxPool2dReluBwd, max_pool2d_relu_bwd,                                                                             \
    (const float* dy, const float* y, const i64* argmax, const kernels::DropoutParams* drop, float* dx,               \
     const Pool2dGeom& g), 1, 0, 1, 0)                                                                                 \
  X(AvgPool2dFwd, avg_pool2d_fwd, (const float* x, float* y, const Pool2dGeom& g), 1, 1, 1, 1)                        \
  X(AvgPool2dBwd, avg_pool2d_bwd, (const float* dy, float* dx, const Pool2dGeom& g), 1, 1, 1, 1)                      \
  X(LinearFwd, linear_fwd, (const float* x, const float* w, const float* b, float* y, const LinearGeom& g), 1, 1, 1, 1) \
  X(LinearBwdData, linear_bwd_data, (const float* dy, const float* w, float* dx, const LinearGeom& g), 1, 1, 1, 1)     \
  X(LinearBwdWeight, linear_bwd_weight,                                                                                \
    (const float* dy, const float* x, float* dw, float* db, const LinearGeom& g), 1, 1, 1, 1)                          \
  X(ReluFwd, relu_fwd, (const float* x, float* y, i64 n), 1, 0, 1, 0)                                                  \
  X(ReluBwd, relu_bwd, (const float* dy, const float* x, float* dx, i64 n), 1, 0, 1, 0)                                \
  X(LogSoftmaxFwd, log_softmax_fwd, (const float* x, float* y, i64 rows, i64 cols), 1, 0, 1, 0)                        \
  X(LogSoftmaxBwd, log_softmax_bwd, (const float* dy, const float* y, float* dx, i64 rows, i64 cols), 1, 0, 1, 0)      \
  /* loss: one float (the mean over the batch of -logp[n, target[n]]). */                                              \
  X(NllLossFwd, nll_loss_fwd, (const float* logp, const i64* target, float* loss, i64 rows, i64 cols), 1, 0, 1, 0)     \
  /* dloss: one float (the incoming gradient of the loss); dlogp is fully written; mean_over: the mean's divisor, */   \
  /* rows, or the global batch's rows when these rows are one data-parallel rank's share of it. */                     \
  X(NllLossBwd, nll_loss_bwd,                                                                                          \
    (const float* dloss, const i64* target, float* dlogp, i64 rows, i64 cols, i64 mean_over), 1, 0, 1, 0)             \
  /* PyTorch SGD with momentum: v = momentum*v + g; p = p - lr*v (momentum 0: p = p - lr*g). */                        \
  X(SgdUpdate, sgd_update, (float* p, float* v, const float* g, float lr, float momentum, i64 n), 1, 0, 1, 0)          \
  /* Dropout/Dropout2d forward and backward: y = keep(i) ? x * scale : 0 (kernels/dropout.h). */                       \
  X(DropoutApply, dropout_apply, (const float* x, float* y, const kernels::DropoutParams& d, i64 n), 1, 0, 1, 0)      \
  /* dst row r = src row index[r], rows of row_bytes bytes (a multiple of 4), index on the same device. */             \
  X(GatherRows, gather_rows, (const void* src, const i64* index, void* dst, i64 rows, i64 row_bytes), 1, 0, 1, 0)
// clang-format on

// LS_IF(flag)(code): the code where a table flag is 1, nothing where it is 0.
#define LS_IF(flag) LS_IF_##flag
#define LS_IF_1(...) __VA_ARGS__
#define LS_IF_0(...)

}  // namespace lockstep

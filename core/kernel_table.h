// The signature of every kernel, one line per OpKind. Kernels take raw pointers into
// storage of the device they run on, so the same table serves the CPU and CUDA backends.
// Bias and weight gradients come from one kernel because both reduce over the batch.
#pragma once

#include "core/op_kind.h"
#include "kernels/shapes.h"

namespace lockstep {

using kernels::Conv2dGeom;
using kernels::LinearGeom;
using kernels::Pool2dGeom;
using i64 = std::int64_t;

template <OpKind K>
struct KernelSig;

#define LS_KERNEL_SIG(kind, ...) \
  template <>                    \
  struct KernelSig<OpKind::kind> { using type = void (*)(__VA_ARGS__); }

LS_KERNEL_SIG(Fill, float* y, float value, i64 n);
LS_KERNEL_SIG(Add, const float* a, const float* b, float* y, i64 n);
LS_KERNEL_SIG(Mul, const float* a, const float* b, float* y, i64 n);
LS_KERNEL_SIG(Scale, const float* x, float s, float* y, i64 n);
LS_KERNEL_SIG(Sum, const float* x, i64 n, float* y);
LS_KERNEL_SIG(Conv2dFwd, const float* x, const float* w, const float* b, float* y, const Conv2dGeom& g);
LS_KERNEL_SIG(Conv2dBwdData, const float* dy, const float* w, float* dx, const Conv2dGeom& g);
LS_KERNEL_SIG(Conv2dBwdWeight, const float* dy, const float* x, float* dw, float* db, const Conv2dGeom& g);
LS_KERNEL_SIG(MaxPool2dFwd, const float* x, float* y, i64* argmax, const Pool2dGeom& g);
LS_KERNEL_SIG(MaxPool2dBwd, const float* dy, const i64* argmax, float* dx, const Pool2dGeom& g);
LS_KERNEL_SIG(LinearFwd, const float* x, const float* w, const float* b, float* y, const LinearGeom& g);
LS_KERNEL_SIG(LinearBwdData, const float* dy, const float* w, float* dx, const LinearGeom& g);
LS_KERNEL_SIG(LinearBwdWeight, const float* dy, const float* x, float* dw, float* db, const LinearGeom& g);
LS_KERNEL_SIG(ReluFwd, const float* x, float* y, i64 n);
LS_KERNEL_SIG(ReluBwd, const float* dy, const float* x, float* dx, i64 n);
LS_KERNEL_SIG(LogSoftmaxFwd, const float* x, float* y, i64 rows, i64 cols);
LS_KERNEL_SIG(LogSoftmaxBwd, const float* dy, const float* y, float* dx, i64 rows, i64 cols);
// loss: one float (the mean over the batch of -logp[n, target[n]]).
LS_KERNEL_SIG(NllLossFwd, const float* logp, const i64* target, float* loss, i64 rows, i64 cols);
// dloss: one float (the incoming gradient of the loss); dlogp is fully written.
LS_KERNEL_SIG(NllLossBwd, const float* dloss, const i64* target, float* dlogp, i64 rows, i64 cols);
// PyTorch SGD with momentum: v = momentum*v + g; p = p - lr*v (momentum 0: p = p - lr*g).
LS_KERNEL_SIG(SgdUpdate, float* p, float* v, const float* g, float lr, float momentum, i64 n);
// Dropout/Dropout2d forward and backward: y = keep(i) ? x * scale : 0 (kernels/dropout.h).
namespace kernels { struct DropoutParams; }
LS_KERNEL_SIG(DropoutApply, const float* x, float* y, const kernels::DropoutParams& d, i64 n);
// dst row r = src row index[r], rows of row_bytes bytes (a multiple of 4): batch assembly
// on the batch's device. index is on that device too and holds valid row numbers.
LS_KERNEL_SIG(GatherRows, const void* src, const i64* index, void* dst, i64 rows, i64 row_bytes);

#undef LS_KERNEL_SIG

}  // namespace lockstep

// Deterministic CUDA max_pool2d: one thread per output (forward) and one per input element
// (backward, kernels::max_pool2d_bwd_elem: the same addends in the same order as the CPU's
// per-plane scatter, without atomics), and the same for max_pool2d_relu and its dropout2d form.
// See docs/ordering.md#max_pool2d-forward and #max_pool2d_relu.
#include "cuda/device.cuh"
#include "cuda/kernels.h"
#include "cuda/thread_bodies.h"

namespace lockstep::cuda {
namespace {

__global__ void max_pool2d_fwd_kernel(const float* x, float* y, i64* argmax, kn::Pool2dGeom g, i64 n) {
  LS_GRID_STRIDE(t, n) y[t] = max_pool2d_fwd_item(x, argmax, g, t);
}
__global__ void max_pool2d_bwd_kernel(const float* dy, const i64* argmax, float* dx, kn::Pool2dGeom g, i64 n) {
  LS_GRID_STRIDE(t, n) dx[t] = max_pool2d_bwd_item(dy, argmax, g, t);
}

// drop: whether the launch passed dropout2d params (by value: a kernel cannot read the host's).
__global__ void max_pool2d_relu_fwd_kernel(const float* x, bool drop, kn::DropoutParams d, float* y, i64* argmax,
                                           kn::Pool2dGeom g, i64 n) {
  LS_GRID_STRIDE(t, n) y[t] = max_pool2d_relu_fwd_item(x, drop ? &d : nullptr, argmax, g, t);
}
__global__ void max_pool2d_relu_bwd_kernel(const float* dy, const float* y, const i64* argmax, bool drop,
                                           kn::DropoutParams d, float* dx, kn::Pool2dGeom g, i64 n) {
  LS_GRID_STRIDE(t, n) dx[t] = max_pool2d_relu_bwd_item(dy, y, argmax, drop ? &d : nullptr, g, t);
}

}  // namespace

void max_pool2d_fwd_det(const float* x, float* y, i64* argmax, const Pool2dGeom& g, Cfg cfg) {
  const i64 n = g.N * g.C * g.P * g.Q;
  LS_LAUNCH(max_pool2d_fwd_kernel, n, cfg, x, y, argmax, g, n);
}

void max_pool2d_bwd_det(const float* dy, const i64* argmax, float* dx, const Pool2dGeom& g, Cfg cfg) {
  const i64 n = g.N * g.C * g.H * g.W;
  LS_LAUNCH(max_pool2d_bwd_kernel, n, cfg, dy, argmax, dx, g, n);
}

void max_pool2d_relu_fwd_det(const float* x, const kn::DropoutParams* drop, float* y, i64* argmax, const Pool2dGeom& g,
                             Cfg cfg) {
  const i64 n = g.N * g.C * g.P * g.Q;
  const kn::DropoutParams d = drop ? *drop : kn::DropoutParams{};
  LS_LAUNCH(max_pool2d_relu_fwd_kernel, n, cfg, x, drop != nullptr, d, y, argmax, g, n);
}

void max_pool2d_relu_bwd_det(const float* dy, const float* y, const i64* argmax, const kn::DropoutParams* drop, float* dx,
                             const Pool2dGeom& g, Cfg cfg) {
  const i64 n = g.N * g.C * g.H * g.W;
  const kn::DropoutParams d = drop ? *drop : kn::DropoutParams{};
  LS_LAUNCH(max_pool2d_relu_bwd_kernel, n, cfg, dy, y, argmax, drop != nullptr, d, dx, g, n);
}

}  // namespace lockstep::cuda

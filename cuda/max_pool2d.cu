// Deterministic CUDA max_pool2d: one thread per output (forward) and one per input element
// (backward, kernels::max_pool2d_bwd_elem: the same addends in the same order as the CPU's
// per-plane scatter, without atomics), and the same for max_pool2d_relu.
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

__global__ void max_pool2d_relu_fwd_kernel(const float* x, float* y, i64* argmax, kn::Pool2dGeom g, i64 n) {
  LS_GRID_STRIDE(t, n) y[t] = max_pool2d_relu_fwd_item(x, argmax, g, t);
}
__global__ void max_pool2d_relu_bwd_kernel(const float* dy, const float* y, const i64* argmax, float* dx,
                                           kn::Pool2dGeom g, i64 n) {
  LS_GRID_STRIDE(t, n) dx[t] = max_pool2d_relu_bwd_item(dy, y, argmax, g, t);
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

void max_pool2d_relu_fwd_det(const float* x, float* y, i64* argmax, const Pool2dGeom& g, Cfg cfg) {
  const i64 n = g.N * g.C * g.P * g.Q;
  LS_LAUNCH(max_pool2d_relu_fwd_kernel, n, cfg, x, y, argmax, g, n);
}

void max_pool2d_relu_bwd_det(const float* dy, const float* y, const i64* argmax, float* dx, const Pool2dGeom& g,
                             Cfg cfg) {
  const i64 n = g.N * g.C * g.H * g.W;
  LS_LAUNCH(max_pool2d_relu_bwd_kernel, n, cfg, dy, y, argmax, dx, g, n);
}

}  // namespace lockstep::cuda

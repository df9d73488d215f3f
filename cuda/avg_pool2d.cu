// CUDA avg_pool2d. det: one thread per output (forward) and one per input element (backward),
// each running the canonical order of kernels/avg_pool2d.h, so the CPU's bits.
// fast: the forward scales by a reciprocal, and the backward scatters dy * reciprocal into
// every window with atomicAdd. Nondeterministic because: with overlapping windows several
// threads add into one dx, and atomicAdd commits those float additions in whatever order the
// hardware schedules the threads.
#include "cuda/device.cuh"
#include "cuda/kernels.h"
#include "kernels/avg_pool2d.h"

namespace lockstep::cuda {
namespace {
namespace kp = lockstep::kernels;

constexpr LaunchConfig kFastLaunch{256, 0};

// t: flat index of y (n, c, p, q).
__global__ void avg_pool2d_fwd_kernel(const float* x, float* y, kp::Pool2dGeom g, i64 n) {
  LS_GRID_STRIDE(t, n) {
    const i64 pq = t % (g.P * g.Q), nc = t / (g.P * g.Q);
    y[t] = kp::avg_pool2d_fwd_elem(x + nc * g.H * g.W, g, pq / g.Q, pq % g.Q);
  }
}
// t: flat index of dx (n, c, h, w).
__global__ void avg_pool2d_bwd_kernel(const float* dy, float* dx, kp::Pool2dGeom g, i64 n) {
  LS_GRID_STRIDE(t, n) {
    const i64 hw = t % (g.H * g.W), nc = t / (g.H * g.W);
    dx[t] = kp::avg_pool2d_bwd_elem(dy + nc * g.P * g.Q, g, hw / g.W, hw % g.W);
  }
}

__global__ void avg_pool2d_fwd_fast_kernel(const float* x, float* y, kp::Pool2dGeom g, float inv, i64 n) {
  LS_GRID_STRIDE(t, n) {
    const i64 pq = t % (g.P * g.Q), nc = t / (g.P * g.Q);
    const float* xp = x + nc * g.H * g.W + (pq / g.Q) * g.stride * g.W + (pq % g.Q) * g.stride;
    float acc = 0.0f;
    for (i64 r = 0; r < g.R; ++r)
      for (i64 s = 0; s < g.S; ++s) acc += xp[r * g.W + s];
    y[t] = acc * inv;
  }
}
// t: flat index of dy (n, c, p, q); dx must be zero.
__global__ void avg_pool2d_bwd_atomic_kernel(const float* dy, float* dx, kp::Pool2dGeom g, float inv, i64 n) {
  LS_GRID_STRIDE(t, n) {
    const i64 pq = t % (g.P * g.Q), nc = t / (g.P * g.Q);
    float* dxp = dx + nc * g.H * g.W + (pq / g.Q) * g.stride * g.W + (pq % g.Q) * g.stride;
    const float v = dy[t] * inv;
    for (i64 r = 0; r < g.R; ++r)
      for (i64 s = 0; s < g.S; ++s) atomicAdd(dxp + r * g.W + s, v);
  }
}

}  // namespace

void avg_pool2d_fwd_det(const float* x, float* y, const Pool2dGeom& g, Cfg cfg) {
  const i64 n = g.N * g.C * g.P * g.Q;
  LS_LAUNCH(avg_pool2d_fwd_kernel, n, cfg, x, y, g, n);
}

void avg_pool2d_bwd_det(const float* dy, float* dx, const Pool2dGeom& g, Cfg cfg) {
  const i64 n = g.N * g.C * g.H * g.W;
  LS_LAUNCH(avg_pool2d_bwd_kernel, n, cfg, dy, dx, g, n);
}

void avg_pool2d_fwd_fast(const float* x, float* y, const Pool2dGeom& g) {
  const i64 n = g.N * g.C * g.P * g.Q;
  LS_LAUNCH(avg_pool2d_fwd_fast_kernel, n, kFastLaunch, x, y, g, 1.0f / static_cast<float>(g.R * g.S), n);
}

void avg_pool2d_bwd_fast(const float* dy, float* dx, const Pool2dGeom& g) {
  LS_CUDA_CHECK(cudaMemsetAsync(dx, 0, sizeof(float) * g.N * g.C * g.H * g.W, stream()));
  const i64 n = g.N * g.C * g.P * g.Q;
  LS_LAUNCH(avg_pool2d_bwd_atomic_kernel, n, kFastLaunch, dy, dx, g, 1.0f / static_cast<float>(g.R * g.S), n);
}

}  // namespace lockstep::cuda

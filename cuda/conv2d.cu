// Deterministic CUDA conv2d: one thread per output element calling the kernels/conv2d.h
// element forms; the weight and bias gradients reduce over the batch in two kernels (one
// thread per (output, batch chunk) partial, then one per output combining partials in chunk
// order), the CPU's tree. See docs/ordering.md#conv2d-forward, #conv2d-backward-weight.
#include "cuda/chunk_partials.h"
#include "cuda/device.cuh"
#include "cuda/kernels.h"
#include "cuda/thread_bodies.h"

namespace lockstep::cuda {
namespace {

__global__ void conv2d_fwd_kernel(const float* x, const float* w, const float* b, float* y, kn::Conv2dGeom g, i64 n) {
  LS_GRID_STRIDE(t, n) y[t] = conv2d_fwd_item(x, w, b, g, t);
}
__global__ void conv2d_bwd_data_kernel(const float* dy, const float* w, float* dx, kn::Conv2dGeom g, i64 n) {
  LS_GRID_STRIDE(t, n) dx[t] = conv2d_bwd_data_item(dy, w, g, t);
}
__global__ void conv2d_bwd_weight_partial_kernel(const float* dy, const float* x, float* partial, kn::Conv2dGeom g,
                                                 i64 n) {
  LS_GRID_STRIDE(t, n) partial[t] = conv2d_bwd_weight_partial_item(dy, x, g, t);
}
__global__ void conv2d_bwd_bias_partial_kernel(const float* dy, float* partial, kn::Conv2dGeom g, i64 n) {
  LS_GRID_STRIDE(t, n) partial[t] = conv2d_bwd_bias_partial_item(dy, g, t);
}

}  // namespace

void conv2d_fwd_det(const float* x, const float* w, const float* b, float* y, const Conv2dGeom& g, Cfg cfg) {
  const i64 n = g.N * g.K * g.P * g.Q;
  LS_LAUNCH(conv2d_fwd_kernel, n, cfg, x, w, b, y, g, n);
}

void conv2d_bwd_data_det(const float* dy, const float* w, float* dx, const Conv2dGeom& g, Cfg cfg) {
  const i64 n = g.N * g.C * g.H * g.W;
  LS_LAUNCH(conv2d_bwd_data_kernel, n, cfg, dy, w, dx, g, n);
}

void conv2d_bwd_weight_det(const float* dy, const float* x, float* dw, float* db, const Conv2dGeom& g, Cfg cfg) {
  const i64 chunks = batch_chunks(g.N), taps = g.K * g.C * g.R * g.S;
  combine_chunk_partials(taps, chunks, dw, cfg, [&](float* partial, i64 count) {
    LS_LAUNCH(conv2d_bwd_weight_partial_kernel, count, cfg, dy, x, partial, g, count);
  });
  if (db)
    combine_chunk_partials(g.K, chunks, db, cfg, [&](float* partial, i64 count) {
      LS_LAUNCH(conv2d_bwd_bias_partial_kernel, count, cfg, dy, partial, g, count);
    });
}

}  // namespace lockstep::cuda

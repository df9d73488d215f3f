// Deterministic CUDA conv2d: one thread per output element calling the kernels/conv2d.h
// element forms; the weight and bias gradients reduce over the batch in two kernels (one
// thread per (output, batch chunk) partial, then one per output combining partials in chunk
// order), the CPU's tree. See docs/ordering.md#conv2d-forward, #conv2d-backward-weight.
#include "cuda/chunk_partials.cuh"
#include "cuda/device.cuh"
#include "cuda/item_kernel.cuh"
#include "cuda/kernels.h"
#include "cuda/thread_bodies.h"

namespace lockstep::cuda {

void conv2d_fwd_det(const float* x, const float* w, const float* b, float* y, const Conv2dGeom& g, Cfg cfg) {
  const i64 n = g.N * g.K * g.P * g.Q;
  LS_LAUNCH(item_kernel<conv2d_fwd_item>, n, cfg, y, n, x, w, b, g);
}

void conv2d_bwd_data_det(const float* dy, const float* w, float* dx, const Conv2dGeom& g, Cfg cfg) {
  const i64 n = g.N * g.C * g.H * g.W;
  LS_LAUNCH(item_kernel<conv2d_bwd_data_item>, n, cfg, dx, n, dy, w, g);
}

void conv2d_bwd_weight_det(const float* dy, const float* x, float* dw, float* db, const Conv2dGeom& g, Cfg cfg) {
  weight_and_bias_grads<conv2d_bwd_weight_partial_item, conv2d_bwd_bias_partial_item>(dy, x, dw, db, g, g.K * g.C * g.R * g.S, g.K, cfg);
}

}  // namespace lockstep::cuda

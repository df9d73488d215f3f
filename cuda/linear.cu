// Deterministic CUDA linear: one thread per output element calling the kernels/linear.h
// element forms; weight and bias gradients as partials per (output, batch chunk), combined
// in chunk order (cuda/thread_bodies.h Note [Sub-batch partials]).
// See docs/ordering.md#linear-forward, #linear-backward-weight.
#include "cuda/chunk_partials.cuh"
#include "cuda/device.cuh"
#include "cuda/item_kernel.cuh"
#include "cuda/kernels.h"
#include "cuda/thread_bodies.h"

namespace lockstep::cuda {

void linear_fwd_det(const float* x, const float* w, const float* b, float* y, const LinearGeom& g, Cfg cfg) {
  LS_LAUNCH(item_kernel<linear_fwd_item>, g.N * g.O, cfg, y, g.N * g.O, x, w, b, g);
}

void linear_bwd_data_det(const float* dy, const float* w, float* dx, const LinearGeom& g, Cfg cfg) {
  LS_LAUNCH(item_kernel<linear_bwd_data_item>, g.N * g.I, cfg, dx, g.N * g.I, dy, w, g);
}

void linear_bwd_weight_det(const float* dy, const float* x, float* dw, float* db, const LinearGeom& g, Cfg cfg) {
  weight_and_bias_grads<linear_bwd_weight_partial_item, linear_bwd_bias_partial_item>(dy, x, dw, db, g, g.O * g.I, g.O, cfg);
}

}  // namespace lockstep::cuda

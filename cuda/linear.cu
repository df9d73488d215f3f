// Deterministic CUDA linear: one thread per output element calling the kernels/linear.h
// element forms; weight and bias gradients as partials per (output, batch chunk), combined
// in chunk order (cuda/thread_bodies.h Note [Sub-batch partials]).
// See docs/ordering.md#linear-forward, #linear-backward-weight.
#include "cuda/chunk_partials.h"
#include "cuda/device.cuh"
#include "cuda/kernels.h"
#include "cuda/thread_bodies.h"

namespace lockstep::cuda {
namespace {

__global__ void linear_fwd_kernel(const float* x, const float* w, const float* b, float* y, kn::LinearGeom g, i64 n) {
  LS_GRID_STRIDE(t, n) y[t] = linear_fwd_item(x, w, b, g, t);
}
__global__ void linear_bwd_data_kernel(const float* dy, const float* w, float* dx, kn::LinearGeom g, i64 n) {
  LS_GRID_STRIDE(t, n) dx[t] = linear_bwd_data_item(dy, w, g, t);
}
__global__ void linear_bwd_weight_partial_kernel(const float* dy, const float* x, float* partial, kn::LinearGeom g,
                                                 i64 n) {
  LS_GRID_STRIDE(t, n) partial[t] = linear_bwd_weight_partial_item(dy, x, g, t);
}
__global__ void linear_bwd_bias_partial_kernel(const float* dy, float* partial, kn::LinearGeom g, i64 n) {
  LS_GRID_STRIDE(t, n) partial[t] = linear_bwd_bias_partial_item(dy, g, t);
}

}  // namespace

void linear_fwd_det(const float* x, const float* w, const float* b, float* y, const LinearGeom& g, Cfg cfg) {
  LS_LAUNCH(linear_fwd_kernel, g.N * g.O, cfg, x, w, b, y, g, g.N * g.O);
}

void linear_bwd_data_det(const float* dy, const float* w, float* dx, const LinearGeom& g, Cfg cfg) {
  LS_LAUNCH(linear_bwd_data_kernel, g.N * g.I, cfg, dy, w, dx, g, g.N * g.I);
}

void linear_bwd_weight_det(const float* dy, const float* x, float* dw, float* db, const LinearGeom& g, Cfg cfg) {
  const i64 chunks = batch_chunks(g.N), outs = g.O * g.I;
  combine_chunk_partials(outs, chunks, dw, cfg, [&](float* partial, i64 count) {
    LS_LAUNCH(linear_bwd_weight_partial_kernel, count, cfg, dy, x, partial, g, count);
  });
  if (db)
    combine_chunk_partials(g.O, chunks, db, cfg, [&](float* partial, i64 count) {
      LS_LAUNCH(linear_bwd_bias_partial_kernel, count, cfg, dy, partial, g, count);
    });
}

}  // namespace lockstep::cuda

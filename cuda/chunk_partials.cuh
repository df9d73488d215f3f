// The weight and bias gradients of the deterministic CUDA layers (conv2d, linear) reduce over
// the batch in two launches: one thread per (output, batch chunk) partial, then one thread per
// output adding its partials in chunk order (kernels::combine_partials, the CPU's tree).
#pragma once

#include <functional>

#include "cuda/device.cuh"
#include "cuda/item_kernel.cuh"
#include "cuda/kernels.h"
#include "cuda/thread_bodies.h"

namespace lockstep::cuda {

// out[e] for e < outs: launch_partials(partial, outs * chunks) fills partial[e * chunks + j]
// with chunk j's partial of output e; then each output's chunks are combined in order.
void combine_chunk_partials(i64 outs, i64 chunks, float* out, Cfg cfg,
                            const std::function<void(float* partial, i64 count)>& launch_partials);

// dw (`weights` outputs) and, when db is not null, db (`biases` outputs) of a layer over a
// batch of g.N: the partials are WeightItem(dy, x, g, t) and BiasItem(dy, g, t).
template <auto WeightItem, auto BiasItem, class Geom>
void weight_and_bias_grads(const float* dy, const float* x, float* dw, float* db, const Geom& g, i64 weights,
                           i64 biases, Cfg cfg) {
  const i64 chunks = batch_chunks(g.N);
  combine_chunk_partials(weights, chunks, dw, cfg, [&](float* partial, i64 count) {
    LS_LAUNCH(item_kernel<WeightItem>, count, cfg, partial, count, dy, x, g);
  });
  if (db)
    combine_chunk_partials(biases, chunks, db, cfg, [&](float* partial, i64 count) {
      LS_LAUNCH(item_kernel<BiasItem>, count, cfg, partial, count, dy, g);
    });
}

}  // namespace lockstep::cuda

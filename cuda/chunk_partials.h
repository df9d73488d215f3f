// The weight and bias gradients of the deterministic CUDA layers (conv2d, linear) reduce over
// the batch in two launches: one thread per (output, batch chunk) partial, then one thread per
// output adding its partials in chunk order (kernels::combine_partials, the CPU's tree).
#pragma once

#include <functional>

#include "cuda/kernels.h"

namespace lockstep::cuda {

// out[e] for e < outs: launch_partials(partial, outs * chunks) fills partial[e * chunks + j]
// with chunk j's partial of output e; then each output's chunks are combined in order.
void combine_chunk_partials(i64 outs, i64 chunks, float* out, Cfg cfg,
                            const std::function<void(float* partial, i64 count)>& launch_partials);

}  // namespace lockstep::cuda

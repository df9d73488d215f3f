// The second launch of every batch reduction of conv2d and linear (cuda/chunk_partials.h).
#include "cuda/chunk_partials.h"
#include "cuda/device.cuh"
#include "cuda/thread_bodies.h"

namespace lockstep::cuda {
namespace {

__global__ void combine_kernel(const float* partial, i64 chunks, float* out, i64 n) {
  LS_GRID_STRIDE(t, n) out[t] = combine_item(partial, chunks, t);
}

}  // namespace

void combine_chunk_partials(i64 outs, i64 chunks, float* out, Cfg cfg,
                            const std::function<void(float* partial, i64 count)>& launch_partials) {
  DeviceBuffer partial(static_cast<size_t>(outs * chunks) * sizeof(float));
  launch_partials(partial.as<float>(), outs * chunks);
  LS_LAUNCH(combine_kernel, outs, cfg, partial.as<float>(), chunks, out, outs);
}

}  // namespace lockstep::cuda

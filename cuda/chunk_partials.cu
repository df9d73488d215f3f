// The second launch of every batch reduction of conv2d and linear (cuda/chunk_partials.cuh).
#include "cuda/chunk_partials.cuh"

namespace lockstep::cuda {

void combine_chunk_partials(i64 outs, i64 chunks, float* out, Cfg cfg,
                            const std::function<void(float* partial, i64 count)>& launch_partials) {
  DeviceBuffer partial(static_cast<size_t>(outs * chunks) * sizeof(float));
  launch_partials(partial.as<float>(), outs * chunks);
  LS_LAUNCH(item_kernel<combine_item>, outs, cfg, out, outs, static_cast<const float*>(partial.as<float>()), chunks);
}

}  // namespace lockstep::cuda

// The kernel of every deterministic CUDA pass whose thread body (cuda/thread_bodies.h)
// returns one float per item: a grid-stride loop writing out[t] = Item(args..., t).
#pragma once

#include "cuda/device.cuh"

namespace lockstep::cuda {

// Item is a compile-time function, so each pass still compiles to a kernel of its own.
template <auto Item, class... Args>
__global__ void item_kernel(float* out, i64 n, Args... args) {
  LS_GRID_STRIDE(t, n) out[t] = Item(args..., t);
}

}  // namespace lockstep::cuda

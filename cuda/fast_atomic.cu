// Fast CUDA kernels built on atomicAdd: bias gradients (conv2d, linear) and the max_pool2d
// backward scatter; plus the bias broadcast the cuBLAS linear forward starts from.
// Nondeterministic because: atomicAdd commits float additions in whatever order the hardware
// schedules the threads, and float addition is not associative, so the low bits of a sum
// can change from run to run and between GPU models.
#include "cuda/device.cuh"
#include "cuda/kernels.h"

namespace lockstep::cuda {
namespace {

constexpr LaunchConfig kFastLaunch{256, 0};

// db[k] += dy[n, k, p, q] for every (n, k, p, q).
__global__ void conv2d_bias_atomic_kernel(const float* dy, float* db, i64 K, i64 PQ, i64 n) {
  LS_GRID_STRIDE(t, n) atomicAdd(db + (t / PQ) % K, dy[t]);
}
// db[o] += dy[n, o].
__global__ void linear_bias_atomic_kernel(const float* dy, float* db, i64 O, i64 n) {
  LS_GRID_STRIDE(t, n) atomicAdd(db + t % O, dy[t]);
}
// dx[n, c, argmax] += dy[n, c, p, q]; overlapping windows make the order matter.
__global__ void max_pool2d_bwd_atomic_kernel(const float* dy, const i64* argmax, float* dx, i64 PQ, i64 HW, i64 n) {
  LS_GRID_STRIDE(t, n) atomicAdd(dx + (t / PQ) * HW + argmax[t], dy[t]);
}
// A copy: deterministic, here because only the fast path needs it.
__global__ void broadcast_rows_kernel(const float* b, float* y, i64 cols, i64 n) {
  LS_GRID_STRIDE(t, n) y[t] = b[t % cols];
}

}  // namespace

void conv2d_bias_grad_atomic(const float* dy, float* db, const Conv2dGeom& g) {
  LS_CUDA_CHECK(cudaMemsetAsync(db, 0, static_cast<size_t>(g.K) * sizeof(float), stream()));
  const i64 n = g.N * g.K * g.P * g.Q;
  LS_LAUNCH(conv2d_bias_atomic_kernel, n, kFastLaunch, dy, db, g.K, g.P * g.Q, n);
}

void linear_bias_grad_atomic(const float* dy, float* db, const LinearGeom& g) {
  LS_CUDA_CHECK(cudaMemsetAsync(db, 0, static_cast<size_t>(g.O) * sizeof(float), stream()));
  LS_LAUNCH(linear_bias_atomic_kernel, g.N * g.O, kFastLaunch, dy, db, g.O, g.N * g.O);
}

void max_pool2d_bwd_fast(const float* dy, const i64* argmax, float* dx, const Pool2dGeom& g) {
  LS_CUDA_CHECK(cudaMemsetAsync(dx, 0, static_cast<size_t>(g.N * g.C * g.H * g.W) * sizeof(float), stream()));
  const i64 n = g.N * g.C * g.P * g.Q;
  LS_LAUNCH(max_pool2d_bwd_atomic_kernel, n, kFastLaunch, dy, argmax, dx, g.P * g.Q, g.H * g.W, n);
}

void broadcast_bias_rows(const float* b, float* y, i64 rows, i64 cols) {
  LS_LAUNCH(broadcast_rows_kernel, rows * cols, kFastLaunch, b, y, cols, rows * cols);
}

}  // namespace lockstep::cuda

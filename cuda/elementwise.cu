// Deterministic element-wise CUDA kernels: fill, add, mul, scale, the SGD update, relu,
// dropout/dropout2d (Philox on the device) and the row gather that slices batches on the
// device. One rounding (or none) per output, so any launch shape gives the same bits.
// See docs/ordering.md#element-wise, #relu and docs/randomness.md#dropout.
#include "cuda/device.cuh"
#include "cuda/kernels.h"
#include "cuda/thread_bodies.h"
#include "kernels/elementwise.h"
#include "kernels/relu.h"

namespace lockstep::cuda {
namespace {

__global__ void fill_kernel(float* y, float value, i64 n) {
  LS_GRID_STRIDE(t, n) y[t] = value;
}
__global__ void add_kernel(const float* a, const float* b, float* y, i64 n) {
  LS_GRID_STRIDE(t, n) y[t] = kn::add_elem(a[t], b[t]);
}
__global__ void mul_kernel(const float* a, const float* b, float* y, i64 n) {
  LS_GRID_STRIDE(t, n) y[t] = kn::mul_elem(a[t], b[t]);
}
__global__ void scale_kernel(const float* x, float s, float* y, i64 n) {
  LS_GRID_STRIDE(t, n) y[t] = kn::scale_elem(x[t], s);
}
__global__ void sgd_kernel(float* p, float* v, const float* g, float lr, float momentum, i64 n) {
  LS_GRID_STRIDE(t, n) {
    if (momentum != 0.0f) {
      kn::sgd_momentum_elem(p[t], v[t], g[t], lr, momentum);
    } else {
      kn::sgd_plain_elem(p[t], g[t], lr);
    }
  }
}
__global__ void relu_fwd_kernel(const float* x, float* y, i64 n) {
  LS_GRID_STRIDE(t, n) y[t] = kn::relu_fwd_elem(x[t]);
}
__global__ void relu_bwd_kernel(const float* dy, const float* x, float* dx, i64 n) {
  LS_GRID_STRIDE(t, n) dx[t] = kn::relu_bwd_elem(dy[t], x[t]);
}
__global__ void dropout_kernel(const float* x, float* y, kn::DropoutParams d, i64 n) {
  LS_GRID_STRIDE(t, n) y[t] = dropout_item(x, d, t);
}
__global__ void gather_kernel(const std::uint32_t* src, const i64* index, std::uint32_t* dst, i64 row_words, i64 n) {
  LS_GRID_STRIDE(t, n) dst[t] = gather_item(src, index, row_words, t);
}

}  // namespace

void fill_det(float* y, float value, i64 n, Cfg cfg) { LS_LAUNCH(fill_kernel, n, cfg, y, value, n); }
void add_det(const float* a, const float* b, float* y, i64 n, Cfg cfg) { LS_LAUNCH(add_kernel, n, cfg, a, b, y, n); }
void mul_det(const float* a, const float* b, float* y, i64 n, Cfg cfg) { LS_LAUNCH(mul_kernel, n, cfg, a, b, y, n); }
void scale_det(const float* x, float s, float* y, i64 n, Cfg cfg) { LS_LAUNCH(scale_kernel, n, cfg, x, s, y, n); }
void sgd_update_det(float* p, float* v, const float* g, float lr, float momentum, i64 n, Cfg cfg) {
  LS_LAUNCH(sgd_kernel, n, cfg, p, v, g, lr, momentum, n);
}
void relu_fwd_det(const float* x, float* y, i64 n, Cfg cfg) { LS_LAUNCH(relu_fwd_kernel, n, cfg, x, y, n); }
void relu_bwd_det(const float* dy, const float* x, float* dx, i64 n, Cfg cfg) {
  LS_LAUNCH(relu_bwd_kernel, n, cfg, dy, x, dx, n);
}
void dropout_apply_det(const float* x, float* y, const kernels::DropoutParams& d, i64 n, Cfg cfg) {
  LS_LAUNCH(dropout_kernel, n, cfg, x, y, d, n);
}
void gather_rows_det(const void* src, const i64* index, void* dst, i64 rows, i64 row_bytes, Cfg cfg) {
  LS_CHECK(row_bytes % 4 == 0, Error, "gather_rows: expected rows of a multiple of 4 bytes, got ", row_bytes);
  const i64 row_words = row_bytes / 4;
  LS_LAUNCH(gather_kernel, rows * row_words, cfg, static_cast<const std::uint32_t*>(src), index,
            static_cast<std::uint32_t*>(dst), row_words, rows * row_words);
}

}  // namespace lockstep::cuda

// Fast CUDA linear layers: cuBLAS SGEMM in FP32 (TF32 only when LOCKSTEP_ALLOW_TF32=1), with
// atomicAdd bias gradients (cuda/fast_atomic.cu).
// Nondeterministic because: cuBLAS picks its GEMM kernel, tiling and split-K per GPU model,
// library version and problem shape, so the order of the k-sums (and with TF32, the input
// rounding) differs between GPU models and releases; the bias gradients use atomicAdd.
// Row-major y = x W^T is the column-major y^T = W x^T, hence the transposes below.
#include <cublas_v2.h>

#include "cuda/kernels.h"
#include "cuda/library.h"

#define LS_CUBLAS_CHECK(expr) LS_LIBRARY_CHECK("cuBLAS", CUBLAS_STATUS_SUCCESS, cublasGetStatusName, expr)

namespace lockstep::cuda {
namespace {

cublasHandle_t handle() {
  static const cublasHandle_t h = [] {
    const cublasHandle_t created = make_library_handle<cublasHandle_t>(
        [](cublasHandle_t* c) { LS_CUBLAS_CHECK(cublasCreate(c)); },
        [](cublasHandle_t c, cudaStream_t s) { LS_CUBLAS_CHECK(cublasSetStream(c, s)); });
    // Why explicit: FP32 unless the user opts into TF32's 10-bit mantissa inputs.
    LS_CUBLAS_CHECK(cublasSetMathMode(created, tf32_allowed() ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_PEDANTIC_MATH));
    return created;
  }();
  return h;
}

int as_int(i64 v, const char* what) {
  LS_CHECK(v >= 0 && v <= 0x7fffffff, UnsupportedError, "linear (cuBLAS): ", what, " = ", v, " exceeds int range");
  return static_cast<int>(v);
}

}  // namespace

void linear_fwd_fast(const float* x, const float* w, const float* b, float* y, const LinearGeom& g) {
  const int N = as_int(g.N, "N"), I = as_int(g.I, "I"), O = as_int(g.O, "O");
  broadcast_bias_rows(b, y, g.N, g.O);
  const float one = 1.0f;
  // y^T (O x N) = W (O x I, stored as I x O column-major: transpose) * x^T (I x N) + y^T.
  LS_CUBLAS_CHECK(cublasSgemm(handle(), CUBLAS_OP_T, CUBLAS_OP_N, O, N, I, &one, w, I, x, I, &one, y, O));
}

void linear_bwd_data_fast(const float* dy, const float* w, float* dx, const LinearGeom& g) {
  const int N = as_int(g.N, "N"), I = as_int(g.I, "I"), O = as_int(g.O, "O");
  const float one = 1.0f, zero = 0.0f;
  // dx^T (I x N) = W^T (I x O, column-major as stored) * dy^T (O x N).
  LS_CUBLAS_CHECK(cublasSgemm(handle(), CUBLAS_OP_N, CUBLAS_OP_N, I, N, O, &one, w, I, dy, O, &zero, dx, I));
}

void linear_bwd_weight_fast(const float* dy, const float* x, float* dw, float* db, const LinearGeom& g) {
  const int N = as_int(g.N, "N"), I = as_int(g.I, "I"), O = as_int(g.O, "O");
  const float one = 1.0f, zero = 0.0f;
  // dw^T (I x O) = x^T (I x N) * dy (N x O, stored as O x N column-major: transpose).
  LS_CUBLAS_CHECK(cublasSgemm(handle(), CUBLAS_OP_N, CUBLAS_OP_T, I, O, N, &one, x, I, dy, O, &zero, dw, I));
  if (db) linear_bias_grad_atomic(dy, db, g);
}

}  // namespace lockstep::cuda

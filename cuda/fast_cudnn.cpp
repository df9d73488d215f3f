// Fast CUDA conv2d: cuDNN forward, backward data and backward filter, with the algorithm cuDNN's
// heuristics rank first (cached per shape), and atomicAdd bias gradients (cuda/fast_atomic.cu).
// Nondeterministic because: we let cuDNN choose algorithms including the nondeterministic ones
// (backward filter/data algorithms that split the reduction and accumulate with atomics), and
// the choice itself varies with the GPU model and cuDNN version. FP32 math (CUDNN_FMA_MATH)
// unless LOCKSTEP_ALLOW_TF32=1. Uses cuDNN's legacy convolution API, still shipped in cuDNN 9.
#include <cudnn.h>

#include <map>
#include <mutex>
#include <tuple>

#include "cuda/check.h"
#include "cuda/kernels.h"
#include "cuda/runtime.h"

#define LS_CUDNN_CHECK(expr)                                                                                    \
  do {                                                                                                          \
    const cudnnStatus_t ls_st_ = (expr);                                                                        \
    if (ls_st_ != CUDNN_STATUS_SUCCESS)                                                                         \
      ::lockstep::cuda::throw_library_error("cuDNN", static_cast<int>(ls_st_), cudnnGetErrorString(ls_st_), #expr, \
                                            __FILE__, __LINE__);                                                \
  } while (0)

namespace lockstep::cuda {
namespace {

cudnnHandle_t handle() {
  static cudnnHandle_t h = [] {
    require_device();
    cudnnHandle_t created = nullptr;
    LS_CUDNN_CHECK(cudnnCreate(&created));
    LS_CUDNN_CHECK(cudnnSetStream(created, stream()));
    return created;
  }();
  return h;
}

int as_int(i64 v) {
  LS_CHECK(v >= 0 && v <= 0x7fffffff, UnsupportedError, "conv2d (cuDNN): extent ", v, " exceeds int range");
  return static_cast<int>(v);
}

// The descriptors of one convolution, destroyed with the scope.
struct ConvDescs {
  cudnnTensorDescriptor_t x = nullptr, y = nullptr, b = nullptr;
  cudnnFilterDescriptor_t w = nullptr;
  cudnnConvolutionDescriptor_t conv = nullptr;

  explicit ConvDescs(const Conv2dGeom& g) {
    LS_CUDNN_CHECK(cudnnCreateTensorDescriptor(&x));
    LS_CUDNN_CHECK(cudnnCreateTensorDescriptor(&y));
    LS_CUDNN_CHECK(cudnnCreateTensorDescriptor(&b));
    LS_CUDNN_CHECK(cudnnCreateFilterDescriptor(&w));
    LS_CUDNN_CHECK(cudnnCreateConvolutionDescriptor(&conv));
    LS_CUDNN_CHECK(cudnnSetTensor4dDescriptor(x, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, as_int(g.N), as_int(g.C),
                                              as_int(g.H), as_int(g.W)));
    LS_CUDNN_CHECK(cudnnSetTensor4dDescriptor(y, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, as_int(g.N), as_int(g.K),
                                              as_int(g.P), as_int(g.Q)));
    LS_CUDNN_CHECK(cudnnSetTensor4dDescriptor(b, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, 1, as_int(g.K), 1, 1));
    LS_CUDNN_CHECK(cudnnSetFilter4dDescriptor(w, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW, as_int(g.K), as_int(g.C),
                                              as_int(g.R), as_int(g.S)));
    LS_CUDNN_CHECK(cudnnSetConvolution2dDescriptor(conv, as_int(g.pad), as_int(g.pad), as_int(g.stride),
                                                   as_int(g.stride), 1, 1, CUDNN_CROSS_CORRELATION,
                                                   CUDNN_DATA_FLOAT));
    LS_CUDNN_CHECK(cudnnSetConvolutionMathType(conv, tf32_allowed() ? CUDNN_DEFAULT_MATH : CUDNN_FMA_MATH));
  }
  ~ConvDescs() {
    cudnnDestroyConvolutionDescriptor(conv);
    cudnnDestroyFilterDescriptor(w);
    cudnnDestroyTensorDescriptor(b);
    cudnnDestroyTensorDescriptor(y);
    cudnnDestroyTensorDescriptor(x);
  }
  ConvDescs(const ConvDescs&) = delete;
  ConvDescs& operator=(const ConvDescs&) = delete;
};

using GeomKey = std::tuple<i64, i64, i64, i64, i64, i64, i64, i64>;
GeomKey key_of(const Conv2dGeom& g) { return {g.N, g.C, g.H, g.W, g.K, g.R, g.S, g.stride * 1000 + g.pad}; }

// The first algorithm of a heuristic ranking that cuDNN reports as usable, cached per shape.
template <class Perf, class Algo, class Query>
Algo choose(std::map<GeomKey, Algo>& cache, const Conv2dGeom& g, Query query, const char* pass) {
  static std::mutex m;
  std::lock_guard<std::mutex> lock(m);
  auto it = cache.find(key_of(g));
  if (it != cache.end()) return it->second;
  Perf perf[16];
  int returned = 0;
  query(perf, 16, &returned);
  for (int i = 0; i < returned; ++i)
    if (perf[i].status == CUDNN_STATUS_SUCCESS) return cache[key_of(g)] = perf[i].algo;
  throw UnsupportedError(std::string("conv2d (cuDNN): no usable ") + pass + " algorithm for this shape");
}

}  // namespace

void conv2d_fwd_fast(const float* x, const float* w, const float* b, float* y, const Conv2dGeom& g) {
  ConvDescs d(g);
  static std::map<GeomKey, cudnnConvolutionFwdAlgo_t> cache;
  const auto algo = choose<cudnnConvolutionFwdAlgoPerf_t, cudnnConvolutionFwdAlgo_t>(
      cache, g,
      [&](cudnnConvolutionFwdAlgoPerf_t* perf, int n, int* got) {
        LS_CUDNN_CHECK(cudnnGetConvolutionForwardAlgorithm_v7(handle(), d.x, d.w, d.conv, d.y, n, got, perf));
      },
      "forward");
  size_t bytes = 0;
  LS_CUDNN_CHECK(cudnnGetConvolutionForwardWorkspaceSize(handle(), d.x, d.w, d.conv, d.y, algo, &bytes));
  DeviceBuffer ws(bytes);
  const float one = 1.0f, zero = 0.0f;
  LS_CUDNN_CHECK(cudnnConvolutionForward(handle(), &one, d.x, x, d.w, w, d.conv, algo, ws.as<void>(), bytes, &zero,
                                         d.y, y));
  LS_CUDNN_CHECK(cudnnAddTensor(handle(), &one, d.b, b, &one, d.y, y));
}

void conv2d_bwd_data_fast(const float* dy, const float* w, float* dx, const Conv2dGeom& g) {
  ConvDescs d(g);
  static std::map<GeomKey, cudnnConvolutionBwdDataAlgo_t> cache;
  const auto algo = choose<cudnnConvolutionBwdDataAlgoPerf_t, cudnnConvolutionBwdDataAlgo_t>(
      cache, g,
      [&](cudnnConvolutionBwdDataAlgoPerf_t* perf, int n, int* got) {
        LS_CUDNN_CHECK(cudnnGetConvolutionBackwardDataAlgorithm_v7(handle(), d.w, d.y, d.conv, d.x, n, got, perf));
      },
      "backward-data");
  size_t bytes = 0;
  LS_CUDNN_CHECK(cudnnGetConvolutionBackwardDataWorkspaceSize(handle(), d.w, d.y, d.conv, d.x, algo, &bytes));
  DeviceBuffer ws(bytes);
  const float one = 1.0f, zero = 0.0f;
  LS_CUDNN_CHECK(cudnnConvolutionBackwardData(handle(), &one, d.w, w, d.y, dy, d.conv, algo, ws.as<void>(), bytes,
                                              &zero, d.x, dx));
}

void conv2d_bwd_weight_fast(const float* dy, const float* x, float* dw, float* db, const Conv2dGeom& g) {
  ConvDescs d(g);
  static std::map<GeomKey, cudnnConvolutionBwdFilterAlgo_t> cache;
  const auto algo = choose<cudnnConvolutionBwdFilterAlgoPerf_t, cudnnConvolutionBwdFilterAlgo_t>(
      cache, g,
      [&](cudnnConvolutionBwdFilterAlgoPerf_t* perf, int n, int* got) {
        LS_CUDNN_CHECK(cudnnGetConvolutionBackwardFilterAlgorithm_v7(handle(), d.x, d.y, d.conv, d.w, n, got, perf));
      },
      "backward-filter");
  size_t bytes = 0;
  LS_CUDNN_CHECK(cudnnGetConvolutionBackwardFilterWorkspaceSize(handle(), d.x, d.y, d.conv, d.w, algo, &bytes));
  DeviceBuffer ws(bytes);
  const float one = 1.0f, zero = 0.0f;
  LS_CUDNN_CHECK(cudnnConvolutionBackwardFilter(handle(), &one, d.x, x, d.y, dy, d.conv, algo, ws.as<void>(), bytes,
                                                &zero, d.w, dw));
  if (db) conv2d_bias_grad_atomic(dy, db, g);
}

}  // namespace lockstep::cuda

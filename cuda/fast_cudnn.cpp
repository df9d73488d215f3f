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

#include "cuda/kernels.h"
#include "cuda/library.h"

#define LS_CUDNN_CHECK(expr) LS_LIBRARY_CHECK("cuDNN", CUDNN_STATUS_SUCCESS, cudnnGetErrorString, expr)

namespace lockstep::cuda {
namespace {

cudnnHandle_t handle() {
  static const cudnnHandle_t h = make_library_handle<cudnnHandle_t>(
      [](cudnnHandle_t* c) { LS_CUDNN_CHECK(cudnnCreate(c)); },
      [](cudnnHandle_t c, cudaStream_t s) { LS_CUDNN_CHECK(cudnnSetStream(c, s)); });
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

// Throws, naming the cuDNN call, unless it returned success (for calls made through a pointer,
// where LS_CUDNN_CHECK's spelling of the expression would not name the call).
void check_call(cudnnStatus_t st, const char* call) {
  if (st != CUDNN_STATUS_SUCCESS)
    throw_library_error("cuDNN", static_cast<int>(st), cudnnGetErrorString(st), call, __FILE__, __LINE__);
}

// One cuDNN pass, out = op(in_a, in_b), over descriptors (a, b, conv, c) in the order all
// three of its calls take them: the algorithm (the first usable one of query's ranking, cached
// per shape for this pass), a workspace of the size cuDNN asks for, then the pass itself.
template <class A, class B, class C, class Perf, class Algo>
void run_pass(const Conv2dGeom& g, const char* pass,
              cudnnStatus_t (*query)(cudnnHandle_t, A, B, cudnnConvolutionDescriptor_t, C, int, int*, Perf*),
              const char* query_name,
              cudnnStatus_t (*workspace_size)(cudnnHandle_t, A, B, cudnnConvolutionDescriptor_t, C, Algo, size_t*),
              const char* workspace_name,
              cudnnStatus_t (*op)(cudnnHandle_t, const void*, A, const void*, B, const void*,
                                  cudnnConvolutionDescriptor_t, Algo, void*, size_t, const void*, C, void*),
              const char* op_name, A a, const float* in_a, B b, const float* in_b, cudnnConvolutionDescriptor_t conv,
              C c, float* out) {
  static std::map<GeomKey, Algo> cache;
  const Algo algo = choose<Perf, Algo>(
      cache, g, [&](Perf* perf, int n, int* got) { check_call(query(handle(), a, b, conv, c, n, got, perf), query_name); },
      pass);
  size_t bytes = 0;
  check_call(workspace_size(handle(), a, b, conv, c, algo, &bytes), workspace_name);
  DeviceBuffer ws(bytes);
  const float one = 1.0f, zero = 0.0f;
  check_call(op(handle(), &one, a, in_a, b, in_b, conv, algo, ws.as<void>(), bytes, &zero, c, out), op_name);
}

// The three calls of one pass, each with its name for error messages.
#define LS_CUDNN_PASS(query, workspace_size, op) query, #query, workspace_size, #workspace_size, op, #op

}  // namespace

void conv2d_fwd_fast(const float* x, const float* w, const float* b, float* y, const Conv2dGeom& g) {
  const ConvDescs d(g);
  run_pass(g, "forward",
           LS_CUDNN_PASS(cudnnGetConvolutionForwardAlgorithm_v7, cudnnGetConvolutionForwardWorkspaceSize,
                         cudnnConvolutionForward),
           d.x, x, d.w, w, d.conv, d.y, y);
  const float one = 1.0f;
  LS_CUDNN_CHECK(cudnnAddTensor(handle(), &one, d.b, b, &one, d.y, y));
}

void conv2d_bwd_data_fast(const float* dy, const float* w, float* dx, const Conv2dGeom& g) {
  const ConvDescs d(g);
  run_pass(g, "backward-data",
           LS_CUDNN_PASS(cudnnGetConvolutionBackwardDataAlgorithm_v7, cudnnGetConvolutionBackwardDataWorkspaceSize,
                         cudnnConvolutionBackwardData),
           d.w, w, d.y, dy, d.conv, d.x, dx);
}

void conv2d_bwd_weight_fast(const float* dy, const float* x, float* dw, float* db, const Conv2dGeom& g) {
  const ConvDescs d(g);
  run_pass(g, "backward-filter",
           LS_CUDNN_PASS(cudnnGetConvolutionBackwardFilterAlgorithm_v7,
                         cudnnGetConvolutionBackwardFilterWorkspaceSize, cudnnConvolutionBackwardFilter),
           d.x, x, d.y, dy, d.conv, d.w, dw);
  if (db) conv2d_bias_grad_atomic(dy, db, g);
}

}  // namespace lockstep::cuda

// Host/device plumbing for the canonical arithmetic in kernels/.
// Every function in kernels/ is LS_HD: plain inline C++ for the CPU backend and
// __host__ __device__ for the CUDA backend, so both compile the same order.
// Only correctly rounded operations are allowed here: + - * / sqrt and the explicit
// fma_rn below. See docs/ordering.md#rules.
#pragma once

#include <cstdint>

#if defined(__CUDACC__)
#define LS_HD __host__ __device__ inline
#define LS_HD_TILE __host__ __device__ __forceinline__
#else
#include <cmath>
#define LS_HD inline
// Register tiles must inline into their (noinline) callers to keep their accumulators in
// registers; GCC's unit-wide inlining budget otherwise leaves large tiles out of line.
#define LS_HD_TILE __attribute__((always_inline)) inline
#endif

namespace lockstep::kernels {

using i64 = std::int64_t;

// One fused multiply-add, rounded once: a*b + c. Written explicitly wherever the
// canonical order uses it, because -ffp-contract=off / --fmad=false forbid implicit fusion.
LS_HD float fma_rn(float a, float b, float c) {
#if defined(__CUDA_ARCH__)
  return __fmaf_rn(a, b, c);
#else
  return std::fma(a, b, c);
#endif
}

LS_HD double fma_rn(double a, double b, double c) {
#if defined(__CUDA_ARCH__)
  return __fma_rn(a, b, c);
#else
  return std::fma(a, b, c);
#endif
}

// NaN test that survives any optimisation level (x != x).
template <class T>
LS_HD bool is_nan(T x) {
  return x != x;
}

}  // namespace lockstep::kernels

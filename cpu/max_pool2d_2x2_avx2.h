// The CPU's x86 AVX2 forms of max_pool2d for the 2x2 stride-2 window (the reference CNN's),
// included by cpu/max_pool2d.cpp only (which has the compiler flags for it). Both passes take
// the extras of the fused ops in registers: relu of the outputs and its backward
// (max_pool2d_relu), and the scale of a kept dropout2d plane (dropout2d_max_pool2d_relu).
// Each computes, per element, the terms of kernels/max_pool2d.h in their order; see
// docs/ordering.md#max_pool2d-forward. GCC's own code for the forward took 4x as long.
#pragma once

#if defined(__AVX2__)
#include <immintrin.h>

#include "kernels/max_pool2d.h"

namespace lockstep::cpu::pool2x2 {
namespace k = lockstep::kernels;
using i64 = k::i64;

// 8 lanes (one row's outputs q .. q+7) or 4 (q .. q+3) as one interface.
struct Lanes8 {
  using F = __m256;
  using I = __m256i;
  static constexpr int kLanes = 8;
  static F load(const float* p) { return _mm256_loadu_ps(p); }
  static F evens(F x, F y) { return _mm256_shuffle_ps(x, y, _MM_SHUFFLE(2, 0, 2, 0)); }
  static F odds(F x, F y) { return _mm256_shuffle_ps(x, y, _MM_SHUFFLE(3, 1, 3, 1)); }
  static F gt(F x, F y) { return _mm256_cmp_ps(x, y, _CMP_GT_OQ); }
  static F unord(F x, F y) { return _mm256_cmp_ps(x, y, _CMP_UNORD_Q); }
  static F bor(F x, F y) { return _mm256_or_ps(x, y); }
  static F band(F x, F y) { return _mm256_and_ps(x, y); }
  static F andnot(F x, F y) { return _mm256_andnot_ps(x, y); }
  static F add(F x, F y) { return _mm256_add_ps(x, y); }
  static F mul(F x, F y) { return _mm256_mul_ps(x, y); }
  static F blend(F x, F y, F m) { return _mm256_blendv_ps(x, y, m); }
  static bool any(F m) { return !_mm256_testz_ps(m, m); }
  static F splat(float v) { return _mm256_set1_ps(v); }
  static F splat_int(int v) { return _mm256_castsi256_ps(_mm256_set1_epi32(v)); }
  static F zero() { return _mm256_setzero_ps(); }
  // evens/odds leave lanes in the order 0 1 4 5 2 3 6 7 (their two 128-bit halves): put the
  // 64-bit pairs back in order.
  static F in_order(F x) { return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(x), 0xD8)); }
  static void store(float* y, F v) { _mm256_storeu_ps(y, v); }
  // argmax[i] = first + 2i + offset[i].
  static void store_argmax(i64* out, i64 first, F offset) {
    const I idx = _mm256_add_epi32(_mm256_castps_si256(offset), _mm256_set_epi32(14, 12, 10, 8, 6, 4, 2, 0));
    const I base = _mm256_set1_epi64x(first);
    _mm256_storeu_si256(reinterpret_cast<I*>(out), _mm256_add_epi64(base, _mm256_cvtepi32_epi64(_mm256_castsi256_si128(idx))));
    _mm256_storeu_si256(reinterpret_cast<I*>(out + 4),
                        _mm256_add_epi64(base, _mm256_cvtepi32_epi64(_mm256_extracti128_si256(idx, 1))));
  }
  // offset[i] = argmax[i] - (first + 2i), from the low halves of the 8 indices (a plane's
  // indices fit 32 bits; the shuffle yields windows 0 1 4 5 2 3 6 7, the permute fixes that).
  static F load_offsets(const i64* argmax, i64 first) {
    const F a0 = _mm256_loadu_ps(reinterpret_cast<const float*>(argmax));
    const F a1 = _mm256_loadu_ps(reinterpret_cast<const float*>(argmax + 4));
    const I idx = _mm256_castps_si256(in_order(_mm256_shuffle_ps(a0, a1, _MM_SHUFFLE(2, 0, 2, 0))));
    const I at = _mm256_add_epi32(_mm256_set1_epi32(static_cast<int>(first)), _mm256_set_epi32(14, 12, 10, 8, 6, 4, 2, 0));
    return _mm256_castsi256_ps(_mm256_sub_epi32(idx, at));
  }
  static F equals(F offset, int o) {
    return _mm256_castsi256_ps(_mm256_cmpeq_epi32(_mm256_castps_si256(offset), _mm256_set1_epi32(o)));
  }
  // Writes u0 u1 u0 u1 ... (window columns 0 and 1 of 8 windows) as 16 consecutive floats.
  static void store_interleaved(float* out, F u0, F u1) {
    const F lo = _mm256_unpacklo_ps(u0, u1), hi = _mm256_unpackhi_ps(u0, u1);
    _mm256_storeu_ps(out, _mm256_permute2f128_ps(lo, hi, 0x20));
    _mm256_storeu_ps(out + 8, _mm256_permute2f128_ps(lo, hi, 0x31));
  }
};

struct Lanes4 {
  using F = __m128;
  static constexpr int kLanes = 4;
  static F load(const float* p) { return _mm_loadu_ps(p); }
  static F evens(F x, F y) { return _mm_shuffle_ps(x, y, _MM_SHUFFLE(2, 0, 2, 0)); }
  static F odds(F x, F y) { return _mm_shuffle_ps(x, y, _MM_SHUFFLE(3, 1, 3, 1)); }
  static F gt(F x, F y) { return _mm_cmp_ps(x, y, _CMP_GT_OQ); }
  static F unord(F x, F y) { return _mm_cmp_ps(x, y, _CMP_UNORD_Q); }
  static F bor(F x, F y) { return _mm_or_ps(x, y); }
  static F band(F x, F y) { return _mm_and_ps(x, y); }
  static F andnot(F x, F y) { return _mm_andnot_ps(x, y); }
  static F add(F x, F y) { return _mm_add_ps(x, y); }
  static F mul(F x, F y) { return _mm_mul_ps(x, y); }
  static F blend(F x, F y, F m) { return _mm_blendv_ps(x, y, m); }
  static bool any(F m) { return !_mm_testz_ps(m, m); }
  static F splat(float v) { return _mm_set1_ps(v); }
  static F splat_int(int v) { return _mm_castsi128_ps(_mm_set1_epi32(v)); }
  static F zero() { return _mm_setzero_ps(); }
  static F in_order(F x) { return x; }
  static void store(float* y, F v) { _mm_storeu_ps(y, v); }
  static void store_argmax(i64* out, i64 first, F offset) {
    const __m128i idx = _mm_add_epi32(_mm_castps_si128(offset), _mm_set_epi32(6, 4, 2, 0));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out), _mm256_add_epi64(_mm256_set1_epi64x(first), _mm256_cvtepi32_epi64(idx)));
  }
  static F load_offsets(const i64* argmax, i64 first) {
    const F a0 = _mm_loadu_ps(reinterpret_cast<const float*>(argmax));
    const F a1 = _mm_loadu_ps(reinterpret_cast<const float*>(argmax + 2));
    const __m128i idx = _mm_castps_si128(_mm_shuffle_ps(a0, a1, _MM_SHUFFLE(2, 0, 2, 0)));
    const __m128i at = _mm_add_epi32(_mm_set1_epi32(static_cast<int>(first)), _mm_set_epi32(6, 4, 2, 0));
    return _mm_castsi128_ps(_mm_sub_epi32(idx, at));
  }
  static F equals(F offset, int o) { return _mm_castsi128_ps(_mm_cmpeq_epi32(_mm_castps_si128(offset), _mm_set1_epi32(o))); }
  static void store_interleaved(float* out, F u0, F u1) {
    _mm_storeu_ps(out, _mm_unpacklo_ps(u0, u1));
    _mm_storeu_ps(out + 4, _mm_unpackhi_ps(u0, u1));
  }
};

// ---- forward: kernels::max_pool2d_fwd_plane_2x2s2, then relu_fwd_elem where kRelu ----
// The window's reads a, b (top row) and c, d (bottom row) are split out of 2 * lanes
// consecutive floats per row by shuffles; kScaled multiplies each read by the dropout scale
// first (dropout_elem of a kept plane: x * scale, one rounding). Then best = a; take b; take c;
// take d, each take being kernels::max_pool2d_takes as vector compares and blends. Where none
// of the reads is NaN, take reduces to v > best (isnan(v) is false, and best, always one of
// them, is never NaN), so such chunks skip the NaN terms: same bits. relu: best where
// best > 0 or best is NaN, else +0. argmax: the window's first index plus the winner's
// offset (0, 1, W or W + 1).
template <class V, bool kMayHoldNaN, bool kRelu>
[[gnu::always_inline]] inline void fwd_chunk(typename V::F t0, typename V::F t1, typename V::F b0, typename V::F b1,
                                             int W, i64 first, float* y, i64* argmax) {
  using F = typename V::F;
  const F a = V::evens(t0, t1), b = V::odds(t0, t1), c = V::evens(b0, b1), d = V::odds(b0, b1);
  F best = a, offset = V::zero();
  const auto step = [&](F v, int at) {
    F take = V::gt(v, best);
    if constexpr (kMayHoldNaN) take = V::bor(take, V::andnot(V::unord(best, best), V::unord(v, v)));
    best = V::blend(best, v, take);
    offset = V::blend(offset, V::splat_int(at), take);
  };
  step(b, 1);
  step(c, W);
  step(d, W + 1);
  if constexpr (kRelu) best = V::band(best, V::bor(V::gt(best, V::zero()), V::unord(best, best)));
  V::store(y, V::in_order(best));
  V::store_argmax(argmax, first, V::in_order(offset));
}

template <class V, bool kRelu, bool kScaled>
[[gnu::always_inline]] inline void fwd_chunk(const float* top, int W, float scale, i64 first, float* y, i64* argmax) {
  auto t0 = V::load(top), t1 = V::load(top + V::kLanes), b0 = V::load(top + W), b1 = V::load(top + W + V::kLanes);
  if constexpr (kScaled) {
    const auto s = V::splat(scale);
    t0 = V::mul(t0, s), t1 = V::mul(t1, s), b0 = V::mul(b0, s), b1 = V::mul(b1, s);
  }
  if (V::any(V::bor(V::unord(t0, t1), V::unord(b0, b1))))
    fwd_chunk<V, true, kRelu>(t0, t1, b0, b1, W, first, y, argmax);
  else
    fwd_chunk<V, false, kRelu>(t0, t1, b0, b1, W, first, y, argmax);
}

// One (n,c) plane: rows 8, then 4, then 1 output at a time (the last through kernels'
// element form). Needs W < 2^30 (offsets in 32-bit lanes).
template <bool kRelu, bool kScaled>
void fwd_plane(const float* xp, float* yp, i64* ap, const k::Pool2dGeom& g, float scale) {
  const int W = static_cast<int>(g.W);
  for (i64 p = 0; p < g.P; ++p) {
    const float* top = xp + 2 * p * g.W;
    float* yr = yp + p * g.Q;
    i64* ar = ap + p * g.Q;
    const i64 first = 2 * p * g.W;
    i64 q = 0;
    for (; q + 8 <= g.Q; q += 8) fwd_chunk<Lanes8, kRelu, kScaled>(top + 2 * q, W, scale, first + 2 * q, yr + q, ar + q);
    for (; q + 4 <= g.Q; q += 4) fwd_chunk<Lanes4, kRelu, kScaled>(top + 2 * q, W, scale, first + 2 * q, yr + q, ar + q);
    for (; q < g.Q; ++q) {
      const float m = kScaled ? k::max_pool2d_fwd_elem_of<float>(k::DroppedPlaneRead{xp, true, scale}, g, p, q, ar + q)
                              : k::max_pool2d_fwd_elem(xp, g, p, q, ar + q);
      yr[q] = kRelu ? k::relu_fwd_elem(m) : m;
    }
  }
}

// ---- backward: kernels::max_pool2d_bwd_plane, written once per dx ----
// The windows do not overlap, so the scatter leaves each dx at 0 + grad of the one window
// holding it where that window's argmax names it, and at +0 elsewhere (rows and columns in no
// window included). This writes that value once per element through integer compares and
// masks instead of a memset and a scatter of read-modify-writes: the same single addition
// 0 + grad (which turns -0 into +0, as the scatter does) and the same zeros. kRelu: grad is
// relu_bwd_elem(dy, y) = y > 0 ? dy : +0 (max_pool2d_relu). kScaled: each dx then is
// dropout_elem(dx, true, scale) = dx * scale (+0 stays +0: scale is finite and positive).
template <class V, bool kRelu, bool kScaled>
[[gnu::always_inline]] inline void bwd_chunk(const float* dy, const float* y, const i64* argmax, int W, float scale,
                                             i64 first, float* top, float* bottom) {
  using F = typename V::F;
  F grad = V::load(dy);
  if constexpr (kRelu) grad = V::band(grad, V::gt(V::load(y), V::zero()));
  F v = V::add(V::zero(), grad);
  if constexpr (kScaled) v = V::mul(v, V::splat(scale));
  const F offset = V::load_offsets(argmax, first);
  V::store_interleaved(top, V::band(v, V::equals(offset, 0)), V::band(v, V::equals(offset, 1)));
  V::store_interleaved(bottom, V::band(v, V::equals(offset, W)), V::band(v, V::equals(offset, W + 1)));
}

// One (n,c) plane. Needs H * W < 2^31 (indices compared in 32-bit lanes).
template <bool kRelu, bool kScaled>
void bwd_plane(const float* dy, const float* y, const i64* argmax, float* dx, const k::Pool2dGeom& g, float scale) {
  const i64 W = g.W;
  const int w = static_cast<int>(W);
  for (i64 p = 0; p < g.P; ++p) {
    float* top = dx + 2 * p * W;
    float* bottom = top + W;
    const float* dr = dy + p * g.Q;
    const float* yr = kRelu ? y + p * g.Q : dr;  // read only where kRelu
    const i64* ar = argmax + p * g.Q;
    const i64 first = 2 * p * W;
    i64 q = 0;
    for (; q + 8 <= g.Q; q += 8)
      bwd_chunk<Lanes8, kRelu, kScaled>(dr + q, yr + q, ar + q, w, scale, first + 2 * q, top + 2 * q, bottom + 2 * q);
    for (; q + 4 <= g.Q; q += 4)
      bwd_chunk<Lanes4, kRelu, kScaled>(dr + q, yr + q, ar + q, w, scale, first + 2 * q, top + 2 * q, bottom + 2 * q);
    for (; q < g.Q; ++q) {
      const float grad = kRelu ? k::relu_bwd_elem(dr[q], yr[q]) : dr[q];
      const float v = kScaled ? k::dropout_elem(0.0f + grad, true, scale) : 0.0f + grad;
      const i64 offset = ar[q] - (first + 2 * q);
      top[2 * q] = offset == 0 ? v : 0.0f;
      top[2 * q + 1] = offset == 1 ? v : 0.0f;
      bottom[2 * q] = offset == W ? v : 0.0f;
      bottom[2 * q + 1] = offset == W + 1 ? v : 0.0f;
    }
    for (i64 col = 2 * g.Q; col < W; ++col) top[col] = bottom[col] = 0.0f;
  }
  for (i64 i = 2 * g.P * W; i < g.H * W; ++i) dx[i] = 0.0f;
}

}  // namespace lockstep::cpu::pool2x2
#endif  // __AVX2__

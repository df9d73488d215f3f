// CPU max_pool2d, max_pool2d_relu and its dropout2d form: threads split over (n,c) planes
// only; each output and each plane's backward run the canonical order of kernels/max_pool2d.h,
// so the split never matters. The forward of the 2x2 stride-2 window (the reference CNN's)
// has its own plane form there, written so that it vectorises; CMakeLists.txt gives this
// file the GCC flags it needs for that, and says why. On x86 with AVX2 that form runs as the
// explicit 8- and 4-output code below instead (GCC's code for it took 4x as long), and the
// 2x2 backward writes each dx once instead of a memset and a scatter. Elsewhere the backward
// is kernels' plane scatter.
#include <algorithm>

#if defined(__AVX2__)
#include <immintrin.h>
#endif

#include "cpu/dropout_keeps.h"
#include "cpu/kernels.h"
#include "cpu/parallel.h"
#include "cpu/scratch.h"
#include "kernels/max_pool2d.h"

namespace lockstep::cpu {
namespace k = lockstep::kernels;
namespace {
// Work per job, so that a job outlasts the pool's hand-off (5-10 us measured on 2 threads):
// about 10 us of window reads (forward) or of dx elements written (backward). At the reference
// CNN's batch 32, both forwards and the first backward split over two threads; the second
// backward (41k dx elements) runs on one.
constexpr i64 kWindowReadsPerJob = i64{1} << 15;
constexpr i64 kGradElementsPerJob = i64{1} << 16;
// The AVX2 forward holds the winner's offset in its window (at most W + 1) in 32-bit lanes.
constexpr i64 kMaxRowFor32BitOffset = i64{1} << 30;
// The AVX2 backward compares indices within a plane in 32-bit lanes.
constexpr i64 kMaxPlaneFor32BitIndex = (i64{1} << 31) - 1;

// Planes per job: enough planes of `work_per_plane` to reach `work_per_job`.
i64 plane_grain(i64 work_per_job, i64 work_per_plane) {
  return work_per_plane >= work_per_job ? 1 : work_per_job / std::max<i64>(work_per_plane, 1);
}

// The arguments of one call, so that each parallel body captures a single reference and
// fits std::function's inline buffer (no heap allocation per call).
struct FwdArgs {
  const float* x;
  float* y;
  i64* argmax;
  const Pool2dGeom& g;
  bool relu;                      // max_pool2d_relu: relu of each plane's outputs while in L1
  const k::DropoutParams* drop;  // dropout2d_max_pool2d_relu: the mask of x, else null
};

struct BwdArgs {
  const float* dy;
  const float* y;  // max_pool2d_relu's output, else null
  const i64* argmax;
  float* dx;
  const Pool2dGeom& g;
  const k::DropoutParams* drop;  // as in FwdArgs
};

// Planes whose dropout2d decisions are drawn at a time.
constexpr i64 kKeepBatch = 64;

#if defined(__AVX2__)
// kernels::max_pool2d_fwd_plane_2x2s2 for 8 (or 4) outputs of one row side by side: the
// window's reads a, b (top row) and c, d (bottom row) are split out of 16 (8) consecutive
// floats per row by shuffles, then best = a; take b; take c; take d, each take being
// kernels::max_pool2d_takes as vector compares and blends. The same comparisons per output.
// Where none of the 32 (16) values is NaN, take reduces to v > best (isnan(v) is false, and
// best, always one of them, is never NaN), so such chunks skip the NaN terms: same bits.
// argmax is the window's first index plus the offset of the winner (0, 1, W or W + 1).
struct Chunk8 {
  using F = __m256;
  using I = __m256i;
  static F load(const float* p) { return _mm256_loadu_ps(p); }
  static F evens(F x, F y) { return _mm256_shuffle_ps(x, y, _MM_SHUFFLE(2, 0, 2, 0)); }
  static F odds(F x, F y) { return _mm256_shuffle_ps(x, y, _MM_SHUFFLE(3, 1, 3, 1)); }
  static F gt(F x, F y) { return _mm256_cmp_ps(x, y, _CMP_GT_OQ); }
  static F unord(F x, F y) { return _mm256_cmp_ps(x, y, _CMP_UNORD_Q); }
  static F bor(F x, F y) { return _mm256_or_ps(x, y); }
  static F andnot(F x, F y) { return _mm256_andnot_ps(x, y); }
  static F blend(F x, F y, F m) { return _mm256_blendv_ps(x, y, m); }
  static bool any(F m) { return !_mm256_testz_ps(m, m); }
  static F splat(int v) { return _mm256_castsi256_ps(_mm256_set1_epi32(v)); }
  static F zero() { return _mm256_setzero_ps(); }
  // The shuffles leave lanes in the order 0 1 4 5 2 3 6 7 (their two 128-bit halves): put the
  // 64-bit pairs back in order.
  static F in_order(F x) { return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(x), 0xD8)); }
  static void store(float* y, F v) { _mm256_storeu_ps(y, v); }
  static void store_argmax(i64* out, i64 first, F offset) {
    const I idx = _mm256_add_epi32(_mm256_castps_si256(offset), _mm256_set_epi32(14, 12, 10, 8, 6, 4, 2, 0));
    const I base = _mm256_set1_epi64x(first);
    _mm256_storeu_si256(reinterpret_cast<I*>(out), _mm256_add_epi64(base, _mm256_cvtepi32_epi64(_mm256_castsi256_si128(idx))));
    _mm256_storeu_si256(reinterpret_cast<I*>(out + 4),
                        _mm256_add_epi64(base, _mm256_cvtepi32_epi64(_mm256_extracti128_si256(idx, 1))));
  }
};

struct Chunk4 {
  using F = __m128;
  static F load(const float* p) { return _mm_loadu_ps(p); }
  static F evens(F x, F y) { return _mm_shuffle_ps(x, y, _MM_SHUFFLE(2, 0, 2, 0)); }
  static F odds(F x, F y) { return _mm_shuffle_ps(x, y, _MM_SHUFFLE(3, 1, 3, 1)); }
  static F gt(F x, F y) { return _mm_cmp_ps(x, y, _CMP_GT_OQ); }
  static F unord(F x, F y) { return _mm_cmp_ps(x, y, _CMP_UNORD_Q); }
  static F bor(F x, F y) { return _mm_or_ps(x, y); }
  static F andnot(F x, F y) { return _mm_andnot_ps(x, y); }
  static F blend(F x, F y, F m) { return _mm_blendv_ps(x, y, m); }
  static bool any(F m) { return !_mm_testz_ps(m, m); }
  static F splat(int v) { return _mm_castsi128_ps(_mm_set1_epi32(v)); }
  static F zero() { return _mm_setzero_ps(); }
  static F in_order(F x) { return x; }
  static void store(float* y, F v) { _mm_storeu_ps(y, v); }
  static void store_argmax(i64* out, i64 first, F offset) {
    const __m128i idx = _mm_add_epi32(_mm_castps_si128(offset), _mm_set_epi32(6, 4, 2, 0));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out), _mm256_add_epi64(_mm256_set1_epi64x(first), _mm256_cvtepi32_epi64(idx)));
  }
};

// Outputs q0 .. q0 + lanes of row p. top and bottom point at the window's first column.
template <class V, bool kMayHoldNaN>
[[gnu::always_inline]] inline void fwd_chunk_2x2s2(typename V::F t0, typename V::F t1, typename V::F b0, typename V::F b1,
                                                   int W, i64 first, float* y, i64* argmax) {
  using F = typename V::F;
  const F a = V::evens(t0, t1), b = V::odds(t0, t1), c = V::evens(b0, b1), d = V::odds(b0, b1);
  F best = a, offset = V::zero();
  const auto step = [&](F v, int at) {
    F take = V::gt(v, best);
    if constexpr (kMayHoldNaN) take = V::bor(take, V::andnot(V::unord(best, best), V::unord(v, v)));
    best = V::blend(best, v, take);
    offset = V::blend(offset, V::splat(at), take);
  };
  step(b, 1);
  step(c, W);
  step(d, W + 1);
  V::store(y, V::in_order(best));
  V::store_argmax(argmax, first, V::in_order(offset));
}

template <class V>
[[gnu::always_inline]] inline void fwd_chunk_2x2s2(const float* top, int W, i64 first, float* y, i64* argmax) {
  constexpr int kLanes = sizeof(typename V::F) / sizeof(float);
  const auto t0 = V::load(top), t1 = V::load(top + kLanes), b0 = V::load(top + W), b1 = V::load(top + W + kLanes);
  if (V::any(V::bor(V::unord(t0, t1), V::unord(b0, b1))))
    fwd_chunk_2x2s2<V, true>(t0, t1, b0, b1, W, first, y, argmax);
  else
    fwd_chunk_2x2s2<V, false>(t0, t1, b0, b1, W, first, y, argmax);
}

void fwd_plane_2x2s2(const float* xp, float* yp, i64* ap, const Pool2dGeom& g) {
  const int W = static_cast<int>(g.W);
  for (i64 p = 0; p < g.P; ++p) {
    const float* top = xp + 2 * p * g.W;
    i64 q = 0;
    for (; q + 8 <= g.Q; q += 8) fwd_chunk_2x2s2<Chunk8>(top + 2 * q, W, 2 * p * g.W + 2 * q, yp + p * g.Q + q, ap + p * g.Q + q);
    for (; q + 4 <= g.Q; q += 4) fwd_chunk_2x2s2<Chunk4>(top + 2 * q, W, 2 * p * g.W + 2 * q, yp + p * g.Q + q, ap + p * g.Q + q);
    for (; q < g.Q; ++q) yp[p * g.Q + q] = k::max_pool2d_fwd_elem(xp, g, p, q, ap + p * g.Q + q);
  }
}

// kernels::max_pool2d_bwd_plane for the 2x2 stride-2 window, whose windows do not overlap: the
// scatter leaves each dx at 0 + grad of the one window holding it where that window's argmax
// names it, and at 0 elsewhere (rows and columns in no window included). This writes that
// value once per element through integer compares and masks, 8 (then 4) windows at a time, instead
// of a memset followed by a scatter of read-modify-writes: the same single addition 0 + grad
// (which turns -0 into +0, as the scatter does) and the same zeros.
// Compares the low 32 bits of argmax: the caller checks that a plane's indices fit them.
void bwd_plane_2x2s2(const float* grad, const i64* argmax, float* dx, const Pool2dGeom& g) {
  const i64 W = g.W;
  const int w = static_cast<int>(W);
  for (i64 p = 0; p < g.P; ++p) {
    float* top = dx + 2 * p * W;
    float* bottom = top + W;
    const float* gp = grad + p * g.Q;
    const i64* ap = argmax + p * g.Q;
    i64 q = 0;
    for (; q + 8 <= g.Q; q += 8) {
      const __m256 v = _mm256_add_ps(_mm256_setzero_ps(), _mm256_loadu_ps(gp + q));
      const __m256 a0 = _mm256_loadu_ps(reinterpret_cast<const float*>(ap + q));
      const __m256 a1 = _mm256_loadu_ps(reinterpret_cast<const float*>(ap + q + 4));
      // The low halves of the 8 indices, in order: the shuffle yields windows 0 1 4 5 2 3 6 7.
      const __m256i idx = _mm256_castpd_si256(
          _mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(a0, a1, _MM_SHUFFLE(2, 0, 2, 0))), 0xD8));
      const __m256i first = _mm256_add_epi32(_mm256_set1_epi32(static_cast<int>(2 * p * W + 2 * q)),
                                             _mm256_set_epi32(14, 12, 10, 8, 6, 4, 2, 0));
      const __m256i offset = _mm256_sub_epi32(idx, first);
      const auto at = [&](int o) { return _mm256_and_ps(v, _mm256_castsi256_ps(_mm256_cmpeq_epi32(offset, _mm256_set1_epi32(o)))); };
      const __m256 v0 = at(0), v1 = at(1), v2 = at(w), v3 = at(w + 1);
      const __m256 t_lo = _mm256_unpacklo_ps(v0, v1), t_hi = _mm256_unpackhi_ps(v0, v1);
      const __m256 b_lo = _mm256_unpacklo_ps(v2, v3), b_hi = _mm256_unpackhi_ps(v2, v3);
      _mm256_storeu_ps(top + 2 * q, _mm256_permute2f128_ps(t_lo, t_hi, 0x20));
      _mm256_storeu_ps(top + 2 * q + 8, _mm256_permute2f128_ps(t_lo, t_hi, 0x31));
      _mm256_storeu_ps(bottom + 2 * q, _mm256_permute2f128_ps(b_lo, b_hi, 0x20));
      _mm256_storeu_ps(bottom + 2 * q + 8, _mm256_permute2f128_ps(b_lo, b_hi, 0x31));
    }
    for (; q + 4 <= g.Q; q += 4) {
      const __m128 v = _mm_add_ps(_mm_setzero_ps(), _mm_loadu_ps(gp + q));
      const __m128 a0 = _mm_loadu_ps(reinterpret_cast<const float*>(ap + q));
      const __m128 a1 = _mm_loadu_ps(reinterpret_cast<const float*>(ap + q + 2));
      const __m128i idx = _mm_castps_si128(_mm_shuffle_ps(a0, a1, _MM_SHUFFLE(2, 0, 2, 0)));
      const __m128i first = _mm_add_epi32(_mm_set1_epi32(static_cast<int>(2 * p * W + 2 * q)), _mm_set_epi32(6, 4, 2, 0));
      const __m128i offset = _mm_sub_epi32(idx, first);
      const auto at = [&](int o) { return _mm_and_ps(v, _mm_castsi128_ps(_mm_cmpeq_epi32(offset, _mm_set1_epi32(o)))); };
      const __m128 v0 = at(0), v1 = at(1), v2 = at(w), v3 = at(w + 1);
      _mm_storeu_ps(top + 2 * q, _mm_unpacklo_ps(v0, v1));
      _mm_storeu_ps(top + 2 * q + 4, _mm_unpackhi_ps(v0, v1));
      _mm_storeu_ps(bottom + 2 * q, _mm_unpacklo_ps(v2, v3));
      _mm_storeu_ps(bottom + 2 * q + 4, _mm_unpackhi_ps(v2, v3));
    }
    for (; q < g.Q; ++q) {
      const float v = 0.0f + gp[q];
      const i64 offset = ap[q] - (2 * p * W + 2 * q);
      top[2 * q] = offset == 0 ? v : 0.0f;
      top[2 * q + 1] = offset == 1 ? v : 0.0f;
      bottom[2 * q] = offset == W ? v : 0.0f;
      bottom[2 * q + 1] = offset == W + 1 ? v : 0.0f;
    }
    for (i64 col = 2 * g.Q; col < W; ++col) top[col] = bottom[col] = 0.0f;
  }
  for (i64 i = 2 * g.P * W; i < g.H * W; ++i) dx[i] = 0.0f;
}
constexpr bool kHasBwdPlane2x2s2 = true;
#else
void fwd_plane_2x2s2(const float* xp, float* yp, i64* ap, const Pool2dGeom& g) {
  k::max_pool2d_fwd_plane_2x2s2(xp, yp, ap, g.W, g.P, g.Q);
}
void bwd_plane_2x2s2(const float* grad, const i64* argmax, float* dx, const Pool2dGeom& g) {
  k::max_pool2d_bwd_plane(grad, argmax, dx, g);
}
constexpr bool kHasBwdPlane2x2s2 = false;
#endif

void fwd_plane(const float* xp, float* yp, i64* ap, const Pool2dGeom& g) {
  if (k::is_pool_2x2_stride2(g) && g.W <= kMaxRowFor32BitOffset) {
    fwd_plane_2x2s2(xp, yp, ap, g);
  } else if (k::is_pool_2x2_stride2(g)) {
    k::max_pool2d_fwd_plane_2x2s2(xp, yp, ap, g.W, g.P, g.Q);
  } else {
    for (i64 p = 0; p < g.P; ++p) k::max_pool2d_fwd_row(xp, g, p, yp + p * g.Q, ap + p * g.Q);
  }
}

// The forward of planes [lo, hi) of dropout2d_max_pool2d_relu. A dropped plane reads
// dropout_elem(x, false) = +0 everywhere: no read ever takes, so each output is relu(+0) = +0
// with its window's first index as argmax, written without reading x. A kept plane is first
// copied as dropout_elem(x, true, scale) (x * scale, the unfused dropout2d's values), then
// pooled as usual.
void fwd_planes_dropped(const FwdArgs& a, i64 lo, i64 hi) {
  const Pool2dGeom& g = a.g;
  const i64 in_plane = g.H * g.W, out_plane = g.P * g.Q;
  bool keep[kKeepBatch];
  float* masked = scratch(Scratch::kPoolMaskedPlane, in_plane);
  for (i64 nc0 = lo; nc0 < hi; nc0 += kKeepBatch) {
    const i64 n = std::min(kKeepBatch, hi - nc0);
    dropout_keeps(*a.drop, a.drop->first_mask + static_cast<std::uint64_t>(nc0), n, keep);
    for (i64 nc = nc0; nc < nc0 + n; ++nc) {
      float* yp = a.y + nc * out_plane;
      i64* ap = a.argmax + nc * out_plane;
      if (!keep[nc - nc0]) {
        for (i64 p = 0; p < g.P; ++p)
          for (i64 q = 0; q < g.Q; ++q) {
            yp[p * g.Q + q] = k::relu_fwd_elem(0.0f);
            ap[p * g.Q + q] = p * g.stride * g.W + q * g.stride;
          }
        continue;
      }
      const float* xp = a.x + nc * in_plane;
      for (i64 i = 0; i < in_plane; ++i) masked[i] = k::dropout_elem(xp[i], true, a.drop->scale);
      fwd_plane(masked, yp, ap, g);
      for (i64 o = 0; o < out_plane; ++o) yp[o] = k::relu_fwd_elem(yp[o]);
    }
  }
}

void fwd_planes(const FwdArgs& a, i64 lo, i64 hi) {
  if (a.drop) return fwd_planes_dropped(a, lo, hi);
  const Pool2dGeom& g = a.g;
  const i64 in_plane = g.H * g.W, out_plane = g.P * g.Q;
  for (i64 nc = lo; nc < hi; ++nc) {
    float* yp = a.y + nc * out_plane;
    fwd_plane(a.x + nc * in_plane, yp, a.argmax + nc * out_plane, g);
    if (a.relu)
      for (i64 o = 0; o < out_plane; ++o) yp[o] = k::relu_fwd_elem(yp[o]);
  }
}

// One plane's backward of max_pool2d (y null) or max_pool2d_relu.
void bwd_plane(const float* grad, const float* y, const i64* am, float* dx, const Pool2dGeom& g) {
  if (y) {
    // max_pool2d_relu: kernels::max_pool2d_relu_bwd_plane with the plane's relu-masked dy
    // computed first, in a loop of selects: inside the scatter GCC branched on y > 0, which
    // real activations mispredict (the fused backward took 3x the two unfused ones in the
    // training step). The scatter then adds the same values in the same order.
    const i64 out_plane = g.P * g.Q;
    float* masked = scratch(Scratch::kPoolReluGrad, out_plane);
    for (i64 o = 0; o < out_plane; ++o) masked[o] = k::relu_bwd_elem(grad[o], y[o]);
    grad = masked;
  }
  if (kHasBwdPlane2x2s2 && k::is_pool_2x2_stride2(g) && g.H * g.W <= kMaxPlaneFor32BitIndex)
    bwd_plane_2x2s2(grad, am, dx, g);
  else
    k::max_pool2d_bwd_plane(grad, am, dx, g);
}

// dropout2d_max_pool2d_relu: dx = dropout_elem(u, keep, scale) of the max_pool2d_relu
// backward u; a dropped plane is all +0 without computing u.
void bwd_planes_dropped(const BwdArgs& a, i64 lo, i64 hi) {
  const Pool2dGeom& g = a.g;
  const i64 in_plane = g.H * g.W, out_plane = g.P * g.Q;
  bool keep[kKeepBatch];
  for (i64 nc0 = lo; nc0 < hi; nc0 += kKeepBatch) {
    const i64 n = std::min(kKeepBatch, hi - nc0);
    dropout_keeps(*a.drop, a.drop->first_mask + static_cast<std::uint64_t>(nc0), n, keep);
    for (i64 nc = nc0; nc < nc0 + n; ++nc) {
      float* dx = a.dx + nc * in_plane;
      if (!keep[nc - nc0]) {
        for (i64 i = 0; i < in_plane; ++i) dx[i] = k::dropout_elem(0.0f, false, a.drop->scale);
        continue;
      }
      bwd_plane(a.dy + nc * out_plane, a.y + nc * out_plane, a.argmax + nc * out_plane, dx, g);
      for (i64 i = 0; i < in_plane; ++i) dx[i] = k::dropout_elem(dx[i], true, a.drop->scale);
    }
  }
}

void bwd_planes(const BwdArgs& a, i64 lo, i64 hi) {
  if (a.drop) return bwd_planes_dropped(a, lo, hi);
  const Pool2dGeom& g = a.g;
  const i64 in_plane = g.H * g.W, out_plane = g.P * g.Q;
  for (i64 nc = lo; nc < hi; ++nc)
    bwd_plane(a.dy + nc * out_plane, a.y ? a.y + nc * out_plane : nullptr, a.argmax + nc * out_plane,
              a.dx + nc * in_plane, g);
}

void run_fwd(const FwdArgs& a) {
  const Pool2dGeom& g = a.g;
  parallel_for(g.N * g.C, plane_grain(kWindowReadsPerJob, g.P * g.Q * g.R * g.S),
               [&a](i64 lo, i64 hi) { fwd_planes(a, lo, hi); });
}

void run_bwd(const BwdArgs& a) {
  const Pool2dGeom& g = a.g;
  parallel_for(g.N * g.C, plane_grain(kGradElementsPerJob, g.H * g.W), [&a](i64 lo, i64 hi) { bwd_planes(a, lo, hi); });
}
}  // namespace

void max_pool2d_fwd_det(const float* x, float* y, i64* argmax, const Pool2dGeom& g) {
  run_fwd(FwdArgs{x, y, argmax, g, false, nullptr});
}

void max_pool2d_bwd_det(const float* dy, const i64* argmax, float* dx, const Pool2dGeom& g) {
  run_bwd(BwdArgs{dy, nullptr, argmax, dx, g, nullptr});
}

void max_pool2d_relu_fwd_det(const float* x, const k::DropoutParams* drop, float* y, i64* argmax, const Pool2dGeom& g) {
  run_fwd(FwdArgs{x, y, argmax, g, true, drop});
}

void max_pool2d_relu_bwd_det(const float* dy, const float* y, const i64* argmax, const k::DropoutParams* drop,
                             float* dx, const Pool2dGeom& g) {
  run_bwd(BwdArgs{dy, y, argmax, dx, g, drop});
}

}  // namespace lockstep::cpu

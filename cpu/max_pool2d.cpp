// CPU max_pool2d, max_pool2d_relu and dropout2d_max_pool2d_relu: threads split over (n,c)
// planes only; each output and each plane's backward run the canonical order of
// kernels/max_pool2d.h, so the split never matters. The 2x2 stride-2 window (the reference
// CNN's) has its own forms: on x86 with AVX2 those of cpu/max_pool2d_2x2_avx2.h, which take
// relu and the dropout scale in registers; elsewhere kernels' plane form, which vectorises
// (CMakeLists.txt gives this file the GCC flags it needs for that, and says why), with relu
// and the scale applied in passes over the plane while it is in L1.
#include <algorithm>

#include "cpu/dropout_keeps.h"
#include "cpu/kernels.h"
#include "cpu/max_pool2d_2x2_avx2.h"
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
// The AVX2 forms hold offsets within a window row (at most W + 1) and indices within a plane
// in 32-bit lanes.
constexpr i64 kMaxRowFor32BitOffset = i64{1} << 30;
constexpr i64 kMaxPlaneFor32BitIndex = (i64{1} << 31) - 1;
// Planes whose dropout2d decisions are drawn at a time.
constexpr i64 kKeepBatch = 64;

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
  bool relu;                      // max_pool2d_relu
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

// One plane of the forward, relu applied where asked, reading x * scale (a kept dropout2d
// plane: dropout_elem(x, true, scale)) where scale is not null.
void fwd_plane(const float* xp, float* yp, i64* ap, const Pool2dGeom& g, bool relu, const float* scale) {
  const bool two_by_two = k::is_pool_2x2_stride2(g);
#if defined(__AVX2__)
  if (two_by_two && g.W <= kMaxRowFor32BitOffset) {
    if (scale)
      relu ? pool2x2::fwd_plane<true, true>(xp, yp, ap, g, *scale) : pool2x2::fwd_plane<false, true>(xp, yp, ap, g, *scale);
    else
      relu ? pool2x2::fwd_plane<true, false>(xp, yp, ap, g, 0.0f) : pool2x2::fwd_plane<false, false>(xp, yp, ap, g, 0.0f);
    return;
  }
#endif
  if (scale) {
    float* masked = scratch(Scratch::kPoolMaskedPlane, g.H * g.W);
    for (i64 i = 0; i < g.H * g.W; ++i) masked[i] = k::dropout_elem(xp[i], true, *scale);
    xp = masked;
  }
  if (two_by_two) {
    k::max_pool2d_fwd_plane_2x2s2(xp, yp, ap, g.W, g.P, g.Q);
  } else {
    for (i64 p = 0; p < g.P; ++p) k::max_pool2d_fwd_row(xp, g, p, yp + p * g.Q, ap + p * g.Q);
  }
  if (relu)
    for (i64 o = 0; o < g.P * g.Q; ++o) yp[o] = k::relu_fwd_elem(yp[o]);
}

// One plane of the backward of max_pool2d (y null) or max_pool2d_relu, each dx then times
// scale (dropout's backward of a kept plane) where scale is not null.
void bwd_plane(const float* dy, const float* y, const i64* am, float* dx, const Pool2dGeom& g, const float* scale) {
#if defined(__AVX2__)
  if (k::is_pool_2x2_stride2(g) && g.H * g.W <= kMaxPlaneFor32BitIndex) {
    if (scale)
      y ? pool2x2::bwd_plane<true, true>(dy, y, am, dx, g, *scale) : pool2x2::bwd_plane<false, true>(dy, y, am, dx, g, *scale);
    else
      y ? pool2x2::bwd_plane<true, false>(dy, y, am, dx, g, 0.0f) : pool2x2::bwd_plane<false, false>(dy, y, am, dx, g, 0.0f);
    return;
  }
#endif
  if (y) {
    // kernels::max_pool2d_relu_bwd_plane with the plane's relu-masked dy computed first, in a
    // loop of selects: inside the scatter GCC branched on y > 0, which real activations
    // mispredict (the fused backward took 3x the two unfused ones in the training step).
    // The scatter then adds the same values in the same order.
    float* masked = scratch(Scratch::kPoolReluGrad, g.P * g.Q);
    for (i64 o = 0; o < g.P * g.Q; ++o) masked[o] = k::relu_bwd_elem(dy[o], y[o]);
    dy = masked;
  }
  k::max_pool2d_bwd_plane(dy, am, dx, g);
  if (scale)
    for (i64 i = 0; i < g.H * g.W; ++i) dx[i] = k::dropout_elem(dx[i], true, *scale);
}

// Calls f(nc, keep) for the planes nc in [lo, hi), keep being plane nc's dropout2d decision
// (kernels::dropout2d_keeps_plane), drawn kKeepBatch planes at a time.
template <class F>
void for_planes_of_mask(const k::DropoutParams& d, i64 lo, i64 hi, const F& f) {
  bool keep[kKeepBatch];
  for (i64 nc0 = lo; nc0 < hi; nc0 += kKeepBatch) {
    const i64 n = std::min(kKeepBatch, hi - nc0);
    dropout_keeps(d, d.first_mask + static_cast<std::uint64_t>(nc0), n, keep);
    for (i64 nc = nc0; nc < nc0 + n; ++nc) f(nc, keep[nc - nc0]);
  }
}

void fwd_planes(const FwdArgs& a, i64 lo, i64 hi) {
  const Pool2dGeom& g = a.g;
  const i64 in_plane = g.H * g.W, out_plane = g.P * g.Q;
  if (!a.drop) {
    for (i64 nc = lo; nc < hi; ++nc)
      fwd_plane(a.x + nc * in_plane, a.y + nc * out_plane, a.argmax + nc * out_plane, g, a.relu, nullptr);
    return;
  }
  // dropout2d_max_pool2d_relu. A dropped plane reads dropout_elem(x, false) = +0 everywhere:
  // no read ever takes, so each output is relu(+0) = +0 with its window's first index as
  // argmax, written without reading x.
  for_planes_of_mask(*a.drop, lo, hi, [&](i64 nc, bool keep) {
    float* yp = a.y + nc * out_plane;
    i64* ap = a.argmax + nc * out_plane;
    if (keep) return fwd_plane(a.x + nc * in_plane, yp, ap, g, a.relu, &a.drop->scale);
    const float zero = a.relu ? k::relu_fwd_elem(0.0f) : 0.0f;
    for (i64 p = 0; p < g.P; ++p)
      for (i64 q = 0; q < g.Q; ++q) {
        yp[p * g.Q + q] = zero;
        ap[p * g.Q + q] = p * g.stride * g.W + q * g.stride;
      }
  });
}

void bwd_planes(const BwdArgs& a, i64 lo, i64 hi) {
  const Pool2dGeom& g = a.g;
  const i64 in_plane = g.H * g.W, out_plane = g.P * g.Q;
  const auto y_of = [&](i64 nc) { return a.y ? a.y + nc * out_plane : nullptr; };
  if (!a.drop) {
    for (i64 nc = lo; nc < hi; ++nc)
      bwd_plane(a.dy + nc * out_plane, y_of(nc), a.argmax + nc * out_plane, a.dx + nc * in_plane, g, nullptr);
    return;
  }
  // dropout2d_max_pool2d_relu: dx = dropout_elem(u, keep, scale) of the max_pool2d_relu
  // backward u; a dropped plane is all +0 without computing u.
  for_planes_of_mask(*a.drop, lo, hi, [&](i64 nc, bool keep) {
    float* dx = a.dx + nc * in_plane;
    if (keep) return bwd_plane(a.dy + nc * out_plane, y_of(nc), a.argmax + nc * out_plane, dx, g, &a.drop->scale);
    for (i64 i = 0; i < in_plane; ++i) dx[i] = k::dropout_elem(0.0f, false, a.drop->scale);
  });
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

// CPU max_pool2d: threads split over (n,c) planes only; each output and each plane's
// backward run the canonical order of kernels/max_pool2d.h, so the split never matters.
// The forward of the 2x2 stride-2 window (the reference CNN's) has its own plane form there,
// written so that it vectorises; CMakeLists.txt gives this file the GCC flags it needs for
// that, and says why. The backward keeps the plane scatter (a memset and one add per output):
// a 2x2 form writing each dx through selects measured slower.
#include <algorithm>

#include "cpu/kernels.h"
#include "cpu/parallel.h"
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
};

struct BwdArgs {
  const float* dy;
  const i64* argmax;
  float* dx;
  const Pool2dGeom& g;
};

void fwd_planes(const FwdArgs& a, i64 lo, i64 hi) {
  const Pool2dGeom& g = a.g;
  const i64 in_plane = g.H * g.W, out_plane = g.P * g.Q;
  for (i64 nc = lo; nc < hi; ++nc) {
    const float* xp = a.x + nc * in_plane;
    float* yp = a.y + nc * out_plane;
    i64* ap = a.argmax + nc * out_plane;
    if (k::is_pool_2x2_stride2(g)) {
      k::max_pool2d_fwd_plane_2x2s2(xp, yp, ap, g.W, g.P, g.Q);
      continue;
    }
    for (i64 p = 0; p < g.P; ++p) k::max_pool2d_fwd_row(xp, g, p, yp + p * g.Q, ap + p * g.Q);
  }
}

void bwd_planes(const BwdArgs& a, i64 lo, i64 hi) {
  const Pool2dGeom& g = a.g;
  const i64 in_plane = g.H * g.W, out_plane = g.P * g.Q;
  for (i64 nc = lo; nc < hi; ++nc)
    k::max_pool2d_bwd_plane(a.dy + nc * out_plane, a.argmax + nc * out_plane, a.dx + nc * in_plane, g);
}
}  // namespace

void max_pool2d_fwd_det(const float* x, float* y, i64* argmax, const Pool2dGeom& g) {
  const FwdArgs a{x, y, argmax, g};
  parallel_for(g.N * g.C, plane_grain(kWindowReadsPerJob, g.P * g.Q * g.R * g.S),
               [&a](i64 lo, i64 hi) { fwd_planes(a, lo, hi); });
}

void max_pool2d_bwd_det(const float* dy, const i64* argmax, float* dx, const Pool2dGeom& g) {
  const BwdArgs a{dy, argmax, dx, g};
  parallel_for(g.N * g.C, plane_grain(kGradElementsPerJob, g.H * g.W),
               [&a](i64 lo, i64 hi) { bwd_planes(a, lo, hi); });
}

}  // namespace lockstep::cpu

// CPU max_pool2d: threads split over (n,c) planes only; each output and each plane's
// backward run the canonical order of kernels/max_pool2d.h, so the split never matters.
#include "cpu/kernels.h"
#include "cpu/parallel.h"
#include "kernels/max_pool2d.h"

namespace lockstep::cpu {
namespace k = lockstep::kernels;
namespace {
// Planes per job: a 28x28 plane is ~1k compares, so a few planes amortise the hand-off.
constexpr i64 kPlaneGrain = 4;
}  // namespace

void max_pool2d_fwd_det(const float* x, float* y, i64* argmax, const Pool2dGeom& g) {
  const i64 in_plane = g.H * g.W, out_plane = g.P * g.Q;
  parallel_for(g.N * g.C, kPlaneGrain, [&](i64 lo, i64 hi) {
    for (i64 nc = lo; nc < hi; ++nc) {
      const float* xp = x + nc * in_plane;
      for (i64 p = 0; p < g.P; ++p) k::max_pool2d_fwd_row(xp, g, p, y + nc * out_plane + p * g.Q, argmax + nc * out_plane + p * g.Q);
    }
  });
}

void max_pool2d_bwd_det(const float* dy, const i64* argmax, float* dx, const Pool2dGeom& g) {
  const i64 in_plane = g.H * g.W, out_plane = g.P * g.Q;
  parallel_for(g.N * g.C, kPlaneGrain, [&](i64 lo, i64 hi) {
    for (i64 nc = lo; nc < hi; ++nc)
      k::max_pool2d_bwd_plane(dy + nc * out_plane, argmax + nc * out_plane, dx + nc * in_plane, g);
  });
}

}  // namespace lockstep::cpu

// CPU avg_pool2d. det: threads split over (n,c) planes only, and each element runs the
// canonical order of kernels/avg_pool2d.h, so the split never matters. fast: each window
// summed row by row (row partials, then added) and scaled by a precomputed reciprocal;
// the backward scatters dy * reciprocal into every window. Not the canonical order, so its
// bits differ from det (it is still repeatable: no order depends on the threads).
#include <vector>

#include "cpu/kernels.h"
#include "cpu/parallel.h"
#include "kernels/avg_pool2d.h"

namespace lockstep::cpu {
namespace k = lockstep::kernels;
namespace {
// Planes per job, as for max_pool2d: a 28x28 plane is about 1k additions.
constexpr i64 kPlaneGrain = 4;

template <class PlaneFn>
void for_each_plane(const Pool2dGeom& g, PlaneFn plane) {
  parallel_for(g.N * g.C, kPlaneGrain, [&](i64 lo, i64 hi) {
    for (i64 nc = lo; nc < hi; ++nc) plane(nc);
  });
}
}  // namespace

void avg_pool2d_fwd_det(const float* x, float* y, const Pool2dGeom& g) {
  for_each_plane(g, [&](i64 nc) {
    for (i64 p = 0; p < g.P; ++p)
      for (i64 q = 0; q < g.Q; ++q) y[(nc * g.P + p) * g.Q + q] = k::avg_pool2d_fwd_elem(x + nc * g.H * g.W, g, p, q);
  });
}

void avg_pool2d_bwd_det(const float* dy, float* dx, const Pool2dGeom& g) {
  for_each_plane(g, [&](i64 nc) {
    for (i64 h = 0; h < g.H; ++h)
      for (i64 w = 0; w < g.W; ++w) dx[(nc * g.H + h) * g.W + w] = k::avg_pool2d_bwd_elem(dy + nc * g.P * g.Q, g, h, w);
  });
}

void avg_pool2d_fwd_fast(const float* x, float* y, const Pool2dGeom& g) {
  const float inv = 1.0f / static_cast<float>(g.R * g.S);
  for_each_plane(g, [&](i64 nc) {
    const float* xp = x + nc * g.H * g.W;
    for (i64 p = 0; p < g.P; ++p)
      for (i64 q = 0; q < g.Q; ++q) {
        float total = 0.0f;
        for (i64 r = 0; r < g.R; ++r) {
          const float* row = xp + (p * g.stride + r) * g.W + q * g.stride;
          float part = 0.0f;
          for (i64 s = 0; s < g.S; ++s) part += row[s];
          total += part;
        }
        y[(nc * g.P + p) * g.Q + q] = total * inv;
      }
  });
}

void avg_pool2d_bwd_fast(const float* dy, float* dx, const Pool2dGeom& g) {
  const float inv = 1.0f / static_cast<float>(g.R * g.S);
  for_each_plane(g, [&](i64 nc) {
    float* dxp = dx + nc * g.H * g.W;
    for (i64 i = 0; i < g.H * g.W; ++i) dxp[i] = 0.0f;
    for (i64 p = 0; p < g.P; ++p)
      for (i64 q = 0; q < g.Q; ++q) {
        const float v = dy[(nc * g.P + p) * g.Q + q] * inv;
        for (i64 r = 0; r < g.R; ++r)
          for (i64 s = 0; s < g.S; ++s) dxp[(p * g.stride + r) * g.W + q * g.stride + s] += v;
      }
  });
}

}  // namespace lockstep::cpu

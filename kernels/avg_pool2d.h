// avg_pool2d forward and backward, one output element per call.
// Implements docs/ordering.md#avg_pool2d-forward and #avg_pool2d-backward.
// Window R x S at `stride`, no padding, so every window holds R*S inputs (the divisor).
// Not here: padding, ceil mode, count_include_pad (nothing to count without padding).
#pragma once

#include "kernels/hd.h"
#include "kernels/shapes.h"

namespace lockstep::kernels {

// x_plane: the (n,c) plane (H,W). Returns y[n,c,p,q].
// Order: acc = 0; for r, s row-major: acc = acc + x[p*st+r, q*st+s]; y = acc / (R*S).
// Why sum then divide: one rounding for the mean instead of one per term, and the backward
// divides the summed dy the same way, so y and dx use one rule.
template <class T>
LS_HD T avg_pool2d_fwd_elem(const T* x_plane, const Pool2dGeom& g, i64 p, i64 q) {
  const i64 h0 = p * g.stride, w0 = q * g.stride;
  T acc = T(0);
  for (i64 r = 0; r < g.R; ++r)
    for (i64 s = 0; s < g.S; ++s) acc = acc + x_plane[(h0 + r) * g.W + (w0 + s)];
  return acc / static_cast<T>(g.R * g.S);
}

// dy_plane: the (n,c) plane (P,Q). Returns dx[n,c,h,w].
// Order: acc = 0; for the outputs (p,q) whose window holds (h,w), row-major:
//   acc = acc + dy[p,q]; dx = acc / (R*S).
// Inputs in no window (rows or columns past the last stride) get +0.
template <class T>
LS_HD T avg_pool2d_bwd_elem(const T* dy_plane, const Pool2dGeom& g, i64 h, i64 w) {
  const i64 p_lo = h < g.R ? 0 : (h - g.R) / g.stride + 1, p_hi = h / g.stride < g.P - 1 ? h / g.stride : g.P - 1;
  const i64 q_lo = w < g.S ? 0 : (w - g.S) / g.stride + 1, q_hi = w / g.stride < g.Q - 1 ? w / g.stride : g.Q - 1;
  T acc = T(0);
  for (i64 p = p_lo; p <= p_hi; ++p)
    for (i64 q = q_lo; q <= q_hi; ++q) acc = acc + dy_plane[p * g.Q + q];
  return acc / static_cast<T>(g.R * g.S);
}

}  // namespace lockstep::kernels

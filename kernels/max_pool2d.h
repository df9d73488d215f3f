// max_pool2d forward and backward, per output element and per (n,c) plane.
// Implements docs/ordering.md#max_pool2d-forward and #max_pool2d-backward.
// Tie rule, defined once here: the FIRST index in row-major window order wins on equal
// values, and NaN propagates (the first NaN wins). Not here: padding, dilation, ceil mode.
#pragma once

#include "kernels/dropout.h"
#include "kernels/hd.h"
#include "kernels/relu.h"
#include "kernels/shapes.h"

namespace lockstep::kernels {

// P (or Q) for an input extent, window and stride; 0 when the window does not fit.
LS_HD i64 pool_out_extent(i64 in, i64 window, i64 stride) { return in < window ? 0 : (in - window) / stride + 1; }

// x: (N,C,H,W), y: (N,C,P,Q). x_plane is the (n,c) plane of x; returns y[n,c,p,q] and
// writes its argmax as h*W + w within the plane.
// Order: best = x[p*st, q*st]; for r, s row-major: v = x[p*st+r, q*st+s];
//   if v > best or (v is NaN and best is not): best = v, idx = (h, w).
// Why `>`: a later equal value never replaces, so the first index wins (as in PyTorch's CPU kernel).
// The update rule of the forward order, shared by every form: does v replace best?
// `|` and `&` rather than `||` and `&&`, so that no branch depends on the data.
template <class T>
LS_HD bool max_pool2d_takes(T v, T best) {
  return (v > best) | (is_nan(v) & !is_nan(best));
}

// The input value at index i of a plane: x_plane[i] for max_pool2d alone; through a
// dropout2d mask for the fused op below.
template <class T>
struct PoolRead {
  const T* x_plane;
  LS_HD T operator()(i64 i) const { return x_plane[i]; }
};

template <class T, class Read>
LS_HD T max_pool2d_fwd_elem_of(const Read& x, const Pool2dGeom& g, i64 p, i64 q, i64* argmax) {
  const i64 h0 = p * g.stride, w0 = q * g.stride;
  i64 idx = h0 * g.W + w0;
  T best = x(idx);
  for (i64 r = 0; r < g.R; ++r) {
    for (i64 s = 0; s < g.S; ++s) {
      const i64 i = (h0 + r) * g.W + (w0 + s);
      const T v = x(i);
      if (max_pool2d_takes(v, best)) {
        best = v;
        idx = i;
      }
    }
  }
  *argmax = idx;
  return best;
}
template <class T>
LS_HD T max_pool2d_fwd_elem(const T* x_plane, const Pool2dGeom& g, i64 p, i64 q, i64* argmax) {
  return max_pool2d_fwd_elem_of<T>(PoolRead<T>{x_plane}, g, p, q, argmax);
}

// y[n,c,p,0..Q) and its argmax: the order of max_pool2d_fwd_elem for every q of one output
// row, q innermost and the update written as selects, so that the CPU runs it without
// unpredictable branches and can vectorise across outputs. Same comparisons per output.
template <class T>
LS_HD void max_pool2d_fwd_row(const T* x_plane, const Pool2dGeom& g, i64 p, T* y_row, i64* argmax_row) {
  // Locals, because argmax_row (i64*) could alias g's fields and force reloads in the loop.
  const i64 W = g.W, Q = g.Q, R = g.R, S = g.S, st = g.stride, h0 = p * st;
  for (i64 q = 0; q < Q; ++q) {
    argmax_row[q] = h0 * W + q * st;
    y_row[q] = x_plane[h0 * W + q * st];
  }
  for (i64 r = 0; r < R; ++r)
    for (i64 s = 0; s < S; ++s)
      for (i64 q = 0; q < Q; ++q) {
        const i64 i = (h0 + r) * W + q * st + s;
        const T v = x_plane[i], best = y_row[q];
        const bool take = max_pool2d_takes(v, best);
        y_row[q] = take ? v : best;
        argmax_row[q] = take ? i : argmax_row[q];
      }
}

// True for the window the reference CNN uses (2x2, stride 2), which has the forms below.
LS_HD bool is_pool_2x2_stride2(const Pool2dGeom& g) { return g.R == 2 && g.S == 2 && g.stride == 2; }

// One (n,c) plane of the forward for a 2x2 window at stride 2: the order of
// max_pool2d_fwd_elem with the window's four reads named and best and idx kept in locals, so
// that the CPU vectorises across q (the row form keeps them in memory that may alias x).
// The same comparisons per output, less the first: v = best = x[h0,w0] never takes (neither
// v > v, nor v NaN and best not). Rows and columns in no window (odd H, W) are not read.
template <class T>
LS_HD void max_pool2d_fwd_plane_2x2s2(const T* __restrict__ x_plane, T* __restrict__ y_plane,
                                      i64* __restrict__ argmax_plane, i64 W, i64 P, i64 Q) {
  for (i64 p = 0; p < P; ++p) {
    const T* top = x_plane + 2 * p * W;
    const T* bottom = top + W;
    for (i64 q = 0; q < Q; ++q) {
      const T a = top[2 * q], b = top[2 * q + 1], c = bottom[2 * q], d = bottom[2 * q + 1];
      T best = a;
      i64 offset = 0;  // of the argmax from the window's first element: 0, 1, W or W + 1
      bool take = max_pool2d_takes(b, best);
      best = take ? b : best;
      offset = take ? 1 : offset;
      take = max_pool2d_takes(c, best);
      best = take ? c : best;
      offset = take ? W : offset;
      take = max_pool2d_takes(d, best);
      best = take ? d : best;
      offset = take ? W + 1 : offset;
      y_plane[p * Q + q] = best;
      argmax_plane[p * Q + q] = 2 * p * W + 2 * q + offset;
    }
  }
}

// The gradient reaching output o of a plane: dy[o] for max_pool2d alone; for max_pool2d
// followed by relu (the fused op below), relu's backward of it.
template <class T>
struct PoolGrad {
  const T* dy_plane;
  LS_HD T operator()(i64 o) const { return dy_plane[o]; }
};

// dy, argmax: the (n,c) planes of shape (P,Q); dx: the (n,c) plane of shape (H,W).
// Order: dx = 0; for p, q row-major: dx[argmax[p,q]] = dx[argmax[p,q]] + dy[p,q].
// Why a whole plane per call: overlapping windows (stride < window) send several dy to one
// dx, and this fixes their order; planes are independent, so backends split over planes.
template <class T, class Grad>
LS_HD void max_pool2d_bwd_plane_of(const Grad& dy, const i64* argmax_plane, T* dx_plane, const Pool2dGeom& g) {
  for (i64 i = 0; i < g.H * g.W; ++i) dx_plane[i] = T(0);
  for (i64 o = 0; o < g.P * g.Q; ++o) dx_plane[argmax_plane[o]] = dx_plane[argmax_plane[o]] + dy(o);
}
template <class T>
LS_HD void max_pool2d_bwd_plane(const T* dy_plane, const i64* argmax_plane, T* dx_plane, const Pool2dGeom& g) {
  max_pool2d_bwd_plane_of(PoolGrad<T>{dy_plane}, argmax_plane, dx_plane, g);
}

// The same result per input element (h, w), for backends that want one thread per dx:
// Order: acc = 0; for the outputs (p, q) whose window holds (h, w), row-major:
//   if argmax[p,q] == h*W + w: acc = acc + dy[p,q].
// Equal bits to max_pool2d_bwd_plane: each dx element sees the same addends in the same order.
template <class T, class Grad>
LS_HD T max_pool2d_bwd_elem_of(const Grad& dy, const i64* argmax_plane, const Pool2dGeom& g, i64 h, i64 w) {
  // Outputs p with p*stride <= h < p*stride + R.
  const i64 p_lo = h < g.R ? 0 : (h - g.R) / g.stride + 1, p_hi = h / g.stride < g.P - 1 ? h / g.stride : g.P - 1;
  const i64 q_lo = w < g.S ? 0 : (w - g.S) / g.stride + 1, q_hi = w / g.stride < g.Q - 1 ? w / g.stride : g.Q - 1;
  const i64 target = h * g.W + w;
  T acc = T(0);
  for (i64 p = p_lo; p <= p_hi; ++p)
    for (i64 q = q_lo; q <= q_hi; ++q)
      if (argmax_plane[p * g.Q + q] == target) acc = acc + dy(p * g.Q + q);
  return acc;
}
template <class T>
LS_HD T max_pool2d_bwd_elem(const T* dy_plane, const i64* argmax_plane, const Pool2dGeom& g, i64 h, i64 w) {
  return max_pool2d_bwd_elem_of<T>(PoolGrad<T>{dy_plane}, argmax_plane, g, h, w);
}

// max_pool2d_relu: relu(max_pool2d(x)) as one op, so that the pooled tensor is neither
// written nor read again (docs/ordering.md#max_pool2d_relu).
// Forward order: y = relu_fwd_elem(max_pool2d output), argmax as max_pool2d's.
// Backward order: max_pool2d's, with relu_bwd_elem(dy[o], y[o]) as the gradient of output o.
// That is relu's own backward of the pooled value m: relu_bwd_elem tests x > 0, and
// y = relu(m) > 0 exactly where m > 0 (m NaN gives y NaN, and both tests fail). So the fused
// op saves y, which it returns anyway, instead of m.
template <class T>
LS_HD T max_pool2d_relu_fwd_elem(const T* x_plane, const Pool2dGeom& g, i64 p, i64 q, i64* argmax) {
  return relu_fwd_elem(max_pool2d_fwd_elem(x_plane, g, p, q, argmax));
}

template <class T>
struct PoolReluGrad {
  const T* dy_plane;
  const T* y_plane;
  LS_HD T operator()(i64 o) const { return relu_bwd_elem(dy_plane[o], y_plane[o]); }
};

template <class T>
LS_HD void max_pool2d_relu_bwd_plane(const T* dy_plane, const T* y_plane, const i64* argmax_plane, T* dx_plane,
                                     const Pool2dGeom& g) {
  max_pool2d_bwd_plane_of(PoolReluGrad<T>{dy_plane, y_plane}, argmax_plane, dx_plane, g);
}
template <class T>
LS_HD T max_pool2d_relu_bwd_elem(const T* dy_plane, const T* y_plane, const i64* argmax_plane, const Pool2dGeom& g,
                                 i64 h, i64 w) {
  return max_pool2d_bwd_elem_of<T>(PoolReluGrad<T>{dy_plane, y_plane}, argmax_plane, g, h, w);
}

// dropout2d_max_pool2d_relu: max_pool2d_relu(dropout2d(x)) as one op, so that the masked
// tensor is neither written nor read again (docs/ordering.md#dropout2d_max_pool2d_relu).
// dropout2d keeps or drops whole (n,c) planes, and the pool's planes are the same ones, so
// plane nc has one decision: dropout_keep(d, d.first_mask + nc) (d.group = H*W).
// Forward order: max_pool2d_relu's, reading dropout_elem(x[i], keep, scale) for x[i].
// Backward order: max_pool2d_relu's into u, then dx[i] = dropout_elem(u[i], keep, scale),
// dropout's backward of u. Both are the unfused ops' own terms.
LS_HD bool dropout2d_keeps_plane(const DropoutParams& d, i64 nc) {
  return dropout_keep(d, static_cast<i64>(d.first_mask) + nc);
}

struct DroppedPlaneRead {
  const float* x_plane;
  bool keep;
  float scale;
  LS_HD float operator()(i64 i) const { return dropout_elem(x_plane[i], keep, scale); }
};

LS_HD float dropout2d_max_pool2d_relu_fwd_elem(const float* x_plane, const DropoutParams& d, i64 nc,
                                               const Pool2dGeom& g, i64 p, i64 q, i64* argmax) {
  const DroppedPlaneRead x{x_plane, dropout2d_keeps_plane(d, nc), d.scale};
  return relu_fwd_elem(max_pool2d_fwd_elem_of<float>(x, g, p, q, argmax));
}

LS_HD float dropout2d_max_pool2d_relu_bwd_elem(const float* dy_plane, const float* y_plane,
                                               const i64* argmax_plane, const DropoutParams& d, i64 nc,
                                               const Pool2dGeom& g, i64 h, i64 w) {
  const float u = max_pool2d_relu_bwd_elem(dy_plane, y_plane, argmax_plane, g, h, w);
  return dropout_elem(u, dropout2d_keeps_plane(d, nc), d.scale);
}

}  // namespace lockstep::kernels

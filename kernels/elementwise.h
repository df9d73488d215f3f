// Element-wise arithmetic: one correctly rounded operation per output, so there is no
// order to choose; these exist so that both backends name the same expression.
// See docs/ordering.md#element-wise.
#pragma once

#include "kernels/hd.h"

namespace lockstep::kernels {

// Order: a + b.
template <class T> LS_HD T add_elem(T a, T b) { return a + b; }
// Order: a * b.
template <class T> LS_HD T mul_elem(T a, T b) { return a * b; }
// Order: s * x.
template <class T> LS_HD T scale_elem(T x, T s) { return s * x; }

// Order: v' = (momentum * v) + g, then p' = p - (lr * v'); each product rounded before the
// sum, as PyTorch's buf.mul_(momentum).add_(grad) and p.add_(buf, alpha=-lr) do.
// Why not fma: it matches the reference framework's rounding and costs nothing here.
template <class T>
LS_HD void sgd_momentum_elem(T& p, T& v, T g, T lr, T momentum) {
  v = momentum * v + g;
  p = p - lr * v;
}
// Order: p' = p - (lr * g); used when momentum is 0 (PyTorch keeps no buffer then).
template <class T>
LS_HD void sgd_plain_elem(T& p, T g, T lr) { p = p - lr * g; }

}  // namespace lockstep::kernels

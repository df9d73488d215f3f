// relu forward and backward, one output per element (no order to choose beyond the select).
// Implements docs/ordering.md#relu. NaN propagates forward, as in PyTorch; -0 maps to +0.
#pragma once

#include "kernels/hd.h"

namespace lockstep::kernels {

// Order: y = x > 0 ? x : (x is NaN ? x : 0).
// Why spell out NaN: `x > 0 ? x : 0` alone would turn NaN into 0 and hide a diverged model.
template <class T>
LS_HD T relu_fwd_elem(T x) {
  return x > T(0) ? x : (is_nan(x) ? x : T(0));
}

// Order: dx = x > 0 ? dy : 0 (the subgradient at 0 is 0; NaN x passes no gradient).
template <class T>
LS_HD T relu_bwd_elem(T dy, T x) {
  return x > T(0) ? dy : T(0);
}

}  // namespace lockstep::kernels

// log_softmax over the last dimension of a (rows, cols) matrix, one row at a time.
// Implements docs/ordering.md#log_softmax-forward and #log_softmax-backward, using
// lockstep's own exp/log (kernels/math.h). A row is a sequential chain; rows are
// independent, so backends split over rows only. Not here: other dims, softmax itself.
#pragma once

#include "kernels/hd.h"
#include "kernels/math.h"

namespace lockstep::kernels {

// x, y: one row of cols >= 1 elements.
// Order: m = x[0]; for j = 1..: if x_j > m or (x_j is NaN and m is not): m = x_j;
//   s = 0; for j in order: s = s + exp(x_j - m);  lse = m + log(s);
//   for j: y_j = x_j - lse.
// Why subtract the max: exp never overflows and s >= 1, so log(s) is well conditioned.
template <class T>
LS_HD void log_softmax_fwd_row(const T* x, T* y, i64 cols) {
  T m = x[0];
  for (i64 j = 1; j < cols; ++j)
    if (x[j] > m || (is_nan(x[j]) && !is_nan(m))) m = x[j];
  T s = T(0);
  for (i64 j = 0; j < cols; ++j) s = s + exp(x[j] - m);
  const T lse = m + log(s);
  for (i64 j = 0; j < cols; ++j) y[j] = x[j] - lse;
}

// dy, y (the forward output), dx: one row.
// Order: sum = 0; for j in order: sum = sum + dy_j;
//   for j: dx_j = dy_j - (exp(y_j) * sum), the product rounded before the subtraction.
// Why no fma: it is PyTorch's CPU formula grad - exp(output) * sum, rounded the same way.
template <class T>
LS_HD void log_softmax_bwd_row(const T* dy, const T* y, T* dx, i64 cols) {
  T sum = T(0);
  for (i64 j = 0; j < cols; ++j) sum = sum + dy[j];
  for (i64 j = 0; j < cols; ++j) dx[j] = dy[j] - exp(y[j]) * sum;
}

}  // namespace lockstep::kernels

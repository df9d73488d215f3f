// CPU linear, deterministic: threads take whole output rows; the forward pass reads a
// transposed copy of W so the vectorised loop runs over independent outputs. Each output's
// chain is the one in kernels/linear.h. See docs/ordering.md#linear-forward.
#include <vector>

#include "cpu/kernels.h"
#include "cpu/parallel.h"
#include "kernels/linear.h"

namespace lockstep::cpu {
namespace k = lockstep::kernels;

void linear_fwd_det(const float* x, const float* w, const float* b, float* y, const LinearGeom& g) {
  std::vector<float> wt(static_cast<size_t>(g.I * g.O));
  for (i64 o = 0; o < g.O; ++o)
    for (i64 i = 0; i < g.I; ++i) wt[static_cast<size_t>(i * g.O + o)] = w[o * g.I + i];
  parallel_for(g.N, 4, [&](i64 lo, i64 hi) {
    for (i64 n = lo; n < hi; ++n) k::linear_fwd_row(x, wt.data(), b, g, n, y + n * g.O);
  });
}

void linear_bwd_data_det(const float* dy, const float* w, float* dx, const LinearGeom& g) {
  parallel_for(g.N, 4, [&](i64 lo, i64 hi) {
    for (i64 n = lo; n < hi; ++n) k::linear_bwd_data_row(dy, w, g, n, dx + n * g.I);
  });
}

void linear_bwd_weight_det(const float* dy, const float* x, float* dw, float* db, const LinearGeom& g) {
  // Items 0..O-1 are weight rows; items O..2O-1 are the biases.
  parallel_for(2 * g.O, 1, [&](i64 lo, i64 hi) {
    std::vector<float> part(static_cast<size_t>(g.I));
    for (i64 item = lo; item < hi; ++item) {
      if (item >= g.O) {
        if (db) db[item - g.O] = k::linear_bwd_bias_elem(dy, g, item - g.O);
      } else {
        k::linear_bwd_weight_row(dy, x, g, item, dw + item * g.I, part.data());
      }
    }
  });
}

}  // namespace lockstep::cpu

// CPU conv2d, deterministic: threads take whole output rows (forward), whole input rows
// (backward data) or whole (k, c) filter slices (backward weight), so each output's chain is
// the one in kernels/conv2d.h whatever the thread count. See docs/ordering.md#conv2d-forward.
#include <vector>

#include "cpu/kernels.h"
#include "cpu/parallel.h"
#include "kernels/conv2d.h"

namespace lockstep::cpu {
namespace k = lockstep::kernels;

void conv2d_fwd_det(const float* x, const float* w, const float* b, float* y, const Conv2dGeom& g) {
  parallel_for(g.N * g.K * g.P, 4, [&](i64 lo, i64 hi) {
    for (i64 row = lo; row < hi; ++row) {
      const i64 p = row % g.P, kk = (row / g.P) % g.K, n = row / (g.P * g.K);
      k::conv2d_fwd_row(x, w, b, g, n, kk, p, y + k::conv_y_index(g, n, kk, p, 0));
    }
  });
}

void conv2d_bwd_data_det(const float* dy, const float* w, float* dx, const Conv2dGeom& g) {
  parallel_for(g.N * g.C * g.H, 4, [&](i64 lo, i64 hi) {
    for (i64 row = lo; row < hi; ++row) {
      const i64 h = row % g.H, c = (row / g.H) % g.C, n = row / (g.H * g.C);
      k::conv2d_bwd_data_row(dy, w, g, n, c, h, dx + k::conv_x_index(g, n, c, h, 0));
    }
  });
}

void conv2d_bwd_weight_det(const float* dy, const float* x, float* dw, float* db, const Conv2dGeom& g) {
  const i64 chunks = k::num_chunks(g.N, k::kBatchChunk);
  const i64 taps = g.R * g.S;
  // Items 0..K*C-1 are (k, c) filter slices; items K*C..K*C+K-1 are the biases.
  parallel_for(g.K * g.C + g.K, 1, [&](i64 lo, i64 hi) {
    std::vector<float> part(static_cast<size_t>(taps));
    for (i64 item = lo; item < hi; ++item) {
      if (item >= g.K * g.C) {
        const i64 kk = item - g.K * g.C;
        if (db) db[kk] = k::conv2d_bwd_bias_elem(dy, g, kk);
        continue;
      }
      const i64 kk = item / g.C, c = item % g.C;
      float* out = dw + k::conv_w_index(g, kk, c, 0, 0);
      for (i64 t = 0; t < taps; ++t) out[t] = 0.0f;
      for (i64 j = 0; j < chunks; ++j) {
        k::conv2d_bwd_weight_chunk_rs(dy, x, g, j, kk, c, part.data());
        for (i64 t = 0; t < taps; ++t) out[t] = out[t] + part[static_cast<size_t>(t)];
      }
    }
  });
}

}  // namespace lockstep::cpu

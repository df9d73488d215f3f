// CPU conv2d, fast mode: im2col into a per-thread buffer, then Eigen's SGEMM (forward and
// backward data per group of samples; backward weight accumulates per-thread partials that
// are combined in completion order). Registered for Mode::Fast only; deterministic mode never
// runs this file. Eigen is included by the *_fast.cpp files only (through cpu/eigen_fast.h).
//
// Nondeterministic because: Eigen's GEMM splits and orders each output's sum by its cache-size
// blocking (kc panels) and SIMD width, so bits change with the -march level and the machine;
// the weight/bias gradients add per-thread partials in the order the threads finish, so bits
// also change with the thread count and from run to run.
#include "cpu/eigen_fast.h"

#include <algorithm>
#include <vector>

namespace lockstep::cpu {
namespace {

using fast::CMapR;
using fast::MapR;
using fast::RowMat;
using CVec = Eigen::Map<const Eigen::VectorXf>;

// Samples per GEMM: enough columns (G*P*Q >= 256) for Eigen's kernel to reach full speed.
i64 group_size(const Conv2dGeom& g) { return std::max<i64>(1, std::min<i64>(g.N, (256 + g.P * g.Q - 1) / (g.P * g.Q))); }

// col: (C*R*S, G*P*Q) for samples [n0, n0+G); zero where a tap lands in the padding.
void im2col(const float* x, const Conv2dGeom& g, i64 n0, i64 G, float* col) {
  const i64 pq = g.P * g.Q, ld = G * pq;
  for (i64 c = 0; c < g.C; ++c)
    for (i64 r = 0; r < g.R; ++r)
      for (i64 s = 0; s < g.S; ++s) {
        float* row = col + ((c * g.R + r) * g.S + s) * ld;
        for (i64 gi = 0; gi < G; ++gi) {
          const float* xc = x + ((n0 + gi) * g.C + c) * g.H * g.W;
          for (i64 p = 0; p < g.P; ++p) {
            const i64 h = p * g.stride - g.pad + r;
            float* out = row + gi * pq + p * g.Q;
            if (h < 0 || h >= g.H) {
              std::fill(out, out + g.Q, 0.0f);
              continue;
            }
            for (i64 q = 0; q < g.Q; ++q) {
              const i64 w = q * g.stride - g.pad + s;
              out[q] = (w >= 0 && w < g.W) ? xc[h * g.W + w] : 0.0f;
            }
          }
        }
      }
}

// dx[n0..n0+G) += scatter of dcol (C*R*S, G*P*Q); dx must be zeroed first.
void col2im_add(const float* dcol, const Conv2dGeom& g, i64 n0, i64 G, float* dx) {
  const i64 pq = g.P * g.Q, ld = G * pq;
  for (i64 c = 0; c < g.C; ++c)
    for (i64 r = 0; r < g.R; ++r)
      for (i64 s = 0; s < g.S; ++s) {
        const float* row = dcol + ((c * g.R + r) * g.S + s) * ld;
        for (i64 gi = 0; gi < G; ++gi) {
          float* xc = dx + ((n0 + gi) * g.C + c) * g.H * g.W;
          for (i64 p = 0; p < g.P; ++p) {
            const i64 h = p * g.stride - g.pad + r;
            if (h < 0 || h >= g.H) continue;
            const float* in = row + gi * pq + p * g.Q;
            for (i64 q = 0; q < g.Q; ++q) {
              const i64 w = q * g.stride - g.pad + s;
              if (w >= 0 && w < g.W) xc[h * g.W + w] += in[q];
            }
          }
        }
      }
}

// dyg (K, G*P*Q) <-> dy[n0..n0+G) laid out (N,K,P*Q).
void gather_dy(const float* dy, const Conv2dGeom& g, i64 n0, i64 G, float* dyg) {
  const i64 pq = g.P * g.Q;
  for (i64 k = 0; k < g.K; ++k)
    for (i64 gi = 0; gi < G; ++gi)
      std::copy_n(dy + ((n0 + gi) * g.K + k) * pq, pq, dyg + k * G * pq + gi * pq);
}

}  // namespace

void conv2d_fwd_fast(const float* x, const float* w, const float* b, float* y, const Conv2dGeom& g) {
  const i64 crs = g.C * g.R * g.S, pq = g.P * g.Q, G = group_size(g);
  const CMapR W(w, g.K, crs);
  const CVec bias(b, g.K);
  parallel_for((g.N + G - 1) / G, 1, [&](i64 lo, i64 hi) {
    std::vector<float> col(static_cast<size_t>(crs * G * pq)), out(static_cast<size_t>(g.K * G * pq));
    for (i64 grp = lo; grp < hi; ++grp) {
      const i64 n0 = grp * G, gn = std::min(G, g.N - n0);
      im2col(x, g, n0, gn, col.data());
      MapR Y(out.data(), g.K, gn * pq);
      Y.noalias() = W * CMapR(col.data(), crs, gn * pq);
      Y.colwise() += bias;
      for (i64 gi = 0; gi < gn; ++gi)
        for (i64 k = 0; k < g.K; ++k) std::copy_n(out.data() + k * gn * pq + gi * pq, pq, y + ((n0 + gi) * g.K + k) * pq);
    }
  });
}

void conv2d_bwd_data_fast(const float* dy, const float* w, float* dx, const Conv2dGeom& g) {
  const i64 crs = g.C * g.R * g.S, pq = g.P * g.Q, G = group_size(g);
  const CMapR W(w, g.K, crs);
  parallel_for((g.N + G - 1) / G, 1, [&](i64 lo, i64 hi) {
    std::vector<float> dyg(static_cast<size_t>(g.K * G * pq)), dcol(static_cast<size_t>(crs * G * pq));
    for (i64 grp = lo; grp < hi; ++grp) {
      const i64 n0 = grp * G, gn = std::min(G, g.N - n0);
      gather_dy(dy, g, n0, gn, dyg.data());
      MapR D(dcol.data(), crs, gn * pq);
      D.noalias() = W.transpose() * CMapR(dyg.data(), g.K, gn * pq);
      std::fill(dx + n0 * g.C * g.H * g.W, dx + (n0 + gn) * g.C * g.H * g.W, 0.0f);
      col2im_add(dcol.data(), g, n0, gn, dx);
    }
  });
}

void conv2d_bwd_weight_fast(const float* dy, const float* x, float* dw, float* db, const Conv2dGeom& g) {
  const i64 crs = g.C * g.R * g.S, pq = g.P * g.Q, G = group_size(g);
  fast::sum_partials_in_completion_order((g.N + G - 1) / G, 1, dw, db, g.K, crs,
                                         [&](i64 lo, i64 hi, RowMat& dw_part, Eigen::VectorXf& db_part) {
    std::vector<float> col(static_cast<size_t>(crs * G * pq)), dyg(static_cast<size_t>(g.K * G * pq));
    for (i64 grp = lo; grp < hi; ++grp) {
      const i64 n0 = grp * G, gn = std::min(G, g.N - n0);
      im2col(x, g, n0, gn, col.data());
      gather_dy(dy, g, n0, gn, dyg.data());
      const CMapR D(dyg.data(), g.K, gn * pq);
      dw_part.noalias() += D * CMapR(col.data(), crs, gn * pq).transpose();
      db_part += D.rowwise().sum();
    }
  });
}

}  // namespace lockstep::cpu

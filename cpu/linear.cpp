// CPU linear, deterministic: packed panels and register-blocked chain tiles (Note [Chain
// tiles] in kernels/linear.h), so each output's chain is the canonical one of kernels/linear.h
// and only independent outputs share vector lanes. Threads take whole row blocks or whole
// tiles; forward chains longer than kKc are split into consecutive kk ranges with the partial
// stored in y between them (a store rounds nothing). See docs/ordering.md#linear-forward.
#include <vector>

#include "cpu/chain_tiles.h"
#include "cpu/kernels.h"
#include "cpu/parallel.h"
#include "kernels/linear.h"

namespace lockstep::cpu {
namespace k = lockstep::kernels;
namespace {

constexpr i64 kKc = 256;  // kk per pass over a panel: a kKc x kNR panel slice stays in L1

// Why a serial threshold: waking the pool costs tens of microseconds on a VM, more than a
// whole reference-CNN linear layer (fc1 at batch 256 is 4M multiply-adds, about 60 us on one
// core); measured, 2 threads ran fc1 4-8x slower than 1. Below it every range is one job.
constexpr i64 kSerialMacs = i64(8) << 20;
bool run_serially(const LinearGeom& g) { return g.N * g.I * g.O < kSerialMacs; }

i64 panels_for(i64 cols) { return (cols + kNR - 1) / kNR; }

// C (M x cols, ldc) already holds the start values; runs the chains over kk in [0, kd) for
// B(kk, j) given by packed panels (panel t at bp + t*kd*kNR), rows in [m_lo, m_hi).
void run_blocked(const float* A, i64 a_m, const float* bp, i64 kd, float* C, i64 ldc, i64 cols, i64 m_lo, i64 m_hi) {
  const i64 panels = panels_for(cols);
  for (i64 k0 = 0; k0 < kd; k0 += kKc) {
    const i64 kc = std::min(kKc, kd - k0);
    for (i64 t = 0; t < panels; ++t)
      tile_rows(A + m_lo * a_m + k0, a_m, 1, bp + t * kd * kNR + k0 * kNR, kc, 0, C + m_lo * ldc + t * kNR, ldc,
                m_hi - m_lo, std::min<i64>(kNR, cols - t * kNR));
  }
}

// Packs B(kk, j) = src[kk*ld + j] (kd x cols) into kNR-wide panels.
std::vector<float> pack_all(const float* src, i64 ld, i64 kd, i64 cols, bool serial) {
  const i64 panels = panels_for(cols);
  std::vector<float> bp(static_cast<size_t>(panels * kd * kNR));
  parallel_for(panels, serial ? panels : 1, [&](i64 lo, i64 hi) {
    for (i64 t = lo; t < hi; ++t) pack_panel(src, ld, kd, t * kNR, cols, bp.data() + t * kd * kNR);
  });
  return bp;
}

// Row blocks of kMR rows per parallel item.
void for_row_blocks(i64 rows, bool serial, const std::function<void(i64, i64)>& body) {
  const i64 blocks = (rows + kMR - 1) / kMR;
  parallel_for(blocks, serial ? blocks : 1, [&](i64 lo, i64 hi) { body(lo * kMR, std::min(rows, hi * kMR)); });
}

}  // namespace

void linear_fwd_det(const float* x, const float* w, const float* b, float* y, const LinearGeom& g) {
  // B(i, o) = w[o, i]: W^T, packed straight from w (a transposing copy, no arithmetic).
  const i64 panels = panels_for(g.O);
  const bool serial = run_serially(g);
  std::vector<float> bp(static_cast<size_t>(panels * g.I * kNR));
  parallel_for(panels, serial ? panels : 1, [&](i64 lo, i64 hi) {
    for (i64 t = lo; t < hi; ++t) {
      float* p = bp.data() + t * g.I * kNR;
      const i64 nr = std::min<i64>(kNR, g.O - t * kNR);
      for (i64 i = 0; i < g.I; ++i)
        for (i64 j = 0; j < kNR; ++j) p[i * kNR + j] = j < nr ? w[(t * kNR + j) * g.I + i] : 0.0f;
    }
  });
  for_row_blocks(g.N, serial, [&](i64 lo, i64 hi) {
    for (i64 n = lo; n < hi; ++n)
      for (i64 o = 0; o < g.O; ++o) y[n * g.O + o] = b[o];
    run_blocked(x, g.I, bp.data(), g.I, y, g.O, g.O, lo, hi);
  });
}

void linear_bwd_data_det(const float* dy, const float* w, float* dx, const LinearGeom& g) {
  const bool serial = run_serially(g);
  const std::vector<float> bp = pack_all(w, g.I, g.O, g.I, serial);  // B(o, i) = w[o, i]
  for_row_blocks(g.N, serial, [&](i64 lo, i64 hi) {
    std::fill(dx + lo * g.I, dx + hi * g.I, 0.0f);
    run_blocked(dy, g.O, bp.data(), g.O, dx, g.I, g.I, lo, hi);
  });
}

void linear_bwd_weight_det(const float* dy, const float* x, float* dw, float* db, const LinearGeom& g) {
  const bool serial = run_serially(g);
  const std::vector<float> bp = pack_all(x, g.I, g.N, g.I, serial);  // B(n, i) = x[n, i]
  const i64 panels = panels_for(g.I), row_blocks = (g.O + kMR - 1) / kMR;
  // Items: (row block of o, panel of i) tiles, then one item for the bias.
  parallel_for(row_blocks * panels + 1, serial ? row_blocks * panels + 1 : 1, [&](i64 lo, i64 hi) {
    for (i64 item = lo; item < hi; ++item) {
      if (item == row_blocks * panels) {
        if (db) {
          std::vector<float> part(static_cast<size_t>(g.O));
          k::linear_bwd_bias_row(dy, g, db, part.data());
        }
        continue;
      }
      const i64 o0 = (item / panels) * kMR, o1 = std::min(g.O, o0 + kMR), t = item % panels;
      const i64 nr = std::min<i64>(kNR, g.I - t * kNR);
      float* c = dw + o0 * g.I + t * kNR;
      for (i64 o = 0; o < o1 - o0; ++o)
        for (i64 j = 0; j < nr; ++j) c[o * g.I + j] = 0.0f;
      // A(o, n) = dy[n, o]: a_m = 1, a_k = O.
      tile_rows(dy + o0, 1, g.O, bp.data() + t * g.N * kNR, g.N, k::kBatchChunk, c, g.I, o1 - o0, nr);
    }
  });
}

}  // namespace lockstep::cpu

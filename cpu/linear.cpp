// CPU linear, deterministic: register-blocked chain tiles (Note [Chain tiles] in
// kernels/linear.h), so each output's chain is the canonical one of kernels/linear.h and only
// independent outputs share vector lanes. Threads take whole row blocks; chains longer than
// kKc are split into consecutive kk ranges with the partial stored in C between them (a store
// rounds nothing). See docs/ordering.md#linear-on-the-cpu.
#include <vector>

#include "cpu/chain_tiles.h"
#include "cpu/kernels.h"
#include "cpu/pack.h"
#include "cpu/parallel.h"
#include "cpu/scratch.h"
#include "kernels/linear.h"

namespace lockstep::cpu {
namespace k = lockstep::kernels;
namespace {

// Cache blocking, as in Goto's GEMM: a kKc x kNR slice of a panel stays in L1 while the rows of
// a kMc x kKc block of A, held in L2, stream past it. Only which chains run together and where
// a chain pauses change; never the order within one.
constexpr i64 kKc = 256;
constexpr i64 kMc = 96;
static_assert(kKc % k::kBatchChunk == 0, "a pause inside a batch chunk would split its partial");

// Why a serial threshold: waking the pool costs tens of microseconds on a VM, more than a
// whole reference-CNN linear layer (fc1 at batch 256 is 4M multiply-adds, about 60 us on one
// core); measured, 2 threads ran fc1 4-8x slower than 1. Below it every range is one job.
constexpr i64 kSerialMacs = i64(8) << 20;
bool run_serially(const LinearGeom& g) { return g.N * g.I * g.O < kSerialMacs; }

i64 panels_for(i64 cols) { return (cols + kNR - 1) / kNR; }

// B(kk, j), kk in [0, kd), j in [0, cols), as kNR-wide panels.
class Panels {
 public:
  // B(kk, j) = src[kk*ld + j]: whole panels are read in place unless their rows would crowd
  // a few L1 sets (see spreads_over_l1); a ragged last panel is packed.
  static Panels rows_of(const float* src, i64 ld, i64 kd, i64 cols, bool serial) {
    Panels p(kd, cols);
    p.src_ = src, p.ld_ = ld;
    p.in_place_ = kd <= kInPlaceSlice || spreads_over_l1(ld) ? cols / kNR : 0;
    p.pack(serial, [&](i64 t, float* panel) { pack_panel(src, ld, kd, t * kNR, cols, panel); });
    return p;
  }
  // B(kk, j) = src[j*ld + kk]: every panel packed, transposing.
  static Panels columns_of(const float* src, i64 ld, i64 kd, i64 cols, bool serial) {
    Panels p(kd, cols);
    p.pack(serial, [&](i64 t, float* panel) { pack_panel_transposed(src, ld, kd, t * kNR, cols, panel); });
    return p;
  }
  i64 count() const { return count_; }
  // Rows of a panel per cache block: a slice read in place is kept to kInPlaceSlice rows, so
  // that it stays in L1 between the row tiles that share it.
  i64 slice_rows() const { return in_place_ > 0 ? kInPlaceSlice : kKc; }
  i64 cols() const { return cols_; }
  i64 width(i64 t) const { return std::min<i64>(kNR, cols_ - t * kNR); }
  // Panel t from row kk: its start and row stride.
  std::pair<const float*, i64> at(i64 t, i64 kk) const {
    if (t < in_place_) return {src_ + kk * ld_ + t * kNR, ld_};
    return {packed_ + ((t - in_place_) * kd_ + kk) * kNR, kNR};
  }

 private:
  static constexpr i64 kInPlaceSlice = 64;
  static_assert(kInPlaceSlice % k::kBatchChunk == 0, "a pause inside a batch chunk would split its partial");
  // Whether kInPlaceSlice rows of a panel, ld floats apart, fall into L1 sets (64 sets of 64-byte
  // lines, 12 ways on this class of core) no more than 8 lines a set, leaving ways for A and C.
  // A stride of 1024 floats maps every row onto the same two sets: read in place, 1024 x 1024
  // ran at 0.6x; fc1's 320 spreads them over 32 sets.
  static bool spreads_over_l1(i64 ld) {
    int lines_in_set[64] = {};
    for (i64 r = 0; r < kInPlaceSlice; ++r)
      for (i64 line = 0; line < kNR * i64(sizeof(float)) / 64; ++line)
        if (++lines_in_set[(r * ld * i64(sizeof(float)) / 64 + line) % 64] > 8) return false;
    return true;
  }
  Panels(i64 kd, i64 cols) : kd_(kd), cols_(cols), count_(panels_for(cols)) {}
  template <class PackOne>
  void pack(bool serial, const PackOne& pack_one) {
    const i64 packed = count_ - in_place_;
    packed_ = scratch(Scratch::kPanels, packed * kd_ * kNR);
    parallel_for(packed, serial ? packed : 1, [&](i64 lo, i64 hi) {
      for (i64 t = lo; t < hi; ++t) pack_one(in_place_ + t, packed_ + t * kd_ * kNR);
    });
  }
  i64 kd_, cols_, count_, in_place_ = 0, ld_ = 0;
  const float* src_ = nullptr;
  float* packed_ = nullptr;
};

// src (rows x cols) copied transposed into dst, by bands of source rows in parallel: done
// serially, the copy of 1024 x 1024's output at batch 256 took 8% of the forward pass at 2
// threads.
void transpose_out(const float* src, i64 ld_src, i64 rows, i64 cols, float* dst, i64 ld_dst, bool serial) {
  constexpr i64 kBand = 64;
  const i64 bands = (rows + kBand - 1) / kBand;
  parallel_for(bands, serial ? bands : 1, [&](i64 lo, i64 hi) {
    const i64 r0 = lo * kBand, r1 = std::min(rows, hi * kBand);
    transpose(src + r0 * ld_src, ld_src, r1 - r0, cols, dst + r0, ld_dst);
  });
}

// Lanes run across C's columns kNR at a time, so a ragged last panel wastes lanes (fc2's 10
// outputs fill 10 of 32). Computing C^T instead, the same chains with A and B swapping roles,
// fills them better but costs transposing copies; the cheaper form is chosen by this model, in
// lane multiply-adds, kTransposeCost per element moved by a transposing copy. Measured: fc2's
// backward-data pass at batch 256 (chains of 10) ran 1.4x slower transposed, fc1's forward at
// batch 256 (chains of 320) about 5% faster.
constexpr double kTransposeCost = 10;
double chain_cost(i64 M, i64 cols, i64 kd) { return double(panels_for(cols) * kNR) * double(M) * double(kd); }

// C(m, j) = C[m*ldc + j], m in [0, M), holds each chain's start value (unless zero_start: the
// chains start from +0 and C is only written) and receives the chain's result over kk of
// A(m, kk) B(kk, j), A(m, kk) = A[m*a_m + kk*a_k]; chunk > 0 selects the batch-chunked chain.
struct Chains {
  const float* A;
  i64 a_m, a_k, M, kd, chunk;
  float* C;
  i64 ldc;
  bool zero_start;
};

void run_chains(const Chains& c, const Panels& B, bool serial) {
  if (c.kd == 0 && c.zero_start) {  // empty chains: their start value is the result
    for (i64 m = 0; m < c.M; ++m) std::fill(c.C + m * c.ldc, c.C + m * c.ldc + B.cols(), 0.0f);
    return;
  }
  const i64 blocks = (c.M + kMR - 1) / kMR;
  // Rows of A far apart are packed side by side once per block when enough panels reuse them
  // (the copy costs about a sixteenth of 32 panels' work).
  const bool pack_a = c.a_m != 1 && B.count() >= 4;
  parallel_for(blocks, serial ? blocks : 1, [&](i64 lo, i64 hi) {
    const i64 m_lo = lo * kMR, m_hi = std::min(c.M, hi * kMR);
    const i64 slice = B.slice_rows();
    float* a_block = pack_a ? scratch(Scratch::kRowsOfA, std::min(kMc, m_hi - m_lo) * slice + 8) : nullptr;
    for (i64 k0 = 0; k0 < c.kd; k0 += slice) {
      const i64 kc = std::min(slice, c.kd - k0);
      for (i64 m0 = m_lo; m0 < m_hi; m0 += kMc) {
        const i64 mc = std::min(kMc, m_hi - m0);
        const float* a = c.A + m0 * c.a_m + k0 * c.a_k;
        if (pack_a) {
          pack_row_tiles(a, c.a_m, c.a_k, mc, kc, a_block);
          a = a_block;
        }
        for (i64 t = 0; t < B.count(); ++t) {
          const auto [b, ldb] = B.at(t, k0);
          tile_rows(a, c.a_m, c.a_k, b, ldb, kc, c.chunk, c.C + m0 * c.ldc + t * kNR, c.ldc, mc, B.width(t),
                    c.zero_start && k0 == 0, pack_a);
        }
      }
    }
  });
}

}  // namespace

void linear_fwd_det(const float* x, const float* w, const float* b, float* y, const LinearGeom& g) {
  const bool serial = run_serially(g);
  // Direct: lanes over o, W^T packed. Transposed: lanes over n, x^T packed, y^T copied out.
  const double a = kTransposeCost;
  if (chain_cost(g.O, g.N, g.I) + a * (g.N * g.I + g.N * g.O) < chain_cost(g.N, g.O, g.I) + a * g.O * g.I) {
    // y^T(o, n): A(o, i) = w[o, i], B(i, n) = x[n, i]
    float* yt = scratch(Scratch::kTransposed, g.O * g.N);
    for (i64 o = 0; o < g.O; ++o) std::fill(yt + o * g.N, yt + (o + 1) * g.N, b[o]);
    run_chains({w, g.I, 1, g.O, g.I, 0, yt, g.N, false}, Panels::columns_of(x, g.I, g.I, g.N, serial), serial);
    transpose_out(yt, g.N, g.O, g.N, y, g.O, serial);
    return;
  }
  for (i64 n = 0; n < g.N; ++n) std::copy(b, b + g.O, y + n * g.O);
  // A(n, i) = x[n, i], B(i, o) = w[o, i].
  run_chains({x, g.I, 1, g.N, g.I, 0, y, g.O, false}, Panels::columns_of(w, g.I, g.I, g.O, serial), serial);
}

void linear_bwd_data_det(const float* dy, const float* w, float* dx, const LinearGeom& g) {
  const bool serial = run_serially(g);
  // Direct: lanes over i, W read as it is. Transposed: lanes over n, dy^T packed, dx^T copied out.
  if (chain_cost(g.I, g.N, g.O) + kTransposeCost * (g.N * g.O + g.N * g.I) < chain_cost(g.N, g.I, g.O)) {
    // dx^T(i, n): A(i, o) = w[o, i], B(o, n) = dy[n, o]
    float* dxt = scratch(Scratch::kTransposed, g.I * g.N);
    run_chains({w, 1, g.I, g.I, g.O, 0, dxt, g.N, true}, Panels::columns_of(dy, g.O, g.O, g.N, serial), serial);
    transpose_out(dxt, g.N, g.I, g.N, dx, g.I, serial);
    return;
  }
  // A(n, o) = dy[n, o], B(o, i) = w[o, i].
  run_chains({dy, g.O, 1, g.N, g.O, 0, dx, g.I, true}, Panels::rows_of(w, g.I, g.O, g.I, serial), serial);
}

void linear_bwd_weight_det(const float* dy, const float* x, float* dw, float* db, const LinearGeom& g) {
  const bool serial = run_serially(g);
  // Direct: lanes over i. Transposed: lanes over o, dw^T copied out.
  if (chain_cost(g.I, g.O, g.N) + kTransposeCost * g.O * g.I < chain_cost(g.O, g.I, g.N)) {
    // dw^T(i, o): A(i, n) = x[n, i], B(n, o) = dy[n, o]
    float* dwt = scratch(Scratch::kTransposed, g.I * g.O);
    run_chains({x, 1, g.I, g.I, g.N, k::kBatchChunk, dwt, g.O, true}, Panels::rows_of(dy, g.O, g.N, g.O, serial), serial);
    transpose_out(dwt, g.O, g.I, g.O, dw, g.I, serial);
  } else {
    // A(o, n) = dy[n, o], B(n, i) = x[n, i].
    run_chains({dy, 1, g.O, g.O, g.N, k::kBatchChunk, dw, g.I, true}, Panels::rows_of(x, g.I, g.N, g.I, serial), serial);
  }
  if (db) {
    std::vector<float> part(static_cast<size_t>(g.O));
    k::linear_bwd_bias_row(dy, g, db, part.data());
  }
}

}  // namespace lockstep::cpu

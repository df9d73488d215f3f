// conv2d: the canonical order of each pass, per output element (the definition, used by
// the CUDA backend one thread per output and by tests with T = double), and "row" forms
// that compute many independent outputs with exactly the same per-output chain so the
// CPU can vectorise across outputs. Tests assert row == element bitwise.
// See docs/ordering.md#conv2d-forward, #conv2d-backward-data, #conv2d-backward-weight.
#pragma once

#include "kernels/reduce.h"
#include "kernels/shapes.h"

namespace lockstep::kernels {

LS_HD i64 conv_x_index(const Conv2dGeom& g, i64 n, i64 c, i64 h, i64 w) { return ((n * g.C + c) * g.H + h) * g.W + w; }
LS_HD i64 conv_w_index(const Conv2dGeom& g, i64 k, i64 c, i64 r, i64 s) { return ((k * g.C + c) * g.R + r) * g.S + s; }
LS_HD i64 conv_y_index(const Conv2dGeom& g, i64 n, i64 k, i64 p, i64 q) { return ((n * g.K + k) * g.P + p) * g.Q + q; }

// Order: acc = b[k]; for c, r, s (nested, in order), skipping taps in the zero padding:
//   acc = fma_rn(x[n,c,p*stride-pad+r, q*stride-pad+s], w[k,c,r,s], acc).
// Why skip rather than add 0*w: identical for finite inputs, and a padded tap must not turn
// an infinite weight into NaN.
template <class T>
LS_HD T conv2d_fwd_elem(const T* x, const T* w, const T* b, const Conv2dGeom& g, i64 n, i64 k, i64 p, i64 q) {
  T acc = b[k];
  for (i64 c = 0; c < g.C; ++c)
    for (i64 r = 0; r < g.R; ++r) {
      const i64 h = p * g.stride - g.pad + r;
      if (h < 0 || h >= g.H) continue;
      for (i64 s = 0; s < g.S; ++s) {
        const i64 ww = q * g.stride - g.pad + s;
        if (ww < 0 || ww >= g.W) continue;
        acc = fma_rn(x[conv_x_index(g, n, c, h, ww)], w[conv_w_index(g, k, c, r, s)], acc);
      }
    }
  return acc;
}

// The q-range whose tap s lands inside the input row: q*stride - pad + s in [0, W).
LS_HD void conv_valid_q(const Conv2dGeom& g, i64 s, i64& q_begin, i64& q_end) {
  const i64 lo = g.pad - s;  // need q*stride >= lo
  q_begin = lo <= 0 ? 0 : (lo + g.stride - 1) / g.stride;
  const i64 hi = g.W - 1 + g.pad - s;  // need q*stride <= hi
  q_end = hi < 0 ? 0 : hi / g.stride + 1;
  if (q_end > g.Q) q_end = g.Q;
  if (q_begin > q_end) q_begin = q_end;
}

// y[n,k,p,0..Q): the forward order of conv2d_fwd_elem for every q of one output row, the
// q loop innermost so that independent outputs vectorise. Same chain per output.
template <class T>
LS_HD void conv2d_fwd_row(const T* x, const T* w, const T* b, const Conv2dGeom& g, i64 n, i64 k, i64 p, T* y_row) {
  for (i64 q = 0; q < g.Q; ++q) y_row[q] = b[k];
  for (i64 c = 0; c < g.C; ++c)
    for (i64 r = 0; r < g.R; ++r) {
      const i64 h = p * g.stride - g.pad + r;
      if (h < 0 || h >= g.H) continue;
      const T* x_row = x + conv_x_index(g, n, c, h, 0);
      for (i64 s = 0; s < g.S; ++s) {
        const T wv = w[conv_w_index(g, k, c, r, s)];
        i64 q0, q1;
        conv_valid_q(g, s, q0, q1);
        const i64 off = s - g.pad;
        for (i64 q = q0; q < q1; ++q) y_row[q] = fma_rn(x_row[q * g.stride + off], wv, y_row[q]);
      }
    }
}

// Order: acc = 0; for k, r, s (nested, in order), over the taps (p, q) that read x[n,c,h,w]
// (h + pad - r = p*stride with p in [0,P), likewise q): acc = fma_rn(dy[n,k,p,q], w[k,c,r,s], acc).
// Stride > 0 states g.stride at compile time (the caller guarantees they agree): the same
// chain without a division per tap, for callers that run it often (the CPU's fix-ups).
template <class T, int Stride = 0>
LS_HD T conv2d_bwd_data_elem(const T* dy, const T* w, const Conv2dGeom& g, i64 n, i64 c, i64 h, i64 ww) {
  const i64 stride = Stride > 0 ? Stride : g.stride;
  T acc = T(0);
  for (i64 k = 0; k < g.K; ++k)
    for (i64 r = 0; r < g.R; ++r) {
      const i64 ph = h + g.pad - r;
      if (ph < 0 || ph % stride != 0 || ph / stride >= g.P) continue;
      for (i64 s = 0; s < g.S; ++s) {
        const i64 qw = ww + g.pad - s;
        if (qw < 0 || qw % stride != 0 || qw / stride >= g.Q) continue;
        acc = fma_rn(dy[conv_y_index(g, n, k, ph / stride, qw / stride)], w[conv_w_index(g, k, c, r, s)], acc);
      }
    }
  return acc;
}

// dx[n,c,h,0..W): the order of conv2d_bwd_data_elem for a whole input row, w innermost.
template <class T>
LS_HD void conv2d_bwd_data_row(const T* dy, const T* w, const Conv2dGeom& g, i64 n, i64 c, i64 h, T* dx_row) {
  for (i64 x = 0; x < g.W; ++x) dx_row[x] = T(0);
  for (i64 k = 0; k < g.K; ++k)
    for (i64 r = 0; r < g.R; ++r) {
      const i64 ph = h + g.pad - r;
      if (ph < 0 || ph % g.stride != 0 || ph / g.stride >= g.P) continue;
      const T* dy_row = dy + conv_y_index(g, n, k, ph / g.stride, 0);
      for (i64 s = 0; s < g.S; ++s) {
        const T wv = w[conv_w_index(g, k, c, r, s)];
        // Input columns x with x + pad - s = q*stride, q in [0,Q): x = q*stride + s - pad.
        i64 q0, q1;
        conv_valid_q(g, s, q0, q1);
        const i64 off = s - g.pad;
        for (i64 q = q0; q < q1; ++q) dx_row[q * g.stride + off] = fma_rn(dy_row[q], wv, dx_row[q * g.stride + off]);
      }
    }
}

// Order, for chunk j of kBatchChunk samples: partial = 0; for n in the chunk, p, q (in order),
// skipping taps in the padding: partial = fma_rn(dy[n,k,p,q], x[n,c,p*stride-pad+r, q*stride-pad+s], partial).
template <class T>
LS_HD T conv2d_bwd_weight_chunk(const T* dy, const T* x, const Conv2dGeom& g, i64 j, i64 k, i64 c, i64 r, i64 s) {
  T acc = T(0);
  const i64 n_end = (j + 1) * kBatchChunk < g.N ? (j + 1) * kBatchChunk : g.N;
  for (i64 n = j * kBatchChunk; n < n_end; ++n)
    for (i64 p = 0; p < g.P; ++p) {
      const i64 h = p * g.stride - g.pad + r;
      if (h < 0 || h >= g.H) continue;
      for (i64 q = 0; q < g.Q; ++q) {
        const i64 ww = q * g.stride - g.pad + s;
        if (ww < 0 || ww >= g.W) continue;
        acc = fma_rn(dy[conv_y_index(g, n, k, p, q)], x[conv_x_index(g, n, c, h, ww)], acc);
      }
    }
  return acc;
}

// Order: dw[k,c,r,s] = 0 + partial_0 + partial_1 + ... over the batch chunks, left to right.
template <class T>
LS_HD T conv2d_bwd_weight_elem(const T* dy, const T* x, const Conv2dGeom& g, i64 k, i64 c, i64 r, i64 s) {
  T acc = T(0);
  for (i64 j = 0; j < num_chunks(g.N, kBatchChunk); ++j) acc = acc + conv2d_bwd_weight_chunk(dy, x, g, j, k, c, r, s);
  return acc;
}

// Order, per chunk: partial = 0; for n in the chunk, p, q: partial = partial + dy[n,k,p,q];
// db[k] = 0 + partial_0 + partial_1 + ... left to right.
template <class T>
LS_HD T conv2d_bwd_bias_elem(const T* dy, const Conv2dGeom& g, i64 k) {
  T acc = T(0);
  for (i64 j = 0; j < num_chunks(g.N, kBatchChunk); ++j) {
    T part = T(0);
    const i64 n_end = (j + 1) * kBatchChunk < g.N ? (j + 1) * kBatchChunk : g.N;
    for (i64 n = j * kBatchChunk; n < n_end; ++n)
      for (i64 i = 0; i < g.P * g.Q; ++i) part = part + dy[conv_y_index(g, n, k, 0, 0) + i];
    acc = acc + part;
  }
  return acc;
}

}  // namespace lockstep::kernels

namespace lockstep::kernels {

// acc_rs[r*S+s] for every tap (r, s) of one (k, c) pair over batch chunk j: the order of
// conv2d_bwd_weight_chunk for all R*S outputs at once, (n, p, q) outermost.
template <class T>
LS_HD void conv2d_bwd_weight_chunk_rs(const T* dy, const T* x, const Conv2dGeom& g, i64 j, i64 k, i64 c, T* acc_rs) {
  for (i64 i = 0; i < g.R * g.S; ++i) acc_rs[i] = T(0);
  const i64 n_end = (j + 1) * kBatchChunk < g.N ? (j + 1) * kBatchChunk : g.N;
  for (i64 n = j * kBatchChunk; n < n_end; ++n)
    for (i64 p = 0; p < g.P; ++p)
      for (i64 q = 0; q < g.Q; ++q) {
        const T d = dy[conv_y_index(g, n, k, p, q)];
        for (i64 r = 0; r < g.R; ++r) {
          const i64 h = p * g.stride - g.pad + r;
          if (h < 0 || h >= g.H) continue;
          const T* x_row = x + conv_x_index(g, n, c, h, 0);
          for (i64 s = 0; s < g.S; ++s) {
            const i64 ww = q * g.stride - g.pad + s;
            if (ww < 0 || ww >= g.W) continue;
            acc_rs[r * g.S + s] = fma_rn(d, x_row[ww], acc_rs[r * g.S + s]);
          }
        }
      }
}

}  // namespace lockstep::kernels

// ---------------------------------------------------------------------------------------
// GEMM-shaped forms of the three passes: the backend packs one panel of NR columns of an
// im2col-style matrix B, then runs kernels::chain_tile (kernels/linear.h, Note [Chain tiles])
// with each output's kk running in exactly the canonical order:
//   forward      kk = (c, r, s)           columns (p, q) of one sample,  chain from b[k]
//   backward data kk = (k, r, s)          columns (h, w) of one sample,  chain from 0
//   backward weight kk = (n, p, q) in one batch chunk, columns (c, r, s) and a bias column
// A tap the canonical order skips (padding, stride gaps) becomes a packed zero. See
// Note [Zero taps] for why that changes at most the sign of a zero output, which the backend
// repairs; with non-finite multipliers it uses the row forms above.
#include "kernels/linear.h"

namespace lockstep::kernels {

// Note [Zero taps]
// A packed zero tap computes acc = fma_rn(0, v, acc) where the canonical order skips the tap.
// With v finite, 0*v is an exact +-0, and acc + (+-0) = acc for every acc except a zero acc,
// whose sign may flip (-0 + +0 = +0). A later canonical step fma_rn(a, b, acc) sees the same
// exact value a*b + acc for either zero sign, so it rounds to the same result unless that
// result is itself zero. Hence the packed form equals the canonical chain everywhere except
// possibly the sign of an output that is exactly zero; the backend recomputes those outputs
// with the *_elem function. A chain may reach -0 by underflow
// (fma_rn(-2^-100, 2^-100, +0) = -0), which is why the fix-up is needed even from a +0 start.
// Backward weight needs no fix-up: its chunk partials are combined as 0 + part_0 + ..., and
// a sum starting from +0 is never -0, so a zero-sign difference in a partial cannot survive.
// Why check finiteness rather than assume: an infinite multiplier would turn a skipped tap into NaN.
template <class T>
LS_HD bool conv2d_zero_taps_exact(const T* v, i64 nv) {
  i64 bad = 0;  // counted, as in conv2d_no_tiny_factors, so that the scan vectorises
  for (i64 i = 0; i < nv; ++i) bad += v[i] - v[i] == T(0) ? 0 : 1;  // inf and NaN are bad
  return bad == 0;
}

// Forward panel: panel[kk*NR + j] = x[n, c, p*stride-pad+r, q*stride-pad+s] for kk = (c,r,s)
// and output column p*Q+q = col0 + j; 0 for padded taps and for columns past P*Q.
template <int NR, class T>
LS_HD void conv2d_fwd_pack_panel(const T* x, const Conv2dGeom& g, i64 n, i64 col0, T* panel) {
  i64 hb[NR], wb[NR];
  for (int j = 0; j < NR; ++j) {
    const i64 col = col0 + j;
    const bool in = col < g.P * g.Q;
    hb[j] = in ? (col / g.Q) * g.stride - g.pad : -(i64(1) << 40);
    wb[j] = in ? (col % g.Q) * g.stride - g.pad : -(i64(1) << 40);
  }
  // Why the split: without padding every in-range column reads x at a fixed offset, so the
  // copy needs no bounds tests (the packing otherwise costs as much as the arithmetic).
  bool all_inside = g.pad == 0;
  for (int j = 0; j < NR; ++j) all_inside = all_inside && hb[j] >= 0;
  for (i64 c = 0; c < g.C; ++c) {
    const T* xc = x + conv_x_index(g, n, c, 0, 0);
    for (i64 r = 0; r < g.R; ++r)
      for (i64 s = 0; s < g.S; ++s) {
        T* out = panel + ((c * g.R + r) * g.S + s) * NR;
        if (all_inside) {
          for (int j = 0; j < NR; ++j) out[j] = xc[(hb[j] + r) * g.W + wb[j] + s];
          continue;
        }
        for (int j = 0; j < NR; ++j) {
          const i64 h = hb[j] + r, w = wb[j] + s;
          out[j] = (h >= 0 && h < g.H && w >= 0 && w < g.W) ? xc[h * g.W + w] : T(0);
        }
      }
  }
}

// Backward-data panel: panel[kk*NR + j] = dy[n, k, p, q] for kk = (k,r,s) and input column
// h*W+w = col0 + j with h+pad-r = p*stride, w+pad-s = q*stride inside the output; else 0.
template <int NR, class T>
LS_HD void conv2d_bwd_data_pack_panel(const T* dy, const Conv2dGeom& g, i64 n, i64 col0, T* panel) {
  i64 hb[NR], wb[NR];
  for (int j = 0; j < NR; ++j) {
    const i64 col = col0 + j;
    const bool in = col < g.H * g.W;
    hb[j] = in ? col / g.W + g.pad : -(i64(1) << 40);
    wb[j] = in ? col % g.W + g.pad : -(i64(1) << 40);
  }
  for (i64 k = 0; k < g.K; ++k) {
    const T* dyk = dy + conv_y_index(g, n, k, 0, 0);
    for (i64 r = 0; r < g.R; ++r)
      for (i64 s = 0; s < g.S; ++s) {
        T* out = panel + ((k * g.R + r) * g.S + s) * NR;
        if (g.stride == 1) {  // no divisions: they would cost more than the arithmetic
          for (int j = 0; j < NR; ++j) {
            const i64 ph = hb[j] - r, qw = wb[j] - s;
            out[j] = (ph >= 0 && qw >= 0 && ph < g.P && qw < g.Q) ? dyk[ph * g.Q + qw] : T(0);
          }
          continue;
        }
        for (int j = 0; j < NR; ++j) {
          const i64 ph = hb[j] - r, qw = wb[j] - s;
          const bool ok = ph >= 0 && qw >= 0 && ph % g.stride == 0 && qw % g.stride == 0 &&
                          ph / g.stride < g.P && qw / g.stride < g.Q;
          out[j] = ok ? dyk[(ph / g.stride) * g.Q + qw / g.stride] : T(0);
        }
      }
  }
}

// Forward at stride 1 without an im2col panel. `xp` is one sample's x copied into a zero
// frame of `pad`, xp[(c*Hp + i)*Wp + j] = x[n, c, i-pad, j-pad] (0 outside x), so tap
// kk = (c, r, s) of output (p, q) reads xp[p*Wp + q + off[kk]] with off[kk] = (c*Hp + r)*Wp + s.
// kernels::chain_tile_op with A(k, kk) = w[k*C*R*S + kk], B(kk) = xp + p*Wp + q0 + off[kk] and
// C = b[k] runs each output's chain in the order of conv2d_fwd_elem; taps in the padding read
// a frame zero (Note [Zero taps]). Needs Hp >= H + 2*pad and Wp >= Q + S - 1 (= W + 2*pad). A
// tile of consecutive p*Wp + q may run on into the next row: its lanes with q >= Q are not
// outputs and are dropped.
LS_HD void conv2d_fwd_s1_offsets(const Conv2dGeom& g, i64 Hp, i64 Wp, i64* off) {
  for (i64 c = 0; c < g.C; ++c)
    for (i64 r = 0; r < g.R; ++r)
      for (i64 s = 0; s < g.S; ++s) off[(c * g.R + r) * g.S + s] = (c * Hp + r) * Wp + s;
}

// Backward data at stride 1 without an im2col panel. `dyp` is one sample's dy copied into a
// zero frame, dyp[(k*Hp + i)*Wp + j] = dy[n, k, i-(R-1-pad), j-(S-1-pad)] (0 outside dy), so
// tap kk = (k, r, s) of output (h, w) reads dyp[h*Wp + w + off[kk]] with
//   off[kk] = (k*Hp + R-1-r)*Wp + S-1-s
// and no bounds tests; with wt[kk*C + c] = w[k, c, r, s], kernels::chain_tile_op (A = wt,
// B(kk) = dyp + h*Wp + w0 + off[kk]) runs each output's chain over kk = (k, r, s) in the
// canonical order of conv2d_bwd_data_elem from +0; the taps that order skips read a frame zero (Note [Zero taps]).
// Needs stride 1 and pad <= R-1, S-1; Hp >= H + R - 1 and Wp >= (tile end) + S - 1.
LS_HD void conv2d_bwd_data_s1_offsets(const Conv2dGeom& g, i64 Hp, i64 Wp, i64* off) {
  for (i64 k = 0; k < g.K; ++k)
    for (i64 r = 0; r < g.R; ++r)
      for (i64 s = 0; s < g.S; ++s) off[(k * g.R + r) * g.S + s] = (k * Hp + g.R - 1 - r) * Wp + g.S - 1 - s;
}

// Backward weight at stride 1 without padding, without an im2col panel: with dyT[kk*ld + k] =
// dy[n, k, p, q] for kk = (n, p, q), kernels::chunked_chain_tile_op with
//   A(m, kk) = x[base[m] + off[kk]],  base[m] = (c*H + r)*W + s for m = (c, r, s),
//                                     off[kk] = (n*C*H + p)*W + q   (x[n, c, p+r, q+s]),
//   B(kk, k) = dyT[kk*ld + k],  chunk = kBatchChunk*P*Q,  C = 0
// gives dw[k, c, r, s] = 0 + part_0 + part_1 + ... with each part the chunk's chain over
// (n, p, q): the order of conv2d_bwd_weight_elem, since no tap is skipped at stride 1, pad 0.
// So does kernels::chain_tile_op from +0 over one chunk's kk at a time (that chunk's part),
// the parts then added in chunk order: the CPU's form, which lets threads split the chunks.
LS_HD void conv2d_bwd_weight_s1_offsets(const Conv2dGeom& g, i64* base, i64* off) {
  for (i64 c = 0; c < g.C; ++c)
    for (i64 r = 0; r < g.R; ++r)
      for (i64 s = 0; s < g.S; ++s) base[(c * g.R + r) * g.S + s] = (c * g.H + r) * g.W + s;
  for (i64 n = 0; n < g.N; ++n)
    for (i64 p = 0; p < g.P; ++p)
      for (i64 q = 0; q < g.Q; ++q) off[(n * g.P + p) * g.Q + q] = (n * g.C * g.H + p) * g.W + q;
}

// Note [Tiny factors]
// From a +0 start, a chain of fma_rn can reach -0 only by underflow: an exact zero sum is +0
// (RN, opposite-signed zeros or cancellation) unless the accumulator is already -0. If every
// nonzero factor has |v| >= 2^-51, each exact product is a multiple of 2^-148 (the quantum of
// such a float is 2^(e-23) >= 2^-74) and every float accumulator a multiple of 2^-149, so a
// nonzero exact sum is at least 2^-149 in magnitude and rounds to a nonzero float: no chain
// ever holds -0, and an extra zero tap (+-0 added to a nonzero or +0 accumulator) changes
// nothing. Then the zero-tap forms equal the canonical chain bit for bit with no fix-up.
template <class T>
LS_HD bool conv2d_no_tiny_factors(const T* v, i64 nv) {
  // Branch-free and counted: GCC vectorises this form of the scan; with && and a bool
  // accumulator it stayed scalar and took as long as conv1's whole backward-data pass.
  i64 bad = 0;
  for (i64 i = 0; i < nv; ++i) {
    const T x = v[i];
    const bool ok = (x == T(0)) | (((x >= T(0x1p-51)) | (x <= T(-0x1p-51))) & (x - x == T(0)));
    bad += ok ? 0 : 1;
  }
  return bad == 0;
}

// Backward-weight panel for samples [n0, n1): panel[kk*NR + j] for kk = (n-n0, p, q) and
// filter column c*R*S + r*S + s = col0 + j: x[n, c, p*stride-pad+r, q*stride-pad+s] (0 in the
// padding); column C*R*S is the bias column of ones (fma_rn(dy, 1, part) == part + dy, since
// dy*1 is exact), later columns 0.
template <int NR, class T>
LS_HD void conv2d_bwd_weight_pack_panel(const T* x, const Conv2dGeom& g, i64 n0, i64 n1, i64 col0, T* panel) {
  const i64 crs = g.C * g.R * g.S;
  i64 cb[NR], rb[NR], sb[NR];
  int kind[NR];  // 0: filter tap, 1: bias column, 2: padding column
  for (int j = 0; j < NR; ++j) {
    const i64 col = col0 + j;
    kind[j] = col < crs ? 0 : (col == crs ? 1 : 2);
    cb[j] = kind[j] == 0 ? col / (g.R * g.S) : 0;
    rb[j] = kind[j] == 0 ? (col / g.S) % g.R : 0;
    sb[j] = kind[j] == 0 ? col % g.S : 0;
  }
  i64 kk = 0;
  for (i64 n = n0; n < n1; ++n)
    for (i64 p = 0; p < g.P; ++p)
      for (i64 q = 0; q < g.Q; ++q, ++kk) {
        T* out = panel + kk * NR;
        for (int j = 0; j < NR; ++j) {
          const i64 h = p * g.stride - g.pad + rb[j], w = q * g.stride - g.pad + sb[j];
          const bool in = kind[j] == 0 && h >= 0 && h < g.H && w >= 0 && w < g.W;
          out[j] = in ? x[conv_x_index(g, n, cb[j], h, w)] : (kind[j] == 1 ? T(1) : T(0));
        }
      }
}

}  // namespace lockstep::kernels

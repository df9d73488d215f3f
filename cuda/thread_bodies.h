// What one thread of each deterministic CUDA kernel computes: LS_HD functions of the inputs
// and an item index t, each a call into kernels/. The __global__ kernels in cuda/*.cu are a
// grid-stride loop around one of these and nothing else, so everything but the loop and the
// launch also runs on the CPU: tests/kernels/cuda_thread_bodies_test.cpp evaluates every item
// in scrambled order and checks the CPU deterministic kernels' bits.
// Batch reductions run in two kernels: one item per (output, chunk) writes a partial, laid
// out output-major (partial[e * chunks + j]); one item per output combines its partials in
// chunk order with kernels::combine_partials, as the CPU does. Never atomics.
#pragma once

#include <cstdint>

#include "kernels/conv2d.h"
#include "kernels/dropout.h"
#include "kernels/linear.h"
#include "kernels/log_softmax.h"
#include "kernels/max_pool2d.h"
#include "kernels/nll_loss.h"
#include "kernels/reduce.h"

namespace lockstep::cuda {
namespace kn = lockstep::kernels;
using kn::i64;

// Note [Sub-batch partials]: where kernels/ has no per-chunk function (biases, linear weights),
// chunk j's partial is the whole-batch function on the sub-batch of chunk j, which returns
// 0 + part_j instead of part_j. Combining (0 + part_j) gives the CPU's bits: 0 + p equals p
// except for p = -0, which becomes +0, and an accumulator that starts at 0 and adds is never
// -0 in round-to-nearest, so acc + (+0) == acc + (-0) at every step.
LS_HD i64 batch_chunks(i64 n) { return kn::num_chunks(n, kn::kBatchChunk); }
LS_HD i64 chunk_rows(i64 n, i64 j) { return kn::chunk_end(j, n) - j * kn::kBatchChunk; }

// Order: kernels::combine_partials over partials[e * chunks .. e * chunks + chunks).
LS_HD float combine_item(const float* partial, i64 chunks, i64 e) {
  return kn::combine_partials(partial + e * chunks, chunks);
}

// ---- conv2d ----
// t: flat index of y (n, k, p, q).
LS_HD float conv2d_fwd_item(const float* x, const float* w, const float* b, const kn::Conv2dGeom& g, i64 t) {
  const i64 q = t % g.Q, p = (t / g.Q) % g.P, k = (t / (g.Q * g.P)) % g.K, n = t / (g.Q * g.P * g.K);
  return kn::conv2d_fwd_elem(x, w, b, g, n, k, p, q);
}
// t: flat index of dx (n, c, h, w).
LS_HD float conv2d_bwd_data_item(const float* dy, const float* w, const kn::Conv2dGeom& g, i64 t) {
  const i64 ww = t % g.W, h = (t / g.W) % g.H, c = (t / (g.W * g.H)) % g.C, n = t / (g.W * g.H * g.C);
  return kn::conv2d_bwd_data_elem(dy, w, g, n, c, h, ww);
}
// t = e * chunks + j, e the flat index of dw (k, c, r, s): the raw chunk partial.
LS_HD float conv2d_bwd_weight_partial_item(const float* dy, const float* x, const kn::Conv2dGeom& g, i64 t) {
  const i64 chunks = batch_chunks(g.N), j = t % chunks, e = t / chunks;
  const i64 s = e % g.S, r = (e / g.S) % g.R, c = (e / (g.S * g.R)) % g.C, k = e / (g.S * g.R * g.C);
  return kn::conv2d_bwd_weight_chunk(dy, x, g, j, k, c, r, s);
}
// t = k * chunks + j. See Note [Sub-batch partials].
LS_HD float conv2d_bwd_bias_partial_item(const float* dy, const kn::Conv2dGeom& g, i64 t) {
  const i64 chunks = batch_chunks(g.N), j = t % chunks, k = t / chunks;
  kn::Conv2dGeom sub = g;
  sub.N = chunk_rows(g.N, j);
  return kn::conv2d_bwd_bias_elem(dy + j * kn::kBatchChunk * g.K * g.P * g.Q, sub, k);
}

// ---- linear ----
// t: flat index of y (n, o).
LS_HD float linear_fwd_item(const float* x, const float* w, const float* b, const kn::LinearGeom& g, i64 t) {
  return kn::linear_fwd_elem(x, w, b, g, t / g.O, t % g.O);
}
// t: flat index of dx (n, i).
LS_HD float linear_bwd_data_item(const float* dy, const float* w, const kn::LinearGeom& g, i64 t) {
  return kn::linear_bwd_data_elem(dy, w, g, t / g.I, t % g.I);
}
// t = (o * I + i) * chunks + j. See Note [Sub-batch partials].
LS_HD float linear_bwd_weight_partial_item(const float* dy, const float* x, const kn::LinearGeom& g, i64 t) {
  const i64 chunks = batch_chunks(g.N), j = t % chunks, e = t / chunks;
  const kn::LinearGeom sub{chunk_rows(g.N, j), g.I, g.O};
  const i64 n0 = j * kn::kBatchChunk;
  return kn::linear_bwd_weight_elem(dy + n0 * g.O, x + n0 * g.I, sub, e / g.I, e % g.I);
}
// t = o * chunks + j. See Note [Sub-batch partials].
LS_HD float linear_bwd_bias_partial_item(const float* dy, const kn::LinearGeom& g, i64 t) {
  const i64 chunks = batch_chunks(g.N), j = t % chunks, o = t / chunks;
  const kn::LinearGeom sub{chunk_rows(g.N, j), g.I, g.O};
  return kn::linear_bwd_bias_elem(dy + j * kn::kBatchChunk * g.O, sub, o);
}

// ---- max_pool2d ----
// t: flat index of y (n, c, p, q); writes argmax[t].
LS_HD float max_pool2d_fwd_item(const float* x, i64* argmax, const kn::Pool2dGeom& g, i64 t) {
  const i64 pq = t % (g.P * g.Q), nc = t / (g.P * g.Q);
  return kn::max_pool2d_fwd_elem(x + nc * g.H * g.W, g, pq / g.Q, pq % g.Q, argmax + t);
}
// t: flat index of dx (n, c, h, w).
LS_HD float max_pool2d_bwd_item(const float* dy, const i64* argmax, const kn::Pool2dGeom& g, i64 t) {
  const i64 hw = t % (g.H * g.W), nc = t / (g.H * g.W);
  return kn::max_pool2d_bwd_elem(dy + nc * g.P * g.Q, argmax + nc * g.P * g.Q, g, hw / g.W, hw % g.W);
}
// max_pool2d_relu: as above, with relu applied to the output and its backward to dy; with
// drop (dropout2d_max_pool2d_relu), the dropout2d mask of plane nc applied to x first and
// its backward last.
LS_HD float max_pool2d_relu_fwd_item(const float* x, const kn::DropoutParams* drop, i64* argmax,
                                     const kn::Pool2dGeom& g, i64 t) {
  const i64 pq = t % (g.P * g.Q), nc = t / (g.P * g.Q);
  const float* plane = x + nc * g.H * g.W;
  if (drop) return kn::dropout2d_max_pool2d_relu_fwd_elem(plane, *drop, nc, g, pq / g.Q, pq % g.Q, argmax + t);
  return kn::max_pool2d_relu_fwd_elem(plane, g, pq / g.Q, pq % g.Q, argmax + t);
}
LS_HD float max_pool2d_relu_bwd_item(const float* dy, const float* y, const i64* argmax, const kn::DropoutParams* drop,
                                     const kn::Pool2dGeom& g, i64 t) {
  const i64 hw = t % (g.H * g.W), nc = t / (g.H * g.W), plane = nc * g.P * g.Q;
  if (drop)
    return kn::dropout2d_max_pool2d_relu_bwd_elem(dy + plane, y + plane, argmax + plane, *drop, nc, g, hw / g.W,
                                                  hw % g.W);
  return kn::max_pool2d_relu_bwd_elem(dy + plane, y + plane, argmax + plane, g, hw / g.W, hw % g.W);
}

// ---- sum, nll_loss, log_softmax ----
// t: chunk of kSumChunk elements.
LS_HD float sum_partial_item(const float* x, i64 n, i64 t) {
  const i64 begin = t * kn::kSumChunk;
  return kn::sum_chain(x, begin, begin + kn::kSumChunk < n ? begin + kn::kSumChunk : n);
}
// t: batch chunk.
LS_HD float nll_loss_fwd_partial_item(const float* logp, const i64* target, i64 rows, i64 cols, i64 t) {
  return kn::nll_loss_fwd_partial(logp, target, rows, cols, t);
}
// t: flat index of dlogp (n, j); 0 except at the target column.
LS_HD float nll_loss_bwd_item(const float* dloss, const i64* target, i64 cols, i64 mean_over, i64 t) {
  return t % cols == target[t / cols] ? kn::nll_loss_bwd_value(*dloss, mean_over) : 0.0f;
}
// t: row.
LS_HD void log_softmax_fwd_item(const float* x, float* y, i64 cols, i64 t) {
  kn::log_softmax_fwd_row(x + t * cols, y + t * cols, cols);
}
LS_HD void log_softmax_bwd_item(const float* dy, const float* y, float* dx, i64 cols, i64 t) {
  kn::log_softmax_bwd_row(dy + t * cols, y + t * cols, dx + t * cols, cols);
}

// ---- dropout, gather ----
// t: element. Why not share a Philox block between 4 threads: each item stays a pure function
// of t; the block is recomputed (40 integer ops) rather than coordinating threads.
LS_HD float dropout_item(const float* x, const kn::DropoutParams& d, i64 t) { return kn::dropout_apply_elem(x, d, t); }
// t: 32-bit word of the output, rows of row_words words.
LS_HD std::uint32_t gather_item(const std::uint32_t* src, const i64* index, i64 row_words, i64 t) {
  return src[index[t / row_words] * row_words + t % row_words];
}

}  // namespace lockstep::cuda

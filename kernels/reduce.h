// The canonical reduction trees. Every sum that spans many terms (a whole tensor,
// or the batch dimension of a gradient) is cut into chunks whose width is a constant
// of the order, never of the thread count or launch shape; each chunk is a sequential
// chain and the partials are combined left to right. A CPU thread or a CUDA block
// owns whole chunks. See docs/ordering.md#canonical-reduction-tree.
#pragma once

#include "kernels/hd.h"

namespace lockstep::kernels {

// Width of one chunk in a full-tensor sum (sum, mean).
inline constexpr i64 kSumChunk = 1024;
// Samples per chunk in reductions over the batch (bias and weight gradients, nll_loss).
inline constexpr i64 kBatchChunk = 8;

LS_HD i64 num_chunks(i64 n, i64 chunk) { return (n + chunk - 1) / chunk; }

// Order: acc = 0; for i in [begin, end): acc = acc + x[i].
template <class T>
LS_HD T sum_chain(const T* x, i64 begin, i64 end) {
  T acc = T(0);
  for (i64 i = begin; i < end; ++i) acc = acc + x[i];
  return acc;
}

// Order: acc = 0; for chunk j in order: acc = acc + partial[j].
template <class T>
LS_HD T combine_partials(const T* partial, i64 count) {
  return sum_chain(partial, 0, count);
}

// The same combination for n outputs at once: part holds count chunk partials of n values each,
// chunk j's at part[j*n .. j*n + n). Order, per output e: out[e] = 0; for chunk j in order:
// out[e] = out[e] + part[j*n + e]. Data-parallel training combines every rank's partials with
// it (docs/ordering.md#data-parallel-batch-reduction).
template <class T>
LS_HD void combine_chunk_partials(const T* part, i64 count, i64 n, T* out) {
  for (i64 e = 0; e < n; ++e) out[e] = T(0);
  for (i64 j = 0; j < count; ++j)
    for (i64 e = 0; e < n; ++e) out[e] = out[e] + part[j * n + e];
}

// Reference of the whole tree in one thread; backends reproduce it with chunks in parallel.
template <class T>
LS_HD T sum_canonical(const T* x, i64 n) {
  T acc = T(0);
  for (i64 begin = 0; begin < n; begin += kSumChunk) {
    const i64 end = begin + kSumChunk < n ? begin + kSumChunk : n;
    acc = acc + sum_chain(x, begin, end);
  }
  return acc;
}

}  // namespace lockstep::kernels

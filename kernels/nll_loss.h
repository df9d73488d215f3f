// nll_loss with mean reduction: the batch sum uses the canonical batch chunks of
// kernels/reduce.h (kBatchChunk samples per chunk, partials combined in chunk order).
// Implements docs/ordering.md#nll_loss-forward and #nll_loss-backward. Targets are
// validated on the host before any kernel runs; these functions trust them.
// Not here: class weights, ignore_index, sum/none reductions.
#pragma once

#include "kernels/hd.h"
#include "kernels/reduce.h"

namespace lockstep::kernels {

// logp: (rows, cols), target: (rows). Partial sum of chunk j.
// Order: acc = 0; for n in [j*kBatchChunk, min((j+1)*kBatchChunk, rows)): acc = acc + logp[n, t_n].
template <class T>
LS_HD T nll_loss_fwd_partial(const T* logp, const i64* target, i64 rows, i64 cols, i64 chunk) {
  const i64 begin = chunk * kBatchChunk;
  const i64 end = begin + kBatchChunk < rows ? begin + kBatchChunk : rows;
  T acc = T(0);
  for (i64 n = begin; n < end; ++n) acc = acc + logp[n * cols + target[n]];
  return acc;
}

// Order: total = combine_partials(partial, num_chunks(rows, kBatchChunk)); loss = -total / rows
// (negation exact, then one division).
template <class T>
LS_HD T nll_loss_fwd_finish(const T* partial, i64 rows) {
  const T total = combine_partials(partial, num_chunks(rows, kBatchChunk));
  return -total / static_cast<T>(rows);
}

// The one non-zero value of each row of dlogp, at column target[n]; every other entry is 0.
// Order: g = -(dloss / rows).
template <class T>
LS_HD T nll_loss_bwd_value(T dloss, i64 rows) {
  return -(dloss / static_cast<T>(rows));
}

}  // namespace lockstep::kernels

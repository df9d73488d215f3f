// The parameter gradients of a layer in a data-parallel step (core/batch_shard.h): in
// deterministic mode each local batch chunk's partial is computed by the layer's own
// deterministic weight-gradient kernel run on that chunk alone, and left in the shard.
//
// Why that is the canonical partial: the kernel's order for one chunk is dw = 0 + partial, and
// 0 + p equals p except that a partial of -0 becomes +0; the combination 0 + r_0 + r_1 + ...
// of kernels/reduce.h never holds -0 (it starts at +0, and a sum of a non-(-0) value and a
// zero of either sign is that value), so adding a +0 where the partial was -0 gives the same
// bits. docs/ordering.md#data-parallel-batch-reduction says more.
#pragma once

#include <algorithm>

#include "core/batch_shard.h"
#include "core/mode.h"
#include "core/ops/common.h"
#include "kernels/reduce.h"

namespace lockstep::ops {

// The active shard when this backward must leave partials (deterministic mode, in a shard),
// else nullptr. `op` and `batch_rows` check that the layer sees exactly the shard's rows.
inline BatchShardScope* shard_taking_partials(std::string_view op, i64 batch_rows) {
  BatchShardScope* s = active_batch_shard();
  if (!s || current_mode() != Mode::Deterministic) return nullptr;
  LS_CHECK(batch_rows == s->shard().rows, ShapeError, op, ": a data-parallel step holds ", s->shard().rows,
           " rows of the batch, the layer's input has ", batch_rows);
  return s;
}

// Calls chunk_kernel(i, first_row, rows) for each local chunk i in order.
template <class F>
void for_each_local_chunk(i64 rows, F chunk_kernel) {
  for (i64 i = 0, r0 = 0; r0 < rows; ++i, r0 += kernels::kBatchChunk)
    chunk_kernel(i, r0, std::min<i64>(kernels::kBatchChunk, rows - r0));
}

}  // namespace lockstep::ops

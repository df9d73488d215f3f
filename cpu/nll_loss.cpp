// CPU nll_loss: threads own whole batch chunks (kernels/reduce.h kBatchChunk), whose
// partials are combined in chunk order on the calling thread, so the thread count never
// moves a chunk boundary. The backward is one value per row, written after a zero fill.
#include <vector>

#include "cpu/kernels.h"
#include "cpu/parallel.h"
#include "kernels/nll_loss.h"

namespace lockstep::cpu {
namespace k = lockstep::kernels;
namespace {
constexpr i64 kChunkGrain = 16;
constexpr i64 kRowGrain = 256;
}  // namespace

void nll_loss_fwd_det(const float* logp, const i64* target, float* loss, i64 rows, i64 cols) {
  const i64 chunks = k::num_chunks(rows, k::kBatchChunk);
  std::vector<float> partial(static_cast<size_t>(chunks));
  parallel_for(chunks, kChunkGrain, [&](i64 lo, i64 hi) {
    for (i64 c = lo; c < hi; ++c) partial[static_cast<size_t>(c)] = k::nll_loss_fwd_partial(logp, target, rows, cols, c);
  });
  *loss = k::nll_loss_fwd_finish(partial.data(), rows);
}

void nll_loss_bwd_det(const float* dloss, const i64* target, float* dlogp, i64 rows, i64 cols, i64 mean_over) {
  const float value = k::nll_loss_bwd_value(*dloss, mean_over);
  parallel_for(rows, kRowGrain, [&](i64 lo, i64 hi) {
    for (i64 n = lo; n < hi; ++n) {
      float* row = dlogp + n * cols;
      for (i64 j = 0; j < cols; ++j) row[j] = 0.0f;
      row[target[n]] = value;
    }
  });
}

}  // namespace lockstep::cpu

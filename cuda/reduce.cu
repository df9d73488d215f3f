// Deterministic CUDA reductions: the full-tensor sum, nll_loss and log_softmax. Sums span
// fixed chunks (kernels/reduce.h): one thread per chunk writes a partial, then one thread
// combines the partials in chunk order, exactly the CPU's tree. Rows of log_softmax are
// one thread each. See docs/ordering.md#canonical-reduction-tree, #nll_loss-forward.
#include "cuda/device.cuh"
#include "cuda/kernels.h"
#include "cuda/thread_bodies.h"

namespace lockstep::cuda {
namespace {

__global__ void sum_partial_kernel(const float* x, i64 n, float* partial, i64 chunks) {
  LS_GRID_STRIDE(t, chunks) partial[t] = sum_partial_item(x, n, t);
}
// Why one thread: a few dozen partials, combined in their fixed order.
__global__ void sum_finish_kernel(const float* partial, i64 chunks, float* y) {
  LS_GRID_STRIDE(t, 1) *y = kn::combine_partials(partial, chunks);
}
__global__ void nll_partial_kernel(const float* logp, const i64* target, i64 rows, i64 cols, float* partial,
                                   i64 chunks) {
  LS_GRID_STRIDE(t, chunks) partial[t] = nll_loss_fwd_partial_item(logp, target, rows, cols, t);
}
__global__ void nll_finish_kernel(const float* partial, i64 rows, float* loss) {
  LS_GRID_STRIDE(t, 1) *loss = kn::nll_loss_fwd_finish(partial, rows);
}
__global__ void nll_bwd_kernel(const float* dloss, const i64* target, float* dlogp, i64 rows, i64 cols,
                               i64 mean_over) {
  LS_GRID_STRIDE(t, rows * cols) dlogp[t] = nll_loss_bwd_item(dloss, target, cols, mean_over, t);
}
__global__ void log_softmax_fwd_kernel(const float* x, float* y, i64 rows, i64 cols) {
  LS_GRID_STRIDE(t, rows) log_softmax_fwd_item(x, y, cols, t);
}
__global__ void log_softmax_bwd_kernel(const float* dy, const float* y, float* dx, i64 rows, i64 cols) {
  LS_GRID_STRIDE(t, rows) log_softmax_bwd_item(dy, y, dx, cols, t);
}

}  // namespace

void sum_det(const float* x, i64 n, float* y, Cfg cfg) {
  const i64 chunks = kn::num_chunks(n, kn::kSumChunk);
  DeviceBuffer partial(static_cast<size_t>(chunks) * sizeof(float));
  LS_LAUNCH(sum_partial_kernel, chunks, cfg, x, n, partial.as<float>(), chunks);
  LS_LAUNCH(sum_finish_kernel, 1, cfg, partial.as<float>(), chunks, y);
}

void nll_loss_fwd_det(const float* logp, const i64* target, float* loss, i64 rows, i64 cols, Cfg cfg) {
  const i64 chunks = batch_chunks(rows);
  DeviceBuffer partial(static_cast<size_t>(chunks) * sizeof(float));
  LS_LAUNCH(nll_partial_kernel, chunks, cfg, logp, target, rows, cols, partial.as<float>(), chunks);
  LS_LAUNCH(nll_finish_kernel, 1, cfg, partial.as<float>(), rows, loss);
}

void nll_loss_bwd_det(const float* dloss, const i64* target, float* dlogp, i64 rows, i64 cols, i64 mean_over,
                      Cfg cfg) {
  LS_LAUNCH(nll_bwd_kernel, rows * cols, cfg, dloss, target, dlogp, rows, cols, mean_over);
}

void log_softmax_fwd_det(const float* x, float* y, i64 rows, i64 cols, Cfg cfg) {
  LS_LAUNCH(log_softmax_fwd_kernel, rows, cfg, x, y, rows, cols);
}

void log_softmax_bwd_det(const float* dy, const float* y, float* dx, i64 rows, i64 cols, Cfg cfg) {
  LS_LAUNCH(log_softmax_bwd_kernel, rows, cfg, dy, y, dx, rows, cols);
}

}  // namespace lockstep::cuda

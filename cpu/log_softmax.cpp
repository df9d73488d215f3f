// CPU log_softmax: threads split over rows only; each row is the sequential chain of
// kernels/log_softmax.h with lockstep's exp/log (never Eigen's or libm's).
#include "cpu/kernels.h"
#include "cpu/parallel.h"
#include "kernels/log_softmax.h"

namespace lockstep::cpu {
namespace k = lockstep::kernels;
namespace {
// Rows per job: a 10-class row is ~30 flops plus 11 exp/log calls.
constexpr i64 kRowGrain = 16;
}  // namespace

void log_softmax_fwd_det(const float* x, float* y, i64 rows, i64 cols) {
  parallel_for(rows, kRowGrain, [&](i64 lo, i64 hi) {
    for (i64 r = lo; r < hi; ++r) k::log_softmax_fwd_row(x + r * cols, y + r * cols, cols);
  });
}

void log_softmax_bwd_det(const float* dy, const float* y, float* dx, i64 rows, i64 cols) {
  parallel_for(rows, kRowGrain, [&](i64 lo, i64 hi) {
    for (i64 r = lo; r < hi; ++r) k::log_softmax_bwd_row(dy + r * cols, y + r * cols, dx + r * cols, cols);
  });
}

}  // namespace lockstep::cpu

// CPU log_softmax: threads split over rows only; each row is the sequential chain of
// kernels/log_softmax.h with lockstep's exp/log (never Eigen's or libm's).
#include "cpu/kernels.h"
#include "cpu/parallel.h"
#include "kernels/log_softmax.h"

namespace lockstep::cpu {
namespace k = lockstep::kernels;
namespace {
// Rows per job: a 10-class row is ~30 flops plus 11 exp/log calls, ~0.1 us; waking a second
// thread costs more than a few hundred rows (measured: a batch of 32 took 38 us on 2 threads,
// 3 us on 1).
constexpr i64 kRowGrain = 512;
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

// CPU relu: one select per element (kernels/relu.h), so any split of the range is exact.
#include "cpu/kernels.h"
#include "cpu/parallel.h"
#include "kernels/relu.h"

namespace lockstep::cpu {
namespace k = lockstep::kernels;
namespace {
// Elements per job. A select streams at well under 0.1 ns an element, while the pool's
// hand-off costs 5-10 us (measured on 2 threads): a job needs ~2^18 elements to outlast it.
// (At 2^15, relu of the reference CNN's 46080-element activation took 10x longer on 2
// threads than on 1.)
constexpr i64 kElementGrain = i64{1} << 18;
}  // namespace

void relu_fwd_det(const float* x, float* y, i64 n) {
  parallel_for(n, kElementGrain, [&](i64 lo, i64 hi) {
    for (i64 i = lo; i < hi; ++i) y[i] = k::relu_fwd_elem(x[i]);
  });
}

void relu_bwd_det(const float* dy, const float* x, float* dx, i64 n) {
  parallel_for(n, kElementGrain, [&](i64 lo, i64 hi) {
    for (i64 i = lo; i < hi; ++i) dx[i] = k::relu_bwd_elem(dy[i], x[i]);
  });
}

}  // namespace lockstep::cpu

// conv2d on the CPU, every pass, deterministic and fast side by side (bench/pass_bench.h) at
// the shapes of bench/conv2d_pass.h. det is checked bitwise against kernels/conv2d.h *_elem,
// fast within the float64 bound of reference/conv2d_ref.h.
#include "bench/conv2d_pass.h"

namespace lockstep::bench {
namespace {
void register_benchmarks() { register_pass_benchmarks(kConv2d); }
}  // namespace
}  // namespace lockstep::bench

using lockstep::bench::register_benchmarks;
LOCKSTEP_BENCH_MAIN()

// linear on the CPU, every pass, deterministic and fast side by side (bench/pass_bench.h) at
// the shapes of bench/linear_pass.h. det is checked bitwise against kernels/linear.h *_elem,
// fast within the float64 bound of reference/linear_ref.h.
#include "bench/linear_pass.h"

namespace lockstep::bench {
namespace {
void register_benchmarks() { register_pass_benchmarks(kLinear); }
}  // namespace
}  // namespace lockstep::bench

using lockstep::bench::register_benchmarks;
LOCKSTEP_BENCH_MAIN()

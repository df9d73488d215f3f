// Square SGEMM, C = A B^T (the linear forward's shape: y = x W^T), on one thread by default:
// the deterministic chain-tile kernel (cpu::linear_fwd_det with a zero bias: every output one
// sequential fma chain over k) against Eigen's own SGEMM. Validation before timing: det
// bitwise against kernels::linear_fwd_elem, Eigen within the float64 bound, on a sample of
// rows (every 16th; a full float64 check of 1024^3 would dominate the run).
// Names: gemm/cpu/<det|eigen>/<n>/threads:<t>.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"  // GCC 12 false positives in Eigen's AVX-512 code
#include <Eigen/Core>

#include "bench/bench_common.h"
#include "cpu/kernels.h"
#include "kernels/linear.h"
#include "reference/data.h"
#include "reference/ref_sums.h"

namespace lockstep::bench {
namespace {

using RowMat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// The rows of C = A B^T sampled for validation (every 16th): their canonical outputs and
// their float64 reference. A full float64 check of 1024^3 would dominate the run.
std::string verdict(bool det, const std::vector<float>& a, const std::vector<float>& b, const std::vector<float>& zero,
                    const std::vector<float>& c, const LinearGeom& g) {
  const i64 n = g.N;
  std::string v;
  for (i64 row = 0; row < n && v.empty(); row += 16) {
    std::vector<float> got(c.begin() + row * n, c.begin() + (row + 1) * n), want(static_cast<size_t>(n));
    ref::RefSums r(n);
    for (i64 o = 0; o < n; ++o) {
      want[size_t(o)] = kernels::linear_fwd_elem(a.data(), b.data(), zero.data(), g, row, o);
      for (i64 i = 0; i < n; ++i) r.add(o, double(a[size_t(row * n + i)]) * b[size_t(o * n + i)]);
    }
    v = det ? bitwise_verdict(got, want) : tolerance_verdict(got, r);
  }
  return v;
}

void bench_gemm(benchmark::State& state, bool det) {
  const i64 n = state.range(0);
  ThreadCountGuard threads(static_cast<int>(state.range(1)));
  const LinearGeom g{n, n, n};
  const auto a = test::uniform_values(1, n * n), b = test::uniform_values(2, n * n);
  const std::vector<float> zero(static_cast<size_t>(n), 0.0f);
  std::vector<float> c(static_cast<size_t>(n * n));
  Eigen::Map<const RowMat> A(a.data(), n, n), B(b.data(), n, n);
  Eigen::Map<RowMat> C(c.data(), n, n);
  auto run = [&] {
    if (det)
      cpu::linear_fwd_det(a.data(), b.data(), zero.data(), c.data(), g);
    else
      C.noalias() = A * B.transpose();
  };
  run();
  if (!validated(state, verdict(det, a, b, zero, c, g))) return;
  time_runs(state, c.data(), run);
  set_flops(state, 2.0 * double(n) * double(n) * double(n));
}

void register_benchmarks() {
  for (bool det : {true, false})
    register_benchmark(det ? "gemm/cpu/det" : "gemm/cpu/eigen", [det](benchmark::State& st) { bench_gemm(st, det); },
                       {"n", "threads"}, {{1024, 1}, {1024, 2}, {512, 1}}, benchmark::kMillisecond);
}

}  // namespace
}  // namespace lockstep::bench

using lockstep::bench::register_benchmarks;
LOCKSTEP_BENCH_MAIN()

// Shared by the benchmarks (Google Benchmark, one executable per op): the run context (CPU
// model, threads, -march level), validation verdicts, the "validate, then time" steps (a
// variant whose output fails validation posts an error, never a time) and registration.
#pragma once

#include <benchmark/benchmark.h>

#include <cstdint>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cpu/parallel.h"
#include "cpu/thread_count_guard.h"
#include "reference/bounds.h"
#include "reference/mismatch.h"
#include "reference/ref_sums.h"

#ifndef LOCKSTEP_BENCH_ARCH
#define LOCKSTEP_BENCH_ARCH "unknown"
#endif

namespace lockstep::bench {

inline std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("model name", 0) == 0 || line.rfind("Model", 0) == 0) {
      const auto colon = line.find(':');
      if (colon != std::string::npos) return line.substr(colon + 2);
    }
  return "unknown";
}

inline void add_context() {
  benchmark::AddCustomContext("cpu_model", cpu_model());
  benchmark::AddCustomContext("hardware_threads", std::to_string(std::thread::hardware_concurrency()));
  benchmark::AddCustomContext("lockstep_arch", LOCKSTEP_BENCH_ARCH);
  benchmark::AddCustomContext("lockstep_default_threads", std::to_string(num_threads()));
  benchmark::AddCustomContext("note", "each benchmark sets its own thread count (the threads: argument)");
}

// Empty when `got` equals `want` bit for bit; else a description of the first mismatch.
inline std::string bitwise_verdict(const std::vector<float>& got, const std::vector<float>& want) {
  if (got.size() != want.size()) return "size mismatch";
  const test::Mismatches m = test::bitwise_mismatches(got, want);
  if (m.count == 0) return "";
  return std::to_string(m.count) + " of " + std::to_string(got.size()) +
         " outputs differ from the canonical order (first at " + std::to_string(m.first) + ": " +
         std::to_string(got[m.first]) + " vs " + std::to_string(want[m.first]) + ")";
}

// Empty when |got - ref| <= chain_bound(terms + 1, sum|terms|) everywhere (Higham eq. 3.5, any
// order); else a description of the first element outside the bound.
inline std::string tolerance_verdict(const std::vector<float>& got, const ref::RefSums& r) {
  if (got.size() != r.value.size()) return "size mismatch";
  const std::vector<double> bound = test::ref_bounds(r, [&](size_t i) { return static_cast<double>(r.terms[i] + 1); });
  const test::Mismatches m = test::bound_mismatches(got, r.value, bound);
  if (m.count == 0) return "";
  return std::to_string(m.count) + " of " + std::to_string(got.size()) +
         " outputs outside the float64 bound (first at " + std::to_string(m.first) + ": " +
         std::to_string(got[m.first]) + " vs " + std::to_string(r.value[m.first]) + ")";
}

// Computes an expensive value (a reference) once per key and shares it between variants.
template <class T, class F>
const T& cached(const std::string& key, F make) {
  static std::mutex m;
  static std::map<std::string, T> cache;
  std::lock_guard<std::mutex> g(m);
  auto it = cache.find(key);
  if (it == cache.end()) it = cache.emplace(key, make()).first;
  return it->second;
}

// Posts a failed validation as the benchmark's error (so it gets no time); true when the
// verdict is empty and timing may go on.
inline bool validated(benchmark::State& state, const std::string& verdict) {
  if (verdict.empty()) return true;
  state.SkipWithError(verdict.c_str());
  return false;
}

// The timed loop: `run` once per iteration, its output kept alive and written back.
template <class F>
void time_runs(benchmark::State& state, const void* output, F run) {
  for (auto _ : state) {
    run();
    benchmark::DoNotOptimize(output);
    benchmark::ClobberMemory();
  }
}

inline void set_flops(benchmark::State& state, double flops_per_iteration) {
  state.counters["FLOP/s"] =
      benchmark::Counter(flops_per_iteration, benchmark::Counter::kIsIterationInvariantRate, benchmark::Counter::kIs1000);
}

// How a benchmark's iterations are timed: the wall clock, or the body's own SetIterationTime
// (the CUDA benchmarks time the device with CUDA events, bench/cuda/device_bench.h).
enum class Timer { Real, Manual };

// Registers one benchmark once per argument list in `args`.
inline void register_benchmark(const std::string& name, std::function<void(benchmark::State&)> body,
                               const std::vector<std::string>& arg_names,
                               const std::vector<std::vector<std::int64_t>>& args, benchmark::TimeUnit unit,
                               Timer timer = Timer::Real) {
  benchmark::internal::Benchmark* b = benchmark::RegisterBenchmark(name.c_str(), std::move(body));
  b->ArgNames(arg_names)->Unit(unit);
  if (timer == Timer::Real) b->UseRealTime();
  else b->UseManualTime();
  for (const auto& a : args) b->Args(a);
}

}  // namespace lockstep::bench

// The main of every benchmark executable: context first, then Google Benchmark as usual.
#define LOCKSTEP_BENCH_MAIN()                                         \
  int main(int argc, char** argv) {                                   \
    benchmark::Initialize(&argc, argv);                               \
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1; \
    lockstep::bench::add_context();                                   \
    register_benchmarks();                                            \
    benchmark::RunSpecifiedBenchmarks();                              \
    benchmark::Shutdown();                                            \
    return 0;                                                         \
  }

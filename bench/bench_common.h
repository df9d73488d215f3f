// Shared by the benchmarks (in the manner of llm.c's dev/cuda benchmarks, on Google Benchmark):
// the run context (CPU model, threads, -march level), validation verdicts, and the
// "validate, then time" wrapper: a variant whose output fails validation posts an error,
// never a time.
#pragma once

#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cpu/parallel.h"

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
  size_t bad = 0, first = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    std::uint32_t a, b;
    std::memcpy(&a, &got[i], 4);
    std::memcpy(&b, &want[i], 4);
    if (a != b && !(std::isnan(got[i]) && std::isnan(want[i])))
      if (bad++ == 0) first = i;
  }
  if (bad == 0) return "";
  return std::to_string(bad) + " of " + std::to_string(got.size()) + " outputs differ from the canonical order (first at " +
         std::to_string(first) + ": " + std::to_string(got[first]) + " vs " + std::to_string(want[first]) + ")";
}

// Empty when |got - ref| <= 2 (terms+1) u sum|terms| everywhere (Higham eq. 3.5, any order).
inline std::string tolerance_verdict(const std::vector<float>& got, const std::vector<double>& ref,
                                     const std::vector<double>& abs_sum, const std::vector<std::int64_t>& terms) {
  if (got.size() != ref.size()) return "size mismatch";
  size_t bad = 0, first = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    const double bound = 2.0 * static_cast<double>(terms[i] + 1) * 5.9604644775390625e-08 * abs_sum[i];
    if (!(std::fabs(static_cast<double>(got[i]) - ref[i]) <= bound))
      if (bad++ == 0) first = i;
  }
  if (bad == 0) return "";
  return std::to_string(bad) + " of " + std::to_string(got.size()) + " outputs outside the float64 bound (first at " +
         std::to_string(first) + ": " + std::to_string(got[first]) + " vs " + std::to_string(ref[first]) + ")";
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

// Sets the thread count for one benchmark and restores it afterwards.
class Threads {
 public:
  explicit Threads(int n) : previous_(num_threads()) { set_num_threads(n); }
  ~Threads() { set_num_threads(previous_); }

 private:
  int previous_;
};

inline void set_flops(benchmark::State& state, double flops_per_iteration) {
  state.counters["FLOP/s"] =
      benchmark::Counter(flops_per_iteration, benchmark::Counter::kIsIterationInvariantRate, benchmark::Counter::kIs1000);
}

}  // namespace lockstep::bench

// The main of every benchmark executable: context first, then Google Benchmark as usual.
#define LOCKSTEP_BENCH_MAIN()                                      \
  int main(int argc, char** argv) {                                \
    benchmark::Initialize(&argc, argv);                            \
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1; \
    lockstep::bench::add_context();                                \
    register_benchmarks();                                         \
    benchmark::RunSpecifiedBenchmarks();                           \
    benchmark::Shutdown();                                         \
    return 0;                                                      \
  }

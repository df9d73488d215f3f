// The per-pass benchmarks of a layer op (conv2d, linear): forward, backward data and
// backward weight (dw then db, concatenated), deterministic and fast side by side, each shape
// at 1 and 2 threads. Before timing, every (pass, mode, shape, threads) is validated: det
// bitwise against the op's canonical element functions (kernels/<op>.h *_elem), fast within
// the float64 bound of its reference (reference/<op>_ref.h). An op supplies a PassBench.
// Names: <op>_<pass>/cpu/<det|fast>/<shape>/threads:<t>.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "bench/bench_common.h"
#include "reference/data.h"
#include "reference/ref_sums.h"

namespace lockstep::bench {

enum class Pass { Fwd, BwdData, BwdWeight };
inline const char* pass_name(Pass p) { return p == Pass::Fwd ? "fwd" : p == Pass::BwdData ? "bwd_data" : "bwd_weight"; }

// The inputs of every pass: x, w, b and the upstream gradient dy (the shape of y).
struct PassData {
  std::vector<float> x, w, b, dy;
};

// Seeded uniform inputs; the weights in [-w_scale, w_scale], the rest in [-1, 1].
inline PassData pass_data(i64 x_size, i64 w_size, i64 b_size, i64 y_size, float w_scale) {
  return PassData{test::uniform_values(1, x_size), test::uniform_values(2, w_size, -w_scale, w_scale),
                  test::uniform_values(3, b_size), test::uniform_values(4, y_size)};
}

// The backward-weight output as benchmarked: dw followed by db.
inline ref::RefSums weight_then_bias(ref::RefSums dw, const ref::RefSums& db) {
  dw.value.insert(dw.value.end(), db.value.begin(), db.value.end());
  dw.abs_sum.insert(dw.abs_sum.end(), db.abs_sum.begin(), db.abs_sum.end());
  dw.terms.insert(dw.terms.end(), db.terms.begin(), db.terms.end());
  return dw;
}

// One op: its shapes (Case has a `name`) and, per case, how to make the inputs, run a pass
// in either mode, compute the canonical output and the float64 reference, and count FLOPs.
template <class Case>
struct PassBench {
  std::string op;
  std::vector<Case> cases;
  std::function<PassData(const Case&)> data;
  std::function<void(Pass, bool det, const PassData&, const Case&, std::vector<float>& out)> run;
  std::function<std::vector<float>(Pass, const PassData&, const Case&)> canonical;
  std::function<ref::RefSums(Pass, const PassData&, const Case&)> reference;
  std::function<double(const Case&)> flops;
};

template <class Case>
void bench_pass(benchmark::State& state, const PassBench<Case>& pb, Pass p, bool det, const Case& c) {
  ThreadCountGuard threads(static_cast<int>(state.range(0)));
  const PassData& d = cached<PassData>(std::string("data/") + c.name, [&] { return pb.data(c); });
  std::vector<float> out;
  pb.run(p, det, d, c, out);
  const std::string key = std::string(pass_name(p)) + "/" + c.name;
  const std::string verdict =
      det ? bitwise_verdict(out, cached<std::vector<float>>("canon/" + key, [&] { return pb.canonical(p, d, c); }))
          : tolerance_verdict(out, cached<ref::RefSums>("ref/" + key, [&] { return pb.reference(p, d, c); }));
  if (!validated(state, verdict)) return;
  time_runs(state, out.data(), [&] { pb.run(p, det, d, c, out); });
  set_flops(state, pb.flops(c));
}

// Registers every pass x case x mode; `pb` must outlive the run (a static).
template <class Case>
void register_pass_benchmarks(const PassBench<Case>& pb) {
  for (Pass p : {Pass::Fwd, Pass::BwdData, Pass::BwdWeight})
    for (const Case& c : pb.cases)
      for (bool det : {true, false})
        register_benchmark(pb.op + "_" + pass_name(p) + "/cpu/" + (det ? "det/" : "fast/") + c.name,
                           [&pb, p, det, &c](benchmark::State& st) { bench_pass(st, pb, p, det, c); }, {"threads"},
                           {{1}, {2}}, benchmark::kMicrosecond);
}

}  // namespace lockstep::bench

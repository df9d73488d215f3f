// linear, every pass, deterministic and fast side by side: the reference CNN's fc1 (320->50)
// and fc2 (50->10) at batch 32 and 256, plus one larger layer. Validation before timing as in
// conv2d_bench.cpp: det bitwise against kernels/linear.h *_elem, fast within the float64 bound
// of tests/reference/linear_ref.h. Names: linear_<pass>/cpu/<det|fast>/<shape>/threads:<t>.
#include <functional>

#include "bench/bench_common.h"
#include "cpu/kernels.h"
#include "kernels/linear.h"
#include "reference/linear_ref.h"
#include "reference/data.h"

namespace lockstep::bench {
namespace {
namespace k = lockstep::kernels;

struct Shape {
  const char* name;
  LinearGeom g;
};

const Shape kShapes[] = {
    {"mnist_fc1_b32", {32, 320, 50}}, {"mnist_fc1_b256", {256, 320, 50}}, {"mnist_fc2_b32", {32, 50, 10}},
    {"mnist_fc2_b256", {256, 50, 10}}, {"large_1024x1024_b256", {256, 1024, 1024}},
};

struct Data {
  std::vector<float> x, w, b, dy;
};

const Data& data(const Shape& sh) {
  return cached<Data>(std::string("data/") + sh.name, [&] {
    const auto& g = sh.g;
    return Data{test::uniform_values(1, g.N * g.I), test::uniform_values(2, g.O * g.I, -0.1f, 0.1f),
                test::uniform_values(3, g.O), test::uniform_values(4, g.N * g.O)};
  });
}

enum class Pass { Fwd, BwdData, BwdWeight };
const char* pass_name(Pass p) { return p == Pass::Fwd ? "fwd" : p == Pass::BwdData ? "bwd_data" : "bwd_weight"; }

using Run = std::function<void(const Data&, const LinearGeom&, std::vector<float>&)>;

Run runner(Pass p, bool det) {
  switch (p) {
    case Pass::Fwd:
      return [det](const Data& d, const LinearGeom& g, std::vector<float>& out) {
        out.resize(d.dy.size());
        (det ? cpu::linear_fwd_det : cpu::linear_fwd_fast)(d.x.data(), d.w.data(), d.b.data(), out.data(), g);
      };
    case Pass::BwdData:
      return [det](const Data& d, const LinearGeom& g, std::vector<float>& out) {
        out.resize(d.x.size());
        (det ? cpu::linear_bwd_data_det : cpu::linear_bwd_data_fast)(d.dy.data(), d.w.data(), out.data(), g);
      };
    default:
      return [det](const Data& d, const LinearGeom& g, std::vector<float>& out) {
        out.resize(d.w.size() + d.b.size());
        (det ? cpu::linear_bwd_weight_det : cpu::linear_bwd_weight_fast)(d.dy.data(), d.x.data(), out.data(),
                                                                         out.data() + d.w.size(), g);
      };
  }
}

std::vector<float> canonical(Pass p, const Data& d, const LinearGeom& g) {
  std::vector<float> out;
  if (p == Pass::Fwd) {
    out.resize(d.dy.size());
    for (i64 n = 0; n < g.N; ++n)
      for (i64 o = 0; o < g.O; ++o) out[size_t(n * g.O + o)] = k::linear_fwd_elem(d.x.data(), d.w.data(), d.b.data(), g, n, o);
  } else if (p == Pass::BwdData) {
    out.resize(d.x.size());
    for (i64 n = 0; n < g.N; ++n)
      for (i64 i = 0; i < g.I; ++i) out[size_t(n * g.I + i)] = k::linear_bwd_data_elem(d.dy.data(), d.w.data(), g, n, i);
  } else {
    out.resize(d.w.size() + d.b.size());
    for (i64 o = 0; o < g.O; ++o) {
      for (i64 i = 0; i < g.I; ++i) out[size_t(o * g.I + i)] = k::linear_bwd_weight_elem(d.dy.data(), d.x.data(), g, o, i);
      out[d.w.size() + size_t(o)] = k::linear_bwd_bias_elem(d.dy.data(), g, o);
    }
  }
  return out;
}

ref::RefSums reference(Pass p, const Data& d, const LinearGeom& g) {
  const ref::LinearShape s{g.N, g.I, g.O};
  const auto x = test::to_double(d.x), w = test::to_double(d.w), b = test::to_double(d.b), dy = test::to_double(d.dy);
  if (p == Pass::Fwd) return ref::linear_fwd(x, w, b, s);
  if (p == Pass::BwdData) return ref::linear_bwd_data(dy, w, s);
  ref::RefSums dw = ref::linear_bwd_weight(dy, x, s);
  const ref::RefSums db = ref::linear_bwd_bias(dy, s);
  dw.value.insert(dw.value.end(), db.value.begin(), db.value.end());
  dw.abs_sum.insert(dw.abs_sum.end(), db.abs_sum.begin(), db.abs_sum.end());
  dw.terms.insert(dw.terms.end(), db.terms.begin(), db.terms.end());
  return dw;
}

void bench_linear(benchmark::State& state, Pass p, bool det, const Shape& sh) {
  Threads threads(static_cast<int>(state.range(0)));
  const Data& d = data(sh);
  const Run run = runner(p, det);
  std::vector<float> out;
  run(d, sh.g, out);
  const std::string key = std::string(pass_name(p)) + "/" + sh.name;
  const std::string verdict =
      det ? bitwise_verdict(out, cached<std::vector<float>>("canon/" + key, [&] { return canonical(p, d, sh.g); }))
          : [&] {
              const auto& r = cached<ref::RefSums>("ref/" + key, [&] { return reference(p, d, sh.g); });
              return tolerance_verdict(out, r.value, r.abs_sum, r.terms);
            }();
  if (!verdict.empty()) {
    state.SkipWithError(verdict.c_str());
    return;
  }
  for (auto _ : state) {
    run(d, sh.g, out);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  set_flops(state, 2.0 * double(sh.g.N) * double(sh.g.I) * double(sh.g.O));
}

void register_benchmarks() {
  for (Pass p : {Pass::Fwd, Pass::BwdData, Pass::BwdWeight})
    for (const Shape& sh : kShapes)
      for (bool det : {true, false}) {
        const std::string name = std::string("linear_") + pass_name(p) + "/cpu/" + (det ? "det/" : "fast/") + sh.name;
        benchmark::RegisterBenchmark(name.c_str(), [p, det, &sh](benchmark::State& st) { bench_linear(st, p, det, sh); })
            ->ArgName("threads")
            ->Arg(1)
            ->Arg(2)
            ->Unit(benchmark::kMicrosecond)
            ->UseRealTime();
      }
}

}  // namespace
}  // namespace lockstep::bench

using lockstep::bench::register_benchmarks;
LOCKSTEP_BENCH_MAIN()

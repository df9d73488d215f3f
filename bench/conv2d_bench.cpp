// conv2d, every pass, deterministic and fast side by side: the reference CNN's two layers at
// batch 32 and 256, plus one larger layer. Before timing, each (pass, mode, shape, threads)
// is validated: det bitwise against the canonical element order (kernels/conv2d.h *_elem),
// fast within the float64 bound of tests/reference/conv2d_ref.h. A failed validation calls
// SkipWithError, so it posts no time. Names: conv2d_<pass>/cpu/<det|fast>/<shape>/threads:<t>.
#include <functional>

#include "bench/bench_common.h"
#include "cpu/kernels.h"
#include "kernels/conv2d.h"
#include "reference/conv2d_ref.h"
#include "reference/data.h"

namespace lockstep::bench {
namespace {
namespace k = lockstep::kernels;

struct Shape {
  const char* name;
  ref::Conv2dShape s;
};

const Shape kShapes[] = {
    {"mnist_c1_b32", {32, 1, 28, 28, 10, 5, 5, 1, 0}},    {"mnist_c1_b256", {256, 1, 28, 28, 10, 5, 5, 1, 0}},
    {"mnist_c2_b32", {32, 10, 12, 12, 20, 5, 5, 1, 0}},   {"mnist_c2_b256", {256, 10, 12, 12, 20, 5, 5, 1, 0}},
    {"large_c32k64_32x32_b32", {32, 32, 32, 32, 64, 3, 3, 1, 1}},
};

Conv2dGeom geom(const ref::Conv2dShape& s) { return {s.N, s.C, s.H, s.W, s.K, s.R, s.S, s.P(), s.Q(), s.stride, s.pad}; }

struct Data {
  std::vector<float> x, w, b, dy;
};

const Data& data(const Shape& sh) {
  return cached<Data>(std::string("data/") + sh.name, [&] {
    const auto& s = sh.s;
    return Data{test::uniform_values(1, s.x_size()), test::uniform_values(2, s.w_size(), -0.2f, 0.2f),
                test::uniform_values(3, s.K), test::uniform_values(4, s.y_size())};
  });
}

enum class Pass { Fwd, BwdData, BwdWeight };
const char* pass_name(Pass p) { return p == Pass::Fwd ? "fwd" : p == Pass::BwdData ? "bwd_data" : "bwd_weight"; }

// The output of one pass (bwd_weight: dw then db, concatenated).
using Run = std::function<void(const Data&, const Conv2dGeom&, std::vector<float>&)>;

Run runner(Pass p, bool det) {
  switch (p) {
    case Pass::Fwd:
      return [det](const Data& d, const Conv2dGeom& g, std::vector<float>& out) {
        out.resize(d.dy.size());
        (det ? cpu::conv2d_fwd_det : cpu::conv2d_fwd_fast)(d.x.data(), d.w.data(), d.b.data(), out.data(), g);
      };
    case Pass::BwdData:
      return [det](const Data& d, const Conv2dGeom& g, std::vector<float>& out) {
        out.resize(d.x.size());
        (det ? cpu::conv2d_bwd_data_det : cpu::conv2d_bwd_data_fast)(d.dy.data(), d.w.data(), out.data(), g);
      };
    default:
      return [det](const Data& d, const Conv2dGeom& g, std::vector<float>& out) {
        out.resize(d.w.size() + d.b.size());
        (det ? cpu::conv2d_bwd_weight_det : cpu::conv2d_bwd_weight_fast)(d.dy.data(), d.x.data(), out.data(),
                                                                         out.data() + d.w.size(), g);
      };
  }
}

// The canonical element order, one output at a time.
std::vector<float> canonical(Pass p, const Data& d, const Conv2dGeom& g) {
  std::vector<float> out;
  if (p == Pass::Fwd) {
    out.resize(d.dy.size());
    for (i64 n = 0; n < g.N; ++n)
      for (i64 kk = 0; kk < g.K; ++kk)
        for (i64 q = 0; q < g.P * g.Q; ++q)
          out[size_t(k::conv_y_index(g, n, kk, 0, 0) + q)] =
              k::conv2d_fwd_elem(d.x.data(), d.w.data(), d.b.data(), g, n, kk, q / g.Q, q % g.Q);
  } else if (p == Pass::BwdData) {
    out.resize(d.x.size());
    for (i64 n = 0; n < g.N; ++n)
      for (i64 c = 0; c < g.C; ++c)
        for (i64 i = 0; i < g.H * g.W; ++i)
          out[size_t(k::conv_x_index(g, n, c, 0, 0) + i)] =
              k::conv2d_bwd_data_elem(d.dy.data(), d.w.data(), g, n, c, i / g.W, i % g.W);
  } else {
    const i64 nw = g.K * g.C * g.R * g.S;
    out.resize(size_t(nw + g.K));
    for (i64 kk = 0; kk < g.K; ++kk) {
      for (i64 i = 0; i < g.C * g.R * g.S; ++i)
        out[size_t(kk * g.C * g.R * g.S + i)] = k::conv2d_bwd_weight_elem(
            d.dy.data(), d.x.data(), g, kk, i / (g.R * g.S), (i / g.S) % g.R, i % g.S);
      out[size_t(nw + kk)] = k::conv2d_bwd_bias_elem(d.dy.data(), g, kk);
    }
  }
  return out;
}

ref::RefSums reference(Pass p, const Data& d, const ref::Conv2dShape& s) {
  const auto x = test::to_double(d.x), w = test::to_double(d.w), b = test::to_double(d.b), dy = test::to_double(d.dy);
  if (p == Pass::Fwd) return ref::conv2d_fwd(x, w, b, s);
  if (p == Pass::BwdData) return ref::conv2d_bwd_data(dy, w, s);
  ref::RefSums dw = ref::conv2d_bwd_weight(dy, x, s);
  const ref::RefSums db = ref::conv2d_bwd_bias(dy, s);
  dw.value.insert(dw.value.end(), db.value.begin(), db.value.end());
  dw.abs_sum.insert(dw.abs_sum.end(), db.abs_sum.begin(), db.abs_sum.end());
  dw.terms.insert(dw.terms.end(), db.terms.begin(), db.terms.end());
  return dw;
}

void bench_conv(benchmark::State& state, Pass p, bool det, const Shape& sh) {
  Threads threads(static_cast<int>(state.range(0)));
  const Data& d = data(sh);
  const Conv2dGeom g = geom(sh.s);
  const Run run = runner(p, det);
  std::vector<float> out;
  run(d, g, out);
  const std::string key = std::string(pass_name(p)) + "/" + sh.name;
  const std::string verdict =
      det ? bitwise_verdict(out, cached<std::vector<float>>("canon/" + key, [&] { return canonical(p, d, g); }))
          : [&] {
              const auto& r = cached<ref::RefSums>("ref/" + key, [&] { return reference(p, d, sh.s); });
              return tolerance_verdict(out, r.value, r.abs_sum, r.terms);
            }();
  if (!verdict.empty()) {
    state.SkipWithError(verdict.c_str());
    return;
  }
  for (auto _ : state) {
    run(d, g, out);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  set_flops(state, 2.0 * double(g.N) * double(g.K) * double(g.P * g.Q) * double(g.C * g.R * g.S));
}

void register_benchmarks() {
  for (Pass p : {Pass::Fwd, Pass::BwdData, Pass::BwdWeight})
    for (const Shape& sh : kShapes)
      for (bool det : {true, false}) {
        const std::string name = std::string("conv2d_") + pass_name(p) + "/cpu/" + (det ? "det/" : "fast/") + sh.name;
        benchmark::RegisterBenchmark(name.c_str(), [p, det, &sh](benchmark::State& st) { bench_conv(st, p, det, sh); })
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

// linear, every pass, deterministic and fast side by side (bench/pass_bench.h): the reference
// CNN's fc1 (320->50) and fc2 (50->10) at batch 32 and 256, plus one larger layer. det is
// checked bitwise against kernels/linear.h *_elem, fast within the float64 bound of
// reference/linear_ref.h.
#include "bench/pass_bench.h"
#include "cpu/kernels.h"
#include "kernels/linear.h"
#include "reference/linear_ref.h"

namespace lockstep::bench {
namespace {
namespace k = lockstep::kernels;

struct Case {
  const char* name;
  LinearGeom g;
};

void run(Pass p, bool det, const PassData& d, const Case& c, std::vector<float>& out) {
  if (p == Pass::Fwd) {
    out.resize(d.dy.size());
    (det ? cpu::linear_fwd_det : cpu::linear_fwd_fast)(d.x.data(), d.w.data(), d.b.data(), out.data(), c.g);
  } else if (p == Pass::BwdData) {
    out.resize(d.x.size());
    (det ? cpu::linear_bwd_data_det : cpu::linear_bwd_data_fast)(d.dy.data(), d.w.data(), out.data(), c.g);
  } else {
    out.resize(d.w.size() + d.b.size());
    (det ? cpu::linear_bwd_weight_det : cpu::linear_bwd_weight_fast)(d.dy.data(), d.x.data(), out.data(),
                                                                     out.data() + d.w.size(), c.g);
  }
}

// The canonical element order, one output at a time.
std::vector<float> canonical(Pass p, const PassData& d, const Case& c) {
  const LinearGeom& g = c.g;
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

ref::RefSums reference(Pass p, const PassData& d, const Case& c) {
  const ref::LinearShape s{c.g.N, c.g.I, c.g.O};
  const auto x = test::to_double(d.x), w = test::to_double(d.w), b = test::to_double(d.b), dy = test::to_double(d.dy);
  if (p == Pass::Fwd) return ref::linear_fwd(x, w, b, s);
  if (p == Pass::BwdData) return ref::linear_bwd_data(dy, w, s);
  return weight_then_bias(ref::linear_bwd_weight(dy, x, s), ref::linear_bwd_bias(dy, s));
}

const PassBench<Case> kLinear{
    "linear",
    {{"mnist_fc1_b32", {32, 320, 50}},
     {"mnist_fc1_b256", {256, 320, 50}},
     {"mnist_fc2_b32", {32, 50, 10}},
     {"mnist_fc2_b256", {256, 50, 10}},
     {"large_1024x1024_b256", {256, 1024, 1024}}},
    [](const Case& c) { return pass_data(c.g.N * c.g.I, c.g.O * c.g.I, c.g.O, c.g.N * c.g.O, 0.1f); },
    run,
    canonical,
    reference,
    [](const Case& c) { return 2.0 * double(c.g.N) * double(c.g.I) * double(c.g.O); }};

void register_benchmarks() { register_pass_benchmarks(kLinear); }

}  // namespace
}  // namespace lockstep::bench

using lockstep::bench::register_benchmarks;
LOCKSTEP_BENCH_MAIN()

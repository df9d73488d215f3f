// linear for the per-pass benchmarks (bench/pass_bench.h): the reference CNN's fc1 (320->50)
// and fc2 (50->10) at batch 32 and 256, plus one larger layer; the CPU kernels, the canonical
// element order (kernels/linear.h *_elem) and the float64 reference (reference/linear_ref.h).
// Shared by bench/linear_bench.cpp (CPU) and bench/cuda/linear_bench.cpp (CUDA).
#pragma once

#include "bench/pass_bench.h"
#include "cpu/kernels.h"
#include "kernels/linear.h"
#include "reference/linear_ref.h"

namespace lockstep::bench {

struct LinearCase {
  const char* name;
  LinearGeom g;
};

inline void linear_run_cpu(Pass p, bool det, const PassData& d, const LinearCase& c, std::vector<float>& out) {
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
inline std::vector<float> linear_canonical(Pass p, const PassData& d, const LinearCase& c) {
  const LinearGeom& g = c.g;
  std::vector<float> out;
  if (p == Pass::Fwd) {
    out.resize(d.dy.size());
    for (i64 n = 0; n < g.N; ++n)
      for (i64 o = 0; o < g.O; ++o) out[size_t(n * g.O + o)] = kernels::linear_fwd_elem(d.x.data(), d.w.data(), d.b.data(), g, n, o);
  } else if (p == Pass::BwdData) {
    out.resize(d.x.size());
    for (i64 n = 0; n < g.N; ++n)
      for (i64 i = 0; i < g.I; ++i) out[size_t(n * g.I + i)] = kernels::linear_bwd_data_elem(d.dy.data(), d.w.data(), g, n, i);
  } else {
    out.resize(d.w.size() + d.b.size());
    for (i64 o = 0; o < g.O; ++o) {
      for (i64 i = 0; i < g.I; ++i) out[size_t(o * g.I + i)] = kernels::linear_bwd_weight_elem(d.dy.data(), d.x.data(), g, o, i);
      out[d.w.size() + size_t(o)] = kernels::linear_bwd_bias_elem(d.dy.data(), g, o);
    }
  }
  return out;
}

inline ref::RefSums linear_reference(Pass p, const PassData& d, const LinearCase& c) {
  const ref::LinearShape s{c.g.N, c.g.I, c.g.O};
  const auto x = test::to_double(d.x), w = test::to_double(d.w), b = test::to_double(d.b), dy = test::to_double(d.dy);
  if (p == Pass::Fwd) return ref::linear_fwd(x, w, b, s);
  if (p == Pass::BwdData) return ref::linear_bwd_data(dy, w, s);
  return weight_then_bias(ref::linear_bwd_weight(dy, x, s), ref::linear_bwd_bias(dy, s));
}

inline const PassBench<LinearCase> kLinear{
    "linear",
    {{"mnist_fc1_b32", {32, 320, 50}},
     {"mnist_fc1_b256", {256, 320, 50}},
     {"mnist_fc2_b32", {32, 50, 10}},
     {"mnist_fc2_b256", {256, 50, 10}},
     {"large_1024x1024_b256", {256, 1024, 1024}}},
    [](const LinearCase& c) { return pass_data(c.g.N * c.g.I, c.g.O * c.g.I, c.g.O, c.g.N * c.g.O, 0.1f); },
    linear_run_cpu,
    linear_canonical,
    linear_reference,
    [](const LinearCase& c) { return 2.0 * double(c.g.N) * double(c.g.I) * double(c.g.O); }};

}  // namespace lockstep::bench

// conv2d for the per-pass benchmarks (bench/pass_bench.h): the reference CNN's two layers at
// batch 32 and 256, plus one larger layer; the CPU kernels, the canonical element order
// (kernels/conv2d.h *_elem) and the float64 reference (reference/conv2d_ref.h). Shared by
// bench/conv2d_bench.cpp (CPU) and bench/cuda/conv2d_bench.cpp (CUDA).
#pragma once

#include "bench/pass_bench.h"
#include "cpu/kernels.h"
#include "kernels/conv2d.h"
#include "reference/conv2d_ref.h"

namespace lockstep::bench {

struct Conv2dCase {
  const char* name;
  ref::Conv2dShape s;
};

inline Conv2dGeom conv2d_geom(const ref::Conv2dShape& s) { return {s.N, s.C, s.H, s.W, s.K, s.R, s.S, s.P(), s.Q(), s.stride, s.pad}; }

inline void conv2d_run_cpu(Pass p, bool det, const PassData& d, const Conv2dCase& c, std::vector<float>& out) {
  const Conv2dGeom g = conv2d_geom(c.s);
  if (p == Pass::Fwd) {
    out.resize(d.dy.size());
    (det ? cpu::conv2d_fwd_det : cpu::conv2d_fwd_fast)(d.x.data(), d.w.data(), d.b.data(), out.data(), g);
  } else if (p == Pass::BwdData) {
    out.resize(d.x.size());
    (det ? cpu::conv2d_bwd_data_det : cpu::conv2d_bwd_data_fast)(d.dy.data(), d.w.data(), out.data(), g);
  } else {
    out.resize(d.w.size() + d.b.size());
    (det ? cpu::conv2d_bwd_weight_det : cpu::conv2d_bwd_weight_fast)(d.dy.data(), d.x.data(), out.data(),
                                                                     out.data() + d.w.size(), g);
  }
}

// The canonical element order, one output at a time.
inline std::vector<float> conv2d_canonical(Pass p, const PassData& d, const Conv2dCase& c) {
  const Conv2dGeom g = conv2d_geom(c.s);
  std::vector<float> out;
  if (p == Pass::Fwd) {
    out.resize(d.dy.size());
    for (i64 n = 0; n < g.N; ++n)
      for (i64 kk = 0; kk < g.K; ++kk)
        for (i64 q = 0; q < g.P * g.Q; ++q)
          out[size_t(kernels::conv_y_index(g, n, kk, 0, 0) + q)] =
              kernels::conv2d_fwd_elem(d.x.data(), d.w.data(), d.b.data(), g, n, kk, q / g.Q, q % g.Q);
  } else if (p == Pass::BwdData) {
    out.resize(d.x.size());
    for (i64 n = 0; n < g.N; ++n)
      for (i64 ch = 0; ch < g.C; ++ch)
        for (i64 i = 0; i < g.H * g.W; ++i)
          out[size_t(kernels::conv_x_index(g, n, ch, 0, 0) + i)] =
              kernels::conv2d_bwd_data_elem(d.dy.data(), d.w.data(), g, n, ch, i / g.W, i % g.W);
  } else {
    const i64 nw = g.K * g.C * g.R * g.S;
    out.resize(size_t(nw + g.K));
    for (i64 kk = 0; kk < g.K; ++kk) {
      for (i64 i = 0; i < g.C * g.R * g.S; ++i)
        out[size_t(kk * g.C * g.R * g.S + i)] = kernels::conv2d_bwd_weight_elem(
            d.dy.data(), d.x.data(), g, kk, i / (g.R * g.S), (i / g.S) % g.R, i % g.S);
      out[size_t(nw + kk)] = kernels::conv2d_bwd_bias_elem(d.dy.data(), g, kk);
    }
  }
  return out;
}

inline ref::RefSums conv2d_reference(Pass p, const PassData& d, const Conv2dCase& c) {
  const auto x = test::to_double(d.x), w = test::to_double(d.w), b = test::to_double(d.b), dy = test::to_double(d.dy);
  if (p == Pass::Fwd) return ref::conv2d_fwd(x, w, b, c.s);
  if (p == Pass::BwdData) return ref::conv2d_bwd_data(dy, w, c.s);
  return weight_then_bias(ref::conv2d_bwd_weight(dy, x, c.s), ref::conv2d_bwd_bias(dy, c.s));
}

inline const PassBench<Conv2dCase> kConv2d{
    "conv2d",
    {{"mnist_c1_b32", {32, 1, 28, 28, 10, 5, 5, 1, 0}},
     {"mnist_c1_b256", {256, 1, 28, 28, 10, 5, 5, 1, 0}},
     {"mnist_c2_b32", {32, 10, 12, 12, 20, 5, 5, 1, 0}},
     {"mnist_c2_b256", {256, 10, 12, 12, 20, 5, 5, 1, 0}},
     {"large_c32k64_32x32_b32", {32, 32, 32, 32, 64, 3, 3, 1, 1}}},
    [](const Conv2dCase& c) { return pass_data(c.s.x_size(), c.s.w_size(), c.s.K, c.s.y_size(), 0.2f); },
    conv2d_run_cpu,
    conv2d_canonical,
    conv2d_reference,
    [](const Conv2dCase& c) {
      const Conv2dGeom g = conv2d_geom(c.s);
      return 2.0 * double(g.N) * double(g.K) * double(g.P * g.Q) * double(g.C * g.R * g.S);
    }};

}  // namespace lockstep::bench

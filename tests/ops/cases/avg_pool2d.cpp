// avg_pool2d cases: disjoint and overlapping windows, stride 1, odd extents with uncovered
// rows and columns, and 8 x 16 planes so that every thread count gets work. The float64
// reference below is written from the definition (mean of each window; dx the sum of
// dy / (R*S) over the windows holding the input), not from kernels/.
// Bounds: det sums at most R*S terms then divides (n = R*S + 1 roundings); the backward
// sums at most ceil(k/st)^2 dy then divides. Fast (row partials, a reciprocal, atomics on a
// GPU) rounds at most twice more per element.
#include <cmath>

#include "core/ops.h"
#include "kernels/avg_pool2d.h"
#include "tests/ops/harness/op_case.h"

namespace lockstep::test {
namespace {

struct PoolShape {
  i64 N, C, H, W, k, stride;
};

std::vector<RefGroup> reference(const kernels::Pool2dGeom& g, const std::vector<double>& x,
                                const std::vector<double>& dy, Mode mode) {
  const double area = double(g.R * g.S), extra = mode == Mode::Fast ? 2.0 : 0.0;
  ref::RefSums y(g.N * g.C * g.P * g.Q), dx(g.N * g.C * g.H * g.W);
  for (i64 nc = 0; nc < g.N * g.C; ++nc)
    for (i64 p = 0; p < g.P; ++p)
      for (i64 q = 0; q < g.Q; ++q)
        for (i64 r = 0; r < g.R; ++r)
          for (i64 s = 0; s < g.S; ++s) {
            const i64 in = (nc * g.H + p * g.stride + r) * g.W + q * g.stride + s, out = (nc * g.P + p) * g.Q + q;
            y.add(out, x[size_t(in)] / area);
            dx.add(in, dy[size_t(out)] / area);
          }
  return {bounded(y, [&](size_t i) { return double(y.terms[i]) + 1 + extra; }),
          bounded(dx, [&](size_t i) { return double(dx.terms[i]) + 1 + extra; })};
}

OpCase avg_pool2d_case(const PoolShape& s) {
  const i64 P = (s.H - s.k) / s.stride + 1, Q = (s.W - s.k) / s.stride + 1;
  const kernels::Pool2dGeom g{s.N, s.C, s.H, s.W, s.k, s.k, P, Q, s.stride};
  OpCase c;
  c.op = "avg_pool2d";
  c.inputs = {{"x", Shape{s.N, s.C, s.H, s.W}}};
  c.name = "avg_pool2d_k" + std::to_string(s.k) + "s" + std::to_string(s.stride) + "_" + dims(c.inputs[0].shape);
  c.run = [s](const std::vector<Tensor>& t) { return ops::avg_pool2d(t[0], s.k, s.stride); };
  set_element_forms(
      c,
      [g](const auto& f, const Vecs<i64>&) {
        std::vector<ElemOf<decltype(f)>> y;
        for (i64 nc = 0; nc < g.N * g.C; ++nc)
          for (i64 p = 0; p < g.P; ++p)
            for (i64 q = 0; q < g.Q; ++q) y.push_back(kernels::avg_pool2d_fwd_elem(f[0].data() + nc * g.H * g.W, g, p, q));
        return y;
      },
      [g](const auto& f, const Vecs<i64>&, const auto& dy) {
        Vecs<ElemOf<decltype(f)>> d(1);
        for (i64 nc = 0; nc < g.N * g.C; ++nc)
          for (i64 h = 0; h < g.H; ++h)
            for (i64 w = 0; w < g.W; ++w) d[0].push_back(kernels::avg_pool2d_bwd_elem(dy.data() + nc * g.P * g.Q, g, h, w));
        return d;
      });
  c.reference = [g](const Vecs<double>& f, const Vecs<i64>&, const std::vector<double>& dy, Mode mode) {
    return reference(g, f[0], dy, mode);
  };
  // A power-of-two window keeps the division exact on integer data.
  c.int_range = (s.k * s.k & (s.k * s.k - 1)) == 0 ? 3 : 0;
  return c;
}

}  // namespace
LS_REGISTER_OP_CASES((std::vector<OpCase>{avg_pool2d_case({2, 3, 8, 8, 2, 2}), avg_pool2d_case({2, 3, 11, 9, 3, 2}),
                                          avg_pool2d_case({1, 2, 10, 10, 3, 1}), avg_pool2d_case({2, 2, 9, 7, 2, 3}),
                                          avg_pool2d_case({8, 16, 28, 28, 2, 2})}));
}  // namespace lockstep::test

// max_pool2d cases: overlapping and disjoint windows, odd extents, stride 1, and a batch of
// 8 x 16 planes so that every thread count up to 16 gets work.
#include <algorithm>
#include <numeric>

#include "core/ops.h"
#include "kernels/max_pool2d.h"
#include "tests/ops/harness/op_case.h"
#include "reference/max_pool2d_ref.h"
#include "tests/support/compare.h"

namespace lockstep::test {
namespace {

OpCase max_pool2d_case(const ref::Pool2dShape& s) {
  const kernels::Pool2dGeom g{s.N, s.C, s.H, s.W, s.k, s.k, s.P(), s.Q(), s.stride};
  OpCase c;
  c.op = "max_pool2d";
  c.inputs = {{"x", Shape{s.N, s.C, s.H, s.W}}};
  c.name = "max_pool2d_k" + std::to_string(s.k) + "s" + std::to_string(s.stride) + "_" + dims(c.inputs[0].shape);
  c.run = [s](const std::vector<Tensor>& t) { return ops::max_pool2d(t[0], s.k, s.stride); };
  auto argmax_of = [g](const auto& x, auto* y) {
    std::vector<i64> arg(static_cast<size_t>(g.N * g.C * g.P * g.Q));
    for (i64 nc = 0; nc < g.N * g.C; ++nc)
      for (i64 p = 0; p < g.P; ++p)
        for (i64 q = 0; q < g.Q; ++q) {
          const i64 o = (nc * g.P + p) * g.Q + q;
          const auto v = kernels::max_pool2d_fwd_elem(x.data() + nc * g.H * g.W, g, p, q, &arg[o]);
          if (y) (*y)[o] = v;
        }
    return arg;
  };
  set_element_forms(
      c,
      [g, argmax_of](const auto& f, const Vecs<i64>&) {
        std::vector<ElemOf<decltype(f)>> y(static_cast<size_t>(g.N * g.C * g.P * g.Q));
        argmax_of(f[0], &y);
        return y;
      },
      [g, argmax_of](const auto& f, const Vecs<i64>&, const auto& dy) {
        using T = ElemOf<decltype(f)>;
        const std::vector<i64> arg = argmax_of(f[0], static_cast<std::vector<T>*>(nullptr));
        std::vector<T> dx(f[0].size());
        for (i64 nc = 0; nc < g.N * g.C; ++nc)
          kernels::max_pool2d_bwd_plane(dy.data() + nc * g.P * g.Q, arg.data() + nc * g.P * g.Q,
                                        dx.data() + nc * g.H * g.W, g);
        return Vecs<T>{dx};
      });
  c.reference = [s](const Vecs<double>& f, const Vecs<i64>&, const std::vector<double>& dy, Mode) {
    // The forward selects an input (exact); each dx adds at most ceil(k/stride)^2 dy values.
    const auto r = ref::max_pool2d_fwd(f[0], s);
    const double windows_per_side = double((s.k + s.stride - 1) / s.stride), per_dx = windows_per_side * windows_per_side;
    double dy_abs = 0;
    for (double v : dy) dy_abs += std::fabs(v);
    return std::vector<RefGroup>{with_bound(r.y, 0.0),
                                 with_bound(ref::max_pool2d_bwd(dy, r.argmax, s), chain_bound(per_dx, dy_abs))};
  };
  // Distinct values 0.01 apart (the ranks of the data): no difference step of the gradient
  // check can change a window's argmax, so the function is smooth there.
  c.gradcheck_point = [](Vecs<double>& f) {
    std::vector<size_t> order(f[0].size());
    std::iota(order.begin(), order.end(), size_t{0});
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return f[0][a] < f[0][b]; });
    for (size_t r = 0; r < order.size(); ++r) f[0][order[r]] = 0.01 * double(r) - 1.0;
  };
  return c;
}

std::vector<OpCase> max_pool2d_cases() {
  std::vector<OpCase> cases;
  for (const ref::Pool2dShape& s : {ref::Pool2dShape{2, 3, 11, 9, 3, 2}, ref::Pool2dShape{2, 3, 8, 8, 2, 2},
                                   ref::Pool2dShape{2, 2, 9, 7, 3, 2}, ref::Pool2dShape{1, 2, 10, 10, 3, 1},
                                   ref::Pool2dShape{8, 16, 28, 28, 3, 2}})
    cases.push_back(max_pool2d_case(s));
  return cases;
}

}  // namespace
LS_REGISTER_OP_CASES(max_pool2d_cases());
}  // namespace lockstep::test

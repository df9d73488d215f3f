// max_pool2d and max_pool2d_relu cases: overlapping and disjoint windows, odd extents,
// stride 1, and a batch of 8 x 16 planes so that every thread count up to 16 gets work. The
// fused op's reference composes the float64 references of max_pool2d and relu.
#include <algorithm>
#include <numeric>

#include "core/ops.h"
#include "kernels/max_pool2d.h"
#include "tests/ops/harness/op_case.h"
#include "reference/max_pool2d_ref.h"
#include "reference/relu_ref.h"
#include "tests/support/compare.h"

namespace lockstep::test {
namespace {

// relu: the case is max_pool2d_relu, relu(max_pool2d(x)) as one op.
OpCase max_pool2d_case(const ref::Pool2dShape& s, bool relu) {
  const kernels::Pool2dGeom g{s.N, s.C, s.H, s.W, s.k, s.k, s.P(), s.Q(), s.stride};
  OpCase c;
  c.op = relu ? "max_pool2d_relu" : "max_pool2d";
  c.inputs = {{"x", Shape{s.N, s.C, s.H, s.W}}};
  c.name = c.op + "_k" + std::to_string(s.k) + "s" + std::to_string(s.stride) + "_" + dims(c.inputs[0].shape);
  c.run = [s, relu](const std::vector<Tensor>& t) {
    return relu ? ops::max_pool2d_relu(t[0], s.k, s.stride) : ops::max_pool2d(t[0], s.k, s.stride);
  };
  auto argmax_of = [g, relu](const auto& x, auto* y) {
    std::vector<i64> arg(static_cast<size_t>(g.N * g.C * g.P * g.Q));
    for (i64 nc = 0; nc < g.N * g.C; ++nc)
      for (i64 p = 0; p < g.P; ++p)
        for (i64 q = 0; q < g.Q; ++q) {
          const i64 o = (nc * g.P + p) * g.Q + q;
          const auto* plane = x.data() + nc * g.H * g.W;
          const auto v = relu ? kernels::max_pool2d_relu_fwd_elem(plane, g, p, q, &arg[o])
                              : kernels::max_pool2d_fwd_elem(plane, g, p, q, &arg[o]);
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
      [g, relu, argmax_of](const auto& f, const Vecs<i64>&, const auto& dy) {
        using T = ElemOf<decltype(f)>;
        std::vector<T> y(dy.size());
        const std::vector<i64> arg = argmax_of(f[0], &y);
        std::vector<T> dx(f[0].size());
        for (i64 nc = 0; nc < g.N * g.C; ++nc) {
          const i64 out = nc * g.P * g.Q;
          if (relu)
            kernels::max_pool2d_relu_bwd_plane(dy.data() + out, y.data() + out, arg.data() + out, dx.data() + nc * g.H * g.W, g);
          else
            kernels::max_pool2d_bwd_plane(dy.data() + out, arg.data() + out, dx.data() + nc * g.H * g.W, g);
        }
        return Vecs<T>{dx};
      });
  c.reference = [s, relu](const Vecs<double>& f, const Vecs<i64>&, const std::vector<double>& dy, Mode) {
    // The forward selects an input (exact); each dx adds at most ceil(k/stride)^2 dy values.
    // relu selects too, and its backward passes dy or 0 (exact).
    const auto r = ref::max_pool2d_fwd(f[0], s);
    const double windows_per_side = double((s.k + s.stride - 1) / s.stride), per_dx = windows_per_side * windows_per_side;
    double dy_abs = 0;
    for (double v : dy) dy_abs += std::fabs(v);
    const std::vector<double> y = relu ? ref::relu_fwd(r.y) : r.y;
    const std::vector<double> dpooled = relu ? ref::relu_bwd(dy, r.y) : dy;
    return std::vector<RefGroup>{with_bound(y, 0.0),
                                 with_bound(ref::max_pool2d_bwd(dpooled, r.argmax, s), chain_bound(per_dx, dy_abs))};
  };
  // Distinct values 0.01 apart (the ranks of the data): no difference step of the gradient
  // check can change a window's argmax, so the function is smooth there.
  c.gradcheck_point = [](Vecs<double>& f) {
    std::vector<size_t> order(f[0].size());
    std::iota(order.begin(), order.end(), size_t{0});
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return f[0][a] < f[0][b]; });
    // Half a step off the grid, so that no value sits on relu's kink at 0 either.
    for (size_t r = 0; r < order.size(); ++r) f[0][order[r]] = 0.01 * double(r) - 1.005;
  };
  return c;
}

std::vector<OpCase> max_pool2d_cases() {
  std::vector<OpCase> cases;
  for (const ref::Pool2dShape& s : {ref::Pool2dShape{2, 3, 11, 9, 3, 2}, ref::Pool2dShape{2, 3, 8, 8, 2, 2},
                                   ref::Pool2dShape{2, 2, 9, 7, 3, 2}, ref::Pool2dShape{1, 2, 10, 10, 3, 1},
                                   ref::Pool2dShape{8, 16, 28, 28, 3, 2}})
    for (bool relu : {false, true}) cases.push_back(max_pool2d_case(s, relu));
  return cases;
}

}  // namespace
LS_REGISTER_OP_CASES(max_pool2d_cases());
}  // namespace lockstep::test

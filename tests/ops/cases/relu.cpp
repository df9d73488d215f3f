// relu cases: an odd length and 600k elements (over twice cpu/relu.cpp's 2^18 grain, so 2
// threads and 3 or more split the range in different places). The forward selects (exact);
// the backward passes dy or 0 (exact). Data in [-1, 1) hit both branches.
#include "core/ops.h"
#include "kernels/relu.h"
#include "tests/ops/harness/op_case.h"
#include "reference/relu_ref.h"

namespace lockstep::test {
namespace {

OpCase relu_case(const Shape& shape) {
  OpCase c;
  c.op = "relu";
  c.name = "relu_" + std::to_string(shape.numel());
  c.inputs = {{"x", shape}};
  c.run = [](const std::vector<Tensor>& t) { return ops::relu(t[0]); };
  set_element_forms(
      c,
      [](const auto& f, const Vecs<i64>&) {
        std::vector<ElemOf<decltype(f)>> y;
        for (auto v : f[0]) y.push_back(kernels::relu_fwd_elem(v));
        return y;
      },
      [](const auto& f, const Vecs<i64>&, const auto& dy) {
        Vecs<ElemOf<decltype(f)>> d(1);
        for (size_t i = 0; i < dy.size(); ++i) d[0].push_back(kernels::relu_bwd_elem(dy[i], f[0][i]));
        return d;
      });
  c.reference = [](const Vecs<double>& f, const Vecs<i64>&, const std::vector<double>& dy, Mode) {
    return std::vector<RefGroup>{with_bound(ref::relu_fwd(f[0]), 0.0), with_bound(ref::relu_bwd(dy, f[0]), 0.0)};
  };
  // Away from the kink at 0, where the function is smooth.
  c.gradcheck_point = [](Vecs<double>& f) {
    for (double& v : f[0]) v = v < 0 ? v - 0.1 : v + 0.1;
  };
  return c;
}

}  // namespace
LS_REGISTER_OP_CASES((std::vector<OpCase>{relu_case(Shape{7, 11}), relu_case(Shape{8, 75000})}));
}  // namespace lockstep::test

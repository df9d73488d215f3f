// add, mul and scale cases: one rounding per element, so the bound is chain_bound(1, |y|).
#include <cmath>

#include "core/ops.h"
#include "kernels/elementwise.h"
#include "tests/ops/harness/op_case.h"

namespace lockstep::test {
namespace {

constexpr float kScale = 0.37f;

std::vector<double> one_rounding(const std::vector<double>& v) {
  std::vector<double> b(v.size());
  for (size_t i = 0; i < v.size(); ++i) b[i] = chain_bound(1, std::fabs(v[i]));
  return b;
}
RefGroup rounded_once(std::vector<double> v) {
  auto b = one_rounding(v);
  return {std::move(v), std::move(b)};
}

// y = a op b for two inputs of one shape; the backward of add passes dy to both, the backward
// of mul is (dy * b, dy * a).
OpCase binary_case(const std::string& op, const Shape& shape) {
  OpCase c;
  c.op = op;
  c.name = op + "_" + std::to_string(shape.numel());
  c.inputs = {{"a", shape}, {"b", shape}};
  const bool is_add = op == "add";
  c.run = [is_add](const std::vector<Tensor>& t) { return is_add ? ops::add(t[0], t[1]) : ops::mul(t[0], t[1]); };
  set_element_forms(
      c,
      [is_add](const auto& f, const Vecs<i64>&) {
        std::vector<ElemOf<decltype(f)>> y;
        for (size_t i = 0; i < f[0].size(); ++i)
          y.push_back(is_add ? kernels::add_elem(f[0][i], f[1][i]) : kernels::mul_elem(f[0][i], f[1][i]));
        return y;
      },
      [is_add](const auto& f, const Vecs<i64>&, const auto& dy) {
        Vecs<ElemOf<decltype(f)>> d(2);
        for (size_t i = 0; i < dy.size(); ++i) {
          d[0].push_back(is_add ? dy[i] : kernels::mul_elem(dy[i], f[1][i]));
          d[1].push_back(is_add ? dy[i] : kernels::mul_elem(dy[i], f[0][i]));
        }
        return d;
      });
  c.reference = [is_add](const Vecs<double>& f, const Vecs<i64>&, const std::vector<double>& dy, Mode) {
    std::vector<double> y(dy.size()), da(dy.size()), db(dy.size());
    for (size_t i = 0; i < dy.size(); ++i) {
      y[i] = is_add ? f[0][i] + f[1][i] : f[0][i] * f[1][i];
      da[i] = is_add ? dy[i] : dy[i] * f[1][i];
      db[i] = is_add ? dy[i] : dy[i] * f[0][i];
    }
    return std::vector<RefGroup>{rounded_once(y), rounded_once(da), rounded_once(db)};
  };
  return c;
}

OpCase scale_case(const Shape& shape) {
  OpCase c;
  c.op = "scale";
  c.name = "scale_" + std::to_string(shape.numel());
  c.inputs = {{"x", shape}};
  c.run = [](const std::vector<Tensor>& t) { return ops::scale(t[0], kScale); };
  set_element_forms(
      c,
      [](const auto& f, const Vecs<i64>&) {
        using T = ElemOf<decltype(f)>;
        std::vector<T> y;
        for (T v : f[0]) y.push_back(kernels::scale_elem(v, T(kScale)));
        return y;
      },
      [](const auto& f, const Vecs<i64>&, const auto& dy) {
        using T = ElemOf<decltype(f)>;
        Vecs<T> d(1);
        for (T v : dy) d[0].push_back(kernels::scale_elem(v, T(kScale)));
        return d;
      });
  c.reference = [](const Vecs<double>& f, const Vecs<i64>&, const std::vector<double>& dy, Mode) {
    std::vector<double> y, dx;
    for (double v : f[0]) y.push_back(double(kScale) * v);
    for (double v : dy) dx.push_back(double(kScale) * v);
    return std::vector<RefGroup>{rounded_once(y), rounded_once(dx)};
  };
  c.int_range = 0;  // 0.37 is not an integer
  return c;
}

}  // namespace
LS_REGISTER_OP_CASES((std::vector<OpCase>{binary_case("add", Shape{5, 7}), binary_case("add", Shape{64, 10000}),
                                          binary_case("mul", Shape{5, 7}), binary_case("mul", Shape{64, 10000}),
                                          scale_case(Shape{13}), scale_case(Shape{64, 10000})}));
}  // namespace lockstep::test

// log_softmax cases: a few rows of 13 classes, and 1000 rows of 10 (63 jobs of the 16-row
// grain, so every thread count splits the rows). Not exact on integers (exp and log).
// Bounds, from the documented order and the measured accuracy of kernels/math.h's exp and
// log (below 1 ulp over all floats, tests/kernels/math_test.cpp; 1 ulp of v <= chain_bound(1, |v|)):
//  * forward: d = x - m (1 rounding), e = exp(d), s = C-term chain of positive e, log(s),
//    lse = m + log s, y = x - lse (1 rounding each);
//  * backward: S = C-term chain of dy, p = exp(y), p*S, dy - p*S; plus the forward's error
//    in y, carried by p*|S| (the reference takes its own y, not the float one).
#include <algorithm>
#include <cmath>

#include "core/ops.h"
#include "kernels/log_softmax.h"
#include "tests/ops/harness/op_case.h"
#include "reference/log_softmax_ref.h"

namespace lockstep::test {
namespace {

constexpr double kExpUlp = 1.0, kLogUlp = 1.0;

std::vector<RefGroup> reference(i64 rows, i64 cols, const std::vector<double>& x, const std::vector<double>& dy) {
  const auto r = ref::log_softmax_fwd(x, rows, cols);
  const auto dx = ref::log_softmax_bwd(dy, r.y, rows, cols);
  RefGroup fwd{r.y, std::vector<double>(x.size())}, bwd{dx, std::vector<double>(x.size())};
  for (i64 row = 0; row < rows; ++row) {
    const size_t ri = static_cast<size_t>(row);
    const double s_rel = chain_bound(double(cols), 1.0) + chain_bound(kExpUlp, 1.0) + chain_bound(1, r.max_shift[ri]);
    double S = 0, abs_dy = 0;
    for (i64 j = 0; j < cols; ++j) S += dy[size_t(row * cols + j)], abs_dy += std::fabs(dy[size_t(row * cols + j)]);
    for (i64 j = 0; j < cols; ++j) {
      const size_t i = static_cast<size_t>(row * cols + j);
      fwd.bound[i] = chain_bound(1, std::fabs(r.y[i])) + chain_bound(1, std::fabs(r.lse[ri])) +
                     chain_bound(kLogUlp, r.log_s[ri]) + s_rel;
      const double p = std::exp(r.y[i]);
      bwd.bound[i] = chain_bound(1, std::fabs(dx[i])) + chain_bound(1, p * std::fabs(S)) + p * chain_bound(double(cols), abs_dy) +
                     std::fabs(S) * chain_bound(kExpUlp, p) + 2 * p * std::fabs(S) * fwd.bound[i];
    }
  }
  return {fwd, bwd};
}

template <class T>
std::vector<T> forward(i64 rows, i64 cols, const std::vector<T>& x) {
  std::vector<T> y(x.size());
  for (i64 r = 0; r < rows; ++r) kernels::log_softmax_fwd_row(x.data() + r * cols, y.data() + r * cols, cols);
  return y;
}

OpCase log_softmax_case(i64 rows, i64 cols) {
  OpCase c;
  c.op = "log_softmax";
  c.name = "log_softmax_" + std::to_string(rows) + "x" + std::to_string(cols);
  c.inputs = {{"x", Shape{rows, cols}}};
  c.inputs[0].lo = -8.0f, c.inputs[0].hi = 8.0f;
  c.run = [](const std::vector<Tensor>& t) { return ops::log_softmax(t[0]); };
  set_element_forms(
      c, [rows, cols](const auto& f, const Vecs<i64>&) { return forward(rows, cols, f[0]); },
      [rows, cols](const auto& f, const Vecs<i64>&, const auto& dy) {
        using T = ElemOf<decltype(f)>;
        const std::vector<T> y = forward(rows, cols, f[0]);
        Vecs<T> d{std::vector<T>(y.size())};
        for (i64 r = 0; r < rows; ++r)
          kernels::log_softmax_bwd_row(dy.data() + r * cols, y.data() + r * cols, d[0].data() + r * cols, cols);
        return d;
      });
  c.reference = [rows, cols](const Vecs<double>& f, const Vecs<i64>&, const std::vector<double>& dy, Mode) {
    return reference(rows, cols, f[0], dy);
  };
  c.int_range = 0;
  return c;
}

}  // namespace
// 4100 rows: the CPU kernel's row grain (512) still splits them over up to 9 threads.
LS_REGISTER_OP_CASES((std::vector<OpCase>{log_softmax_case(3, 5), log_softmax_case(50, 13), log_softmax_case(64, 10),
                                          log_softmax_case(1000, 10), log_softmax_case(4100, 10)}));
}  // namespace lockstep::test

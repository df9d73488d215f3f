// Full-Jacobian gradient checks by central differences, in double (after flashlight's
// jacobianTestImpl). `forward` maps an input vector to an output vector; `vjp` maps
// (input, output cotangent) to the input cotangent, i.e. the analytic backward.
// Row j of the analytic Jacobian is vjp(x, e_j); column i of the numerical one is
// (f(x + h e_i) - f(x - h e_i)) / 2h.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <vector>

namespace lockstep::test {

using VecFn = std::function<std::vector<double>(const std::vector<double>&)>;
using VjpFn = std::function<std::vector<double>(const std::vector<double>& x, const std::vector<double>& dy)>;

inline ::testing::AssertionResult gradcheck(const VecFn& forward, const VjpFn& vjp, std::vector<double> x,
                                            double h = 1e-6, double tol = 1e-6) {
  const std::vector<double> y = forward(x);
  const size_t n = x.size(), m = y.size();
  std::vector<double> numeric(m * n);  // [j][i]
  for (size_t i = 0; i < n; ++i) {
    const double xi = x[i];
    x[i] = xi + h;
    const std::vector<double> plus = forward(x);
    x[i] = xi - h;
    const std::vector<double> minus = forward(x);
    x[i] = xi;
    for (size_t j = 0; j < m; ++j) numeric[j * n + i] = (plus[j] - minus[j]) / (2 * h);
  }
  double max_err = 0, max_abs = 0;
  size_t worst_i = 0, worst_j = 0;
  for (size_t j = 0; j < m; ++j) {
    std::vector<double> e(m, 0.0);
    e[j] = 1.0;
    const std::vector<double> row = vjp(x, e);
    if (row.size() != n) return ::testing::AssertionFailure() << "vjp returned " << row.size() << " values, want " << n;
    for (size_t i = 0; i < n; ++i) {
      const double err = std::fabs(row[i] - numeric[j * n + i]) / std::max(1.0, std::fabs(numeric[j * n + i]));
      max_abs = std::max(max_abs, std::fabs(row[i]));
      if (err > max_err) max_err = err, worst_i = i, worst_j = j;
    }
  }
  if (max_abs == 0) return ::testing::AssertionFailure() << "analytic Jacobian is all zero: the check proves nothing";
  if (max_err <= tol) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "Jacobian mismatch: max relative error " << max_err << " at output "
                                       << worst_j << ", input " << worst_i;
}

}  // namespace lockstep::test

// Naive float64 log_softmax reference (std::exp/std::log in double), independent of
// kernels/. Alongside y it returns, per row, the magnitudes the tests' error bounds need.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace lockstep::ref {

struct LogSoftmaxResult {
  std::vector<double> y;          // (rows, cols)
  std::vector<double> lse;        // per row: log(sum_j exp(x_j))
  std::vector<double> log_s;      // per row: log(sum_j exp(x_j - max))
  std::vector<double> max_shift;  // per row: max_j |x_j - max|
};

inline LogSoftmaxResult log_softmax_fwd(const std::vector<double>& x, std::int64_t rows, std::int64_t cols) {
  LogSoftmaxResult out{std::vector<double>(x.size()), std::vector<double>(static_cast<size_t>(rows)),
                       std::vector<double>(static_cast<size_t>(rows)), std::vector<double>(static_cast<size_t>(rows))};
  for (std::int64_t r = 0; r < rows; ++r) {
    const double* xr = x.data() + r * cols;
    const double m = *std::max_element(xr, xr + cols);
    double s = 0, shift = 0;
    for (std::int64_t j = 0; j < cols; ++j) s += std::exp(xr[j] - m), shift = std::max(shift, m - xr[j]);
    const size_t ri = static_cast<size_t>(r);
    out.log_s[ri] = std::log(s);
    out.lse[ri] = m + std::log(s);
    out.max_shift[ri] = shift;
    for (std::int64_t j = 0; j < cols; ++j) out.y[static_cast<size_t>(r * cols + j)] = xr[j] - out.lse[ri];
  }
  return out;
}

// dx_j = dy_j - softmax_j * sum_k dy_k, with softmax = exp(y) of the given y.
inline std::vector<double> log_softmax_bwd(const std::vector<double>& dy, const std::vector<double>& y,
                                           std::int64_t rows, std::int64_t cols) {
  std::vector<double> dx(dy.size());
  for (std::int64_t r = 0; r < rows; ++r) {
    double sum = 0;
    for (std::int64_t j = 0; j < cols; ++j) sum += dy[static_cast<size_t>(r * cols + j)];
    for (std::int64_t j = 0; j < cols; ++j) {
      const size_t i = static_cast<size_t>(r * cols + j);
      dx[i] = dy[i] - std::exp(y[i]) * sum;
    }
  }
  return dx;
}

}  // namespace lockstep::ref

// Naive float64 nll_loss (mean) reference, independent of kernels/: one plain sum.
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

namespace lockstep::ref {

struct NllLossResult {
  double loss;
  double abs_sum;  // sum_n |logp[n, t_n]|, for the error bound
};

inline NllLossResult nll_loss_fwd(const std::vector<double>& logp, const std::vector<std::int64_t>& target,
                                  std::int64_t rows, std::int64_t cols) {
  double total = 0, abs_sum = 0;
  for (std::int64_t n = 0; n < rows; ++n) {
    const double v = logp[static_cast<size_t>(n * cols + target[static_cast<size_t>(n)])];
    total += v;
    abs_sum += std::fabs(v);
  }
  return {-total / static_cast<double>(rows), abs_sum};
}

// dlogp[n, t_n] = -dloss / rows; 0 elsewhere.
inline std::vector<double> nll_loss_bwd(double dloss, const std::vector<std::int64_t>& target, std::int64_t rows,
                                        std::int64_t cols) {
  std::vector<double> d(static_cast<size_t>(rows * cols), 0.0);
  for (std::int64_t n = 0; n < rows; ++n)
    d[static_cast<size_t>(n * cols + target[static_cast<size_t>(n)])] = -dloss / static_cast<double>(rows);
  return d;
}

}  // namespace lockstep::ref

// Naive float64 relu reference, independent of kernels/. NaN propagates forward.
#pragma once

#include <cmath>
#include <vector>

namespace lockstep::ref {

inline std::vector<double> relu_fwd(const std::vector<double>& x) {
  std::vector<double> y(x.size());
  for (size_t i = 0; i < x.size(); ++i) y[i] = std::isnan(x[i]) ? x[i] : std::fmax(x[i], 0.0);
  return y;
}

inline std::vector<double> relu_bwd(const std::vector<double>& dy, const std::vector<double>& x) {
  std::vector<double> dx(x.size());
  for (size_t i = 0; i < x.size(); ++i) dx[i] = x[i] > 0 ? dy[i] : 0.0;
  return dx;
}

}  // namespace lockstep::ref

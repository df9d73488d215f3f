// Naive float64 max_pool2d reference, independent of kernels/: it finds the window
// maximum first and then the first index holding it, a different formulation from the
// kernel's running comparison. NaN: the window maximum is NaN and the first NaN is chosen.
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

namespace lockstep::ref {

struct Pool2dShape {
  std::int64_t N, C, H, W, k, stride;
  std::int64_t P() const { return (H - k) / stride + 1; }
  std::int64_t Q() const { return (W - k) / stride + 1; }
};

struct MaxPool2dResult {
  std::vector<double> y;
  std::vector<std::int64_t> argmax;  // h*W + w within the (n,c) plane
};

inline MaxPool2dResult max_pool2d_fwd(const std::vector<double>& x, const Pool2dShape& s) {
  const std::int64_t P = s.P(), Q = s.Q();
  MaxPool2dResult out{std::vector<double>(static_cast<size_t>(s.N * s.C * P * Q)),
                      std::vector<std::int64_t>(static_cast<size_t>(s.N * s.C * P * Q))};
  for (std::int64_t nc = 0; nc < s.N * s.C; ++nc)
    for (std::int64_t p = 0; p < P; ++p)
      for (std::int64_t q = 0; q < Q; ++q) {
        auto at = [&](std::int64_t r, std::int64_t c) { return (p * s.stride + r) * s.W + (q * s.stride + c); };
        const double* plane = x.data() + nc * s.H * s.W;
        bool has_nan = false;
        double m = -INFINITY;
        for (std::int64_t r = 0; r < s.k; ++r)
          for (std::int64_t c = 0; c < s.k; ++c) {
            has_nan = has_nan || std::isnan(plane[at(r, c)]);
            m = std::fmax(m, plane[at(r, c)]);
          }
        std::int64_t idx = -1;
        for (std::int64_t r = 0; r < s.k && idx < 0; ++r)
          for (std::int64_t c = 0; c < s.k && idx < 0; ++c) {
            const double v = plane[at(r, c)];
            if (has_nan ? std::isnan(v) : v == m) idx = at(r, c);
          }
        const size_t o = static_cast<size_t>((nc * P + p) * Q + q);
        out.y[o] = plane[idx];
        out.argmax[o] = idx;
      }
  return out;
}

// dx[n,c,h,w] = sum of dy over the outputs whose argmax is (h,w).
inline std::vector<double> max_pool2d_bwd(const std::vector<double>& dy, const std::vector<std::int64_t>& argmax,
                                          const Pool2dShape& s) {
  const std::int64_t P = s.P(), Q = s.Q();
  std::vector<double> dx(static_cast<size_t>(s.N * s.C * s.H * s.W), 0.0);
  for (std::int64_t nc = 0; nc < s.N * s.C; ++nc)
    for (std::int64_t o = 0; o < P * Q; ++o)
      dx[static_cast<size_t>(nc * s.H * s.W + argmax[static_cast<size_t>(nc * P * Q + o)])] +=
          dy[static_cast<size_t>(nc * P * Q + o)];
  return dx;
}

}  // namespace lockstep::ref

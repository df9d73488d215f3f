// CPU element-wise kernels and the canonical full-tensor sum. Element-wise work has one
// rounding per output, so any split is deterministic; the sum gives whole chunks of
// kernels/reduce.h to threads and combines the partials in chunk order.
#include "cpu/kernels.h"

#include <vector>

#include "cpu/parallel.h"
#include "kernels/elementwise.h"
#include "kernels/reduce.h"

namespace lockstep::cpu {
namespace k = lockstep::kernels;
namespace {
constexpr i64 kElementGrain = 1 << 15;
}

void fill_det(float* y, float value, i64 n) {
  parallel_for(n, kElementGrain, [&](i64 b, i64 e) {
    for (i64 i = b; i < e; ++i) y[i] = value;
  });
}

void add_det(const float* a, const float* b, float* y, i64 n) {
  parallel_for(n, kElementGrain, [&](i64 lo, i64 hi) {
    for (i64 i = lo; i < hi; ++i) y[i] = k::add_elem(a[i], b[i]);
  });
}

void mul_det(const float* a, const float* b, float* y, i64 n) {
  parallel_for(n, kElementGrain, [&](i64 lo, i64 hi) {
    for (i64 i = lo; i < hi; ++i) y[i] = k::mul_elem(a[i], b[i]);
  });
}

void scale_det(const float* x, float s, float* y, i64 n) {
  parallel_for(n, kElementGrain, [&](i64 lo, i64 hi) {
    for (i64 i = lo; i < hi; ++i) y[i] = k::scale_elem(x[i], s);
  });
}

void sum_det(const float* x, i64 n, float* y) {
  const i64 chunks = k::num_chunks(n, k::kSumChunk);
  std::vector<float> partial(static_cast<size_t>(chunks));
  parallel_for(chunks, 16, [&](i64 lo, i64 hi) {
    for (i64 c = lo; c < hi; ++c) {
      const i64 begin = c * k::kSumChunk;
      const i64 end = begin + k::kSumChunk < n ? begin + k::kSumChunk : n;
      partial[static_cast<size_t>(c)] = k::sum_chain(x, begin, end);
    }
  });
  *y = k::combine_partials(partial.data(), chunks);
}

void sgd_update_det(float* p, float* v, const float* g, float lr, float momentum, i64 n) {
  parallel_for(n, kElementGrain, [&](i64 lo, i64 hi) {
    if (momentum != 0.0f) {
      for (i64 i = lo; i < hi; ++i) k::sgd_momentum_elem(p[i], v[i], g[i], lr, momentum);
    } else {
      for (i64 i = lo; i < hi; ++i) k::sgd_plain_elem(p[i], g[i], lr);
    }
  });
}

}  // namespace lockstep::cpu

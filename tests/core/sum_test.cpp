#include <gtest/gtest.h>

#include <cmath>

#include "core/ops.h"
#include "tests/support/compare.h"
#include "reference/data.h"
#include "tests/support/threads.h"

namespace lockstep {
namespace {

// Independent statement of the documented tree (docs/ordering.md#canonical-reduction-tree):
// chunks of 1024 summed sequentially from zero, then the partials summed sequentially.
float documented_sum(const std::vector<float>& x) {
  float total = 0.0f;
  for (size_t b = 0; b < x.size(); b += 1024) {
    float part = 0.0f;
    for (size_t i = b; i < std::min(x.size(), b + 1024); ++i) part += x[i];
    total += part;
  }
  return total;
}

TEST(Sum, DetBitwiseEqualsDocumentedTreeAcrossThreads) {
  for (i64 n : {1, 1023, 1024, 1025, 100000}) {
    const auto v = test::uniform_values(7, n);
    const Tensor x = Tensor::from_vector(v, {n});
    const auto results = test::at_each_thread_count([&] { return ops::sum(x).item(); });
    for (float r : results) EXPECT_TRUE(test::bitwise_equal({r}, {documented_sum(v)}, "n=" + std::to_string(n)));
  }
}

TEST(Sum, WithinFloat64Reference) {
  const auto v = test::uniform_values(3, 50000);
  double ref = 0, abs_sum = 0;
  for (float f : v) ref += f, abs_sum += std::fabs(f);
  const float got = ops::sum(Tensor::from_vector(v, {50000})).item();
  // Longest chain: 1024 additions in a chunk plus 49 partial additions.
  EXPECT_TRUE(test::within_bounds({got}, {ref}, {test::chain_bound(1024 + 49, abs_sum)}));
}

}  // namespace
}  // namespace lockstep

// The exact float32 accumulator of `lockstep study sum` (tools/study/exact_sum.h) on sums
// whose exact value is known, and the ULP distance helper.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "tools/study/exact_sum.h"

namespace lockstep::study {
namespace {

double exact(const std::vector<float>& v) { return exact_sum(v.data(), v.size()).to_double(); }

TEST(ExactSum, HugeCancellationKeepsTheOne) {
  EXPECT_EQ(exact({1e30f, 1.0f, -1e30f}), 1.0);
  EXPECT_EQ(exact({1e30f, -1e30f, 1.0f}), 1.0);
  EXPECT_EQ(exact({3.0e38f, 3.0e38f, -3.0e38f, -3.0e38f, 0.5f}), 0.5);  // passes 2^128 on the way
}

TEST(ExactSum, EveryPowerOfTwoOfFloat32) {
  ExactSum s;
  for (int e = -149; e <= 127; ++e) s.add(std::ldexp(1.0f, e));
  EXPECT_EQ(s.to_float(), std::numeric_limits<float>::infinity());  // 2^128 - 2^-149 rounds up past FLT_MAX
  EXPECT_EQ(s.to_double(), std::ldexp(1.0, 128));
  for (int e = -100; e <= 127; ++e) s.add(-std::ldexp(1.0f, e));
  EXPECT_EQ(s.to_double(), std::ldexp(1.0, -100) - std::ldexp(1.0, -149));  // 49 ones: exact in double
}

TEST(ExactSum, SubnormalsAndSigns) {
  const float tiny = std::numeric_limits<float>::denorm_min();
  EXPECT_EQ(exact({tiny, tiny, tiny}), 3 * std::ldexp(1.0, -149));
  EXPECT_EQ(exact({tiny, -tiny}), 0.0);
  EXPECT_EQ(exact({-2.5f, 1.0f}), -1.5);
  EXPECT_TRUE(exact_sum(nullptr, 0).is_zero());
}

TEST(ExactSum, RoundsToNearestEvenAtFloat32) {
  // 1 + 2^-24 is a tie between 1 and 1 + 2^-23: even wins (1). 1 + 3*2^-24 rounds up to 1 + 2^-22.
  EXPECT_EQ(exact_sum(std::vector<float>{1.0f, std::ldexp(1.0f, -24)}.data(), 2).to_float(), 1.0f);
  EXPECT_EQ(exact_sum(std::vector<float>{1.0f, std::ldexp(1.0f, -24), std::ldexp(1.0f, -23)}.data(), 3).to_float(),
            1.0f + std::ldexp(1.0f, -22));
  // Just above the tie rounds up (a sticky bit far below).
  EXPECT_EQ(exact_sum(std::vector<float>{1.0f, std::ldexp(1.0f, -24), std::ldexp(1.0f, -149)}.data(), 3).to_float(),
            1.0f + std::ldexp(1.0f, -23));
  EXPECT_EQ(exact_sum(std::vector<float>{-1.0f, -std::ldexp(1.0f, -24), -std::ldexp(1.0f, -149)}.data(), 3).to_float(),
            -1.0f - std::ldexp(1.0f, -23));
}

TEST(ExactSum, MatchesIntegerArithmeticOnManyTerms) {
  // Integers below 2^24 are exact floats; their sum in int64 is the ground truth.
  ExactSum s;
  long long want = 0;
  for (int i = 0; i < 1000000; ++i) {
    const long long v = ((static_cast<long long>(i) * 7919) % 16777215) - 8388607;
    s.add(static_cast<float>(v));
    want += v;
  }
  EXPECT_EQ(s.to_double(), static_cast<double>(want));
}

TEST(UlpDiff, CountsRepresentableFloats) {
  EXPECT_EQ(ulp_diff(1.0f, 1.0f), 0);
  EXPECT_EQ(ulp_diff(std::nextafter(1.0f, 2.0f), 1.0f), 1);
  EXPECT_EQ(ulp_diff(1.0f, std::nextafter(1.0f, 2.0f)), -1);
  EXPECT_EQ(ulp_diff(0.0f, -0.0f), 0);
  const float tiny = std::numeric_limits<float>::denorm_min();
  EXPECT_EQ(ulp_diff(tiny, -tiny), 2);
}

}  // namespace
}  // namespace lockstep::study

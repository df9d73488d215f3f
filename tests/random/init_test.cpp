// Parameter initialisation: the documented formula element by element (independent reference),
// bounds, mean and variance within Hoeffding bounds, bitwise equality across thread counts and
// runs, stream separation per parameter, and argument errors.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "nn/init.h"
#include "reference/philox_ref.h"
#include "tests/support/stream_checks.h"
#include "tests/support/compare.h"
#include "tests/support/threads.h"

namespace lockstep {
namespace {

// docs/randomness.md#init, recomputed in double: (2u - 1) and its product with b are exact in
// double (24-bit by 24-bit significands), so one narrowing gives the float result.
std::vector<float> expected_init(i64 n, float b, std::uint64_t seed, std::uint64_t param) {
  const ref::Stream s = ref::stream(seed, ref::kInit, param, 0);
  std::vector<float> v(static_cast<size_t>(n));
  for (i64 i = 0; i < n; ++i)
    v[static_cast<size_t>(i)] =
        static_cast<float>((2.0 * ref::unit(ref::word(s, static_cast<std::uint64_t>(i))) - 1.0) * static_cast<double>(b));
  return v;
}

Tensor initialised(const Shape& shape, float b, std::uint64_t seed, std::uint64_t param) {
  Tensor t = Tensor::zeros(shape);
  nn::init_uniform_(t, b, seed, param);
  return t;
}

TEST(Init, DefaultBoundIsInverseSqrtFanIn) {
  EXPECT_EQ(nn::default_init_bound(1), 1.0f);
  EXPECT_EQ(nn::default_init_bound(25), 0.2f);   // conv1: 1*5*5
  EXPECT_EQ(nn::default_init_bound(4), 0.5f);
  for (i64 fan_in : {250, 320, 50})  // conv2, fc1, fc2
    EXPECT_EQ(nn::default_init_bound(fan_in), static_cast<float>(1.0 / std::sqrt(static_cast<double>(fan_in))));
  EXPECT_THROW(nn::default_init_bound(0), ShapeError);
}

TEST(Init, MatchesDocumentedFormulaElementByElement) {
  const float b = nn::default_init_bound(320);
  for (std::uint64_t param : {0ull, 2ull, 5ull}) {
    const Tensor t = initialised({50, 320}, b, 1, param);
    EXPECT_TRUE(test::bitwise_equal(t.to_vector(), expected_init(50 * 320, b, 1, param), "param " + std::to_string(param)));
  }
  EXPECT_TRUE(test::bitwise_equal(initialised({10, 1, 5, 5}, 0.2f, 42, 0).to_vector(), expected_init(250, 0.2f, 42, 0)));
}

TEST(Init, BoundsRespectedAndMomentsWithinHoeffdingBounds) {
  const i64 n = 1 << 20;
  const float b = nn::default_init_bound(250);
  const std::vector<float> v = initialised({n}, b, 3, 1).to_vector();
  double sum = 0, sum_sq = 0;
  for (float x : v) {
    ASSERT_GE(x, -b);
    ASSERT_LE(x, b);
    sum += x;
    sum_sq += static_cast<double>(x) * x;
  }
  const double bd = b, mean = sum / n, m2 = sum_sq / n, var = m2 - mean * mean;
  // Hoeffding with false-alarm rate alpha per statistic: a variable in [lo, hi] has a sample
  // mean within (hi - lo) * t of its expectation, t = sqrt(ln(2/alpha) / (2n)).
  const double t = std::sqrt(std::log(2.0 / 1e-9) / (2.0 * n));
  // X in [-b, b]: E[X] = -b 2^-24 (the grid (2k - 2^24) 2^-24 b, k < 2^24), |mean - E X| <= 2b t.
  EXPECT_NEAR(mean, 0.0, 2 * bd * t + bd * std::ldexp(1.0, -24));
  // X^2 in [0, b^2]: E[X^2] = b^2/3 up to the grid (relative 2^-23) and the float rounding of
  // each product (relative 2^-23 on X^2), so |m2 - b^2/3| <= b^2 t + b^2 2^-21.
  const double target = (2 * bd) * (2 * bd) / 12.0;  // variance of U(-b, b)
  EXPECT_NEAR(m2, target, bd * bd * (t + std::ldexp(1.0, -21)));
  // var = m2 - mean^2 adds at most (|E X| + 2b t)^2.
  const double mean_dev = 2 * bd * t + bd * std::ldexp(1.0, -24);
  EXPECT_NEAR(var, target, bd * bd * (t + std::ldexp(1.0, -21)) + mean_dev * mean_dev);
  // Both ends of the range are reached closely (guards against a halved or shifted range).
  EXPECT_LT(*std::min_element(v.begin(), v.end()), -0.999 * b);
  EXPECT_GT(*std::max_element(v.begin(), v.end()), 0.999 * b);
}

TEST(Init, DetBitwiseAcrossThreadsAndRuns) {
  const float b = nn::default_init_bound(320);
  auto run = [&] { return initialised({(1 << 18) + 3}, b, 9, 4).to_vector(); };
  const auto results = test::at_each_thread_count(run);
  for (size_t t = 0; t < results.size(); ++t)
    EXPECT_TRUE(test::bitwise_equal(results[t], results[0], "threads=" + std::to_string(test::kThreadCounts[t])));
  EXPECT_TRUE(test::bitwise_equal(run(), results[0], "second run"));
}

TEST(Init, ValueDependsOnlyOnSeedParameterAndIndex) {
  const std::vector<float> small = initialised({10}, 0.5f, 1, 3).to_vector();
  const std::vector<float> big = initialised({3, 10}, 0.5f, 1, 3).to_vector();
  EXPECT_TRUE(test::bitwise_equal(small, std::vector<float>(big.begin(), big.begin() + 10), "prefix"));
  EXPECT_FALSE(test::bitwise_equal(initialised({10}, 0.5f, 1, 4).to_vector(), small));  // other parameter
  EXPECT_FALSE(test::bitwise_equal(initialised({10}, 0.5f, 2, 3).to_vector(), small));  // other seed
}

TEST(Init, RejectsBadArguments) {
  Tensor ints = Tensor::from_ints({1, 2, 3}, {3});
  EXPECT_THROW(nn::init_uniform_(ints, 0.5f, 1, 0), DTypeError);
  Tensor t = Tensor::zeros({3});
  EXPECT_THROW(nn::init_uniform_(t, -1.0f, 1, 0), Error);
  EXPECT_THROW(nn::init_uniform_(t, std::numeric_limits<float>::quiet_NaN(), 1, 0), Error);
  Tensor undefined;
  EXPECT_THROW(nn::init_uniform_(undefined, 0.5f, 1, 0), Error);
}

// The worked example of docs/randomness.md#initialisation.
TEST(Init, DocumentedWorkedExample) {
  const ref::Stream s = ref::stream(1, ref::kInit, 0, 0);
  const std::vector<std::uint32_t> words = {0xe4ef93c3u, 0x7e7e71ccu, 0x4795fefau, 0x40a84ef4u};
  test::expect_stream(s, 0xac08141bu, 0xdfc5ccbeu, words);
  EXPECT_EQ(words[0] >> 8, 15003539u);
  EXPECT_EQ(ref::unit(words[0]), 0x1.c9df26p-1f);
  const std::vector<float> want = {0x1.42fea4p-3f, -0x1.347266p-9f, -0x1.690cdap-4f, -0x1.956474p-4f};
  EXPECT_TRUE(test::bitwise_equal(expected_init(4, 0.2f, 1, 0), want, "reference"));
  EXPECT_TRUE(test::bitwise_equal(initialised({4}, 0.2f, 1, 0).to_vector(), want, "init_uniform_"));
}

}  // namespace
}  // namespace lockstep

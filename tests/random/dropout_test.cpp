// dropout and dropout2d: masks element by element against the documented formula, recomputed
// with the independent reference (reference/philox_ref.h); keep rates within a Hoeffding
// bound; bitwise equality across thread counts and runs; autograd; modes, p = 0 and p = 1; errors.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "core/ops.h"
#include "core/ops_random.h"
#include "reference/philox_ref.h"
#include "tests/support/stream_checks.h"
#include "tests/support/compare.h"
#include "reference/data.h"
#include "tests/support/threads.h"

namespace lockstep {
namespace {

// Inputs in [1, 2): never zero, so y == 0 exactly when the element was dropped.
Tensor positive_input(std::uint64_t seed, const Shape& shape) { return test::uniform_tensor(seed, shape, 1.0f, 2.0f); }

// The documented output of element i, computed without kernels/: keep ? x * (1/(1-p)) : +0.
std::vector<float> expected_output(const std::vector<float>& x, float p, const ops::DropoutKey& key, std::int64_t group) {
  const float scale = 1.0f / (1.0f - p);
  std::vector<float> y(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    const bool kept = ref::keep(key.seed, key.layer_id, static_cast<std::uint64_t>(key.step), p, i / group);
    y[i] = kept ? x[i] * scale : 0.0f;
  }
  return y;
}

TEST(Dropout, MaskMatchesDocumentedFormulaElementByElement) {
  for (float p : {0.5f, 0.3f, 0.9f}) {
    const ops::DropoutKey key{7, 3, 11};
    const Tensor x = positive_input(1, {5, 1003});
    const Tensor y = ops::dropout(x, p, true, key);
    EXPECT_TRUE(test::bitwise_equal(y.to_vector(), expected_output(x.to_vector(), p, key, 1), "dropout"));
  }
}

TEST(Dropout2d, WholeChannelsMatchDocumentedFormula) {
  const ops::DropoutKey key{7, 4, 2};
  const i64 N = 4, C = 6, H = 5, W = 7;
  const Tensor x = positive_input(2, {N, C, H, W});
  const Tensor y = ops::dropout2d(x, 0.5f, true, key);
  const std::vector<float> got = y.to_vector();
  EXPECT_TRUE(test::bitwise_equal(got, expected_output(x.to_vector(), 0.5f, key, H * W), "dropout2d"));
  // Each (n, c) plane is all kept or all zero, and both kinds occur.
  int kept_planes = 0;
  for (i64 plane = 0; plane < N * C; ++plane) {
    int zeros = 0;
    for (i64 e = 0; e < H * W; ++e) zeros += got[static_cast<size_t>(plane * H * W + e)] == 0.0f;
    EXPECT_TRUE(zeros == 0 || zeros == H * W) << "plane " << plane << " has " << zeros << " zeros";
    kept_planes += zeros == 0;
  }
  EXPECT_GT(kept_planes, 0);
  EXPECT_LT(kept_planes, N * C);
}

TEST(Dropout, MaskDependsOnlyOnElementIndexNotShape) {
  const ops::DropoutKey key{5, 0, 9};
  const Tensor small = positive_input(3, {1000});
  const Tensor big = positive_input(3, {7, 1000});  // same first 1000 values (same hash seed)
  const std::vector<float> ys = ops::dropout(small, 0.5f, true, key).to_vector();
  const std::vector<float> yb = ops::dropout(big, 0.5f, true, key).to_vector();
  EXPECT_TRUE(test::bitwise_equal(ys, std::vector<float>(yb.begin(), yb.begin() + 1000), "prefix"));
}

TEST(Dropout, DetBitwiseAcrossThreadsAndRuns) {
  // Large enough that 16 threads each get several ranges' worth of Philox blocks.
  const Tensor x = positive_input(4, {3, (1 << 15) + 5});
  const Tensor x4 = positive_input(5, {8, 16, 17, 19});
  const ops::DropoutKey key{11, 1, 123456};
  auto run = [&] {
    std::vector<float> a = ops::dropout(x, 0.5f, true, key).to_vector();
    const std::vector<float> b = ops::dropout2d(x4, 0.25f, true, key).to_vector();
    a.insert(a.end(), b.begin(), b.end());
    return a;
  };
  const auto results = test::at_each_thread_count(run);
  for (size_t t = 0; t < results.size(); ++t)
    EXPECT_TRUE(test::bitwise_equal(results[t], results[0], "threads=" + std::to_string(test::kThreadCounts[t])));
  EXPECT_TRUE(test::bitwise_equal(run(), results[0], "second run"));
}

// Hoeffding: for n independent Bernoulli(q) draws, P(|k/n - q| >= t) <= 2 exp(-2 n t^2).
// With a false-alarm rate alpha this gives t = sqrt(ln(2/alpha) / (2n)); no normal approximation.
double hoeffding_radius(double n, double alpha) { return std::sqrt(std::log(2.0 / alpha) / (2.0 * n)); }

TEST(Dropout, KeepRateWithinHoeffdingBound) {
  const i64 n = 1 << 20;
  const Tensor x = Tensor::full({n}, 1.0f);
  const double alpha = 1e-9, t = hoeffding_radius(static_cast<double>(n), alpha);
  for (float p : {0.1f, 0.5f, 0.8f}) {
    const std::vector<float> y = ops::dropout(x, p, true, {21, 2, 3}).to_vector();
    i64 kept = 0;
    for (float v : y) kept += v != 0.0f;
    // The exact keep probability of the integer compare: (2^32 - D) / 2^32.
    const double q = (4294967296.0 - static_cast<double>(ref::drop_below(p))) / 4294967296.0;
    EXPECT_NEAR(static_cast<double>(kept) / static_cast<double>(n), q, t) << "p=" << p;
  }
}

TEST(Dropout2d, KeptChannelRateWithinHoeffdingBound) {
  const i64 N = 256, C = 256;  // 65536 independent channel draws, H = W = 2
  const Tensor x = Tensor::full({N, C, 2, 2}, 1.0f);
  const std::vector<float> y = ops::dropout2d(x, 0.5f, true, {21, 3, 3}).to_vector();
  i64 kept = 0;
  for (i64 plane = 0; plane < N * C; ++plane) kept += y[static_cast<size_t>(plane * 4)] != 0.0f;
  EXPECT_NEAR(static_cast<double>(kept) / static_cast<double>(N * C), 0.5, hoeffding_radius(double(N * C), 1e-9));
}

TEST(Dropout, InvertedScalingIsExact) {
  const Tensor x = positive_input(6, {4096});
  for (float p : {0.5f, 0.2f, 0.75f}) {
    const std::vector<float> xv = x.to_vector(), y = ops::dropout(x, p, true, {1, 0, 0}).to_vector();
    const float scale = 1.0f / (1.0f - p);
    size_t kept = 0;
    for (size_t i = 0; i < y.size(); ++i) {
      if (y[i] == 0.0f) continue;
      ++kept;
      ASSERT_EQ(y[i], xv[i] * scale) << "p=" << p << " i=" << i;
    }
    EXPECT_GT(kept, 0u);
    EXPECT_LT(kept, y.size());
  }
  EXPECT_EQ(1.0f / (1.0f - 0.5f), 2.0f);  // p = 0.5 (the reference network) scales exactly by 2
}

TEST(Dropout, StepLayerAndSeedEachChangeTheMask) {
  const Tensor x = positive_input(7, {2048});
  const std::vector<float> base = ops::dropout(x, 0.5f, true, {1, 0, 0}).to_vector();
  for (ops::DropoutKey other : {ops::DropoutKey{1, 0, 1}, ops::DropoutKey{1, 1, 0}, ops::DropoutKey{2, 0, 0}})
    EXPECT_FALSE(test::bitwise_equal(ops::dropout(x, 0.5f, true, other).to_vector(), base));
}

TEST(Dropout, EvalModeAndPZeroAreIdentity) {
  const Tensor x = positive_input(8, {2, 3, 4, 5});
  for (const Tensor& y : {ops::dropout(x, 0.5f, false, {1, 0, 0}), ops::dropout(x, 0.0f, true, {1, 0, 0}),
                          ops::dropout2d(x, 0.5f, false, {1, 0, 0}), ops::dropout2d(x, 0.0f, true, {1, 0, 0})}) {
    EXPECT_TRUE(y.same_impl(x));
    EXPECT_TRUE(test::bitwise_equal(y.to_vector(), x.to_vector()));
  }
}

TEST(Dropout, POneGivesExactZerosAndZeroGradient) {
  std::vector<float> values = test::uniform_values(9, 64);
  values[3] = std::numeric_limits<float>::infinity();
  values[5] = std::numeric_limits<float>::quiet_NaN();
  for (bool two_d : {false, true}) {
    Tensor x = Tensor::from_vector(values, {2, 2, 4, 4});
    x.set_requires_grad(true);
    const Tensor y = two_d ? ops::dropout2d(x, 1.0f, true, {1, 0, 0}) : ops::dropout(x, 1.0f, true, {1, 0, 0});
    for (float v : y.to_vector()) EXPECT_EQ(test::float_bits(v), 0u);  // +0, no NaN from inf * 0 or 0/0
    ops::sum(y).backward();
    for (float g : x.grad().to_vector()) EXPECT_EQ(test::float_bits(g), 0u);
  }
}

TEST(Dropout, GradientIsMaskTimesScaleTimesUpstream) {
  for (bool two_d : {false, true}) {
    const ops::DropoutKey key{13, 2, 77};
    const float p = 0.3f;
    Tensor x = positive_input(10, {3, 4, 5, 6});
    x.set_requires_grad(true);
    const Tensor g = test::uniform_tensor(11, {3, 4, 5, 6});
    const Tensor y = two_d ? ops::dropout2d(x, p, true, key) : ops::dropout(x, p, true, key);
    ops::sum(ops::mul(y, g)).backward();  // dL/dy = g exactly
    const std::vector<float> want = expected_output(g.to_vector(), p, key, two_d ? 30 : 1);
    EXPECT_TRUE(test::bitwise_equal(x.grad().to_vector(), want, two_d ? "dropout2d dx" : "dropout dx"));
  }
}

TEST(Dropout, RejectsBadArguments) {
  const Tensor x = positive_input(12, {2, 3, 4, 5});
  auto message_of = [](auto f) -> std::string {
    try {
      f();
    } catch (const Error& e) {
      return e.what();
    }
    return "<no throw>";
  };
  for (float p : {-0.1f, 1.5f, std::numeric_limits<float>::quiet_NaN()}) {
    const std::string m = message_of([&] { ops::dropout(x, p, true, {}); });
    EXPECT_NE(m.find("dropout: expected a drop probability p in [0, 1]"), std::string::npos) << m;
  }
  EXPECT_NE(message_of([&] { ops::dropout2d(x, 1.5f, true, {}); }).find("dropout2d"), std::string::npos);
  EXPECT_NE(message_of([&] { ops::dropout(x, 1.5f, false, {}); }).find("1.5"), std::string::npos);
  EXPECT_THROW(ops::dropout(x, 0.5f, true, {1, 0, -1}), Error);
  EXPECT_THROW(ops::dropout(Tensor::from_ints({1, 2}, {2}), 0.5f, true, {}), DTypeError);
  const std::string rank = message_of([&] { ops::dropout2d(positive_input(1, {3, 4, 5}), 0.5f, true, {}); });
  EXPECT_NE(rank.find("dropout2d: expected x (N,C,H,W)"), std::string::npos) << rank;
}

// The worked example of docs/randomness.md#dropout, recomputed with the reference and run
// through the op; if the doc and the code part ways, this fails.
TEST(Dropout, DocumentedWorkedExample) {
  const ref::Stream s = ref::stream(1, ref::kDropout, 1, 0);
  test::expect_stream(s, 0xef0d41dfu, 0xdd7850c2u,
                      {0xa72a6229u, 0xa70cf33au, 0xcd4fe898u, 0x4a20db60u, 0x119aeaf7u, 0x17485742u, 0xbe8870d2u,
                       0xf6fce1a1u});
  EXPECT_EQ(ref::drop_below(0.5f), 0x80000000u);
  const std::vector<float> y = ops::dropout(Tensor::full({8}, 1.0f), 0.5f, true, {1, 1, 0}).to_vector();
  EXPECT_EQ(y, (std::vector<float>{2, 2, 2, 0, 0, 0, 2, 2}));

  const ref::Stream s2 = ref::stream(1, ref::kDropout, 0, 0);
  EXPECT_EQ(s2.key[0], 0x3f55b3f0u);
  EXPECT_EQ(s2.key[1], 0x8e76cc9du);
  EXPECT_EQ(ref::word(s2, 23), 0xc71875bau);
  const std::vector<float> y2 = ops::dropout2d(Tensor::full({2, 20, 8, 8}, 1.0f), 0.5f, true, {1, 0, 0}).to_vector();
  for (int e = 0; e < 64; ++e) EXPECT_EQ(y2[static_cast<size_t>(23 * 64 + e)], 2.0f);
}

}  // namespace
}  // namespace lockstep

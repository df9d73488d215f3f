// Data order: a bijection, equal to the documented Fisher-Yates recomputed independently,
// identical across thread counts and runs, uniform over small permutations within a
// Hoeffding bound, and the rejection sampler exercised on a bound where it rejects often.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "core/error.h"
#include "core/random.h"
#include "reference/philox_ref.h"
#include "tests/support/stream_checks.h"
#include "tests/support/threads.h"

namespace lockstep {
namespace {
using i64 = std::int64_t;

bool is_bijection(const std::vector<i64>& p) {
  std::vector<char> seen(p.size(), 0);
  for (i64 v : p) {
    if (v < 0 || v >= static_cast<i64>(p.size()) || seen[static_cast<size_t>(v)]) return false;
    seen[static_cast<size_t>(v)] = 1;
  }
  return true;
}

TEST(Permutation, IsBijection) {
  for (i64 n : {0, 1, 2, 3, 10, 1000, 60000}) {
    const std::vector<i64> p = random::permutation(1, 0, n);
    EXPECT_EQ(static_cast<i64>(p.size()), n);
    EXPECT_TRUE(is_bijection(p)) << "n=" << n;
  }
}

TEST(Permutation, MatchesDocumentedFisherYates) {
  for (std::uint64_t seed : {0ull, 1ull, 0xfedcba9876543210ull})
    for (std::uint64_t epoch : {0ull, 1ull, 3ull, 1ull << 35})
      for (i64 n : {2, 7, 100, 60000})
        ASSERT_EQ(random::permutation(seed, epoch, n), ref::permutation(seed, epoch, n))
            << "seed " << seed << " epoch " << epoch << " n " << n;
  EXPECT_EQ(random::data_order(5, 2, 1000), random::permutation(5, 2, 1000));
}

TEST(Permutation, IdenticalAcrossThreadCountsAndRuns) {
  auto run = [] { return random::permutation(42, 3, 60000); };
  const auto results = test::at_each_thread_count(run);
  for (size_t t = 0; t < results.size(); ++t) EXPECT_EQ(results[t], results[0]) << "threads=" << test::kThreadCounts[t];
  EXPECT_EQ(run(), results[0]);
}

TEST(Permutation, EpochsAndSeedsGiveDifferentOrders) {
  const std::vector<i64> base = random::permutation(1, 0, 1000);
  EXPECT_NE(random::permutation(1, 1, 1000), base);
  EXPECT_NE(random::permutation(2, 0, 1000), base);
  const std::vector<i64> identity = [] {
    std::vector<i64> v(1000);
    for (i64 i = 0; i < 1000; ++i) v[static_cast<size_t>(i)] = i;
    return v;
  }();
  EXPECT_NE(base, identity);
}

TEST(Permutation, UniformOverPermutationsOfThreeWithinHoeffdingBound) {
  // Each of the 3! orders has probability 1/6; over E epochs its frequency is within
  // t = sqrt(ln(2 * 6 / alpha) / (2E)) of 1/6 for all six at once (Hoeffding + union bound).
  const int epochs = 60000;
  std::map<std::vector<i64>, int> counts;
  for (int e = 0; e < epochs; ++e) ++counts[random::permutation(7, static_cast<std::uint64_t>(e), 3)];
  ASSERT_EQ(counts.size(), 6u);
  const double t = std::sqrt(std::log(12.0 / 1e-9) / (2.0 * epochs));
  for (const auto& [perm, c] : counts) EXPECT_NEAR(static_cast<double>(c) / epochs, 1.0 / 6.0, t);
}

TEST(Permutation, RejectionSamplerMatchesDocumentedRule) {
  const random::PhiloxStream s = random::stream_for_data_order(3, 0);
  const ref::Stream rs = ref::stream(3, ref::kDataOrder, 0, 0);
  // bound = 2^31 + 1: words >= 2^31 + 1 are rejected, nearly half of them.
  const std::uint64_t bound = (1ull << 31) + 1;
  const std::uint64_t accept_below = (1ull << 32) - (1ull << 32) % bound;
  ASSERT_EQ(accept_below, bound);
  std::uint64_t pos = 0, ref_pos = 0;
  for (int draw = 0; draw < 1000; ++draw) {
    const std::uint32_t got = random::uniform_below(s, pos, bound);
    std::uint64_t w;
    do w = ref::word(rs, ref_pos++);
    while (w >= accept_below);
    ASSERT_EQ(got, w % bound) << "draw " << draw;
    ASSERT_EQ(pos, ref_pos);
  }
  EXPECT_GT(pos, 1300u) << "rejections should consume many extra words";
  std::uint64_t p1 = 0;
  EXPECT_EQ(random::uniform_below(s, p1, 1), 0u);
  EXPECT_EQ(p1, 1u);
  std::uint64_t p2 = 5;
  EXPECT_EQ(random::uniform_below(s, p2, 1ull << 32), ref::word(rs, 5));  // never rejects
  EXPECT_THROW(random::uniform_below(s, p2, 0), Error);
  EXPECT_THROW(random::uniform_below(s, p2, (1ull << 32) + 1), Error);
}

TEST(Permutation, RejectsBadCount) {
  EXPECT_THROW(random::permutation(1, 0, -1), Error);
  EXPECT_THROW(random::permutation(1, 0, (i64(1) << 32) + 1), Error);
}

// The worked example of docs/randomness.md#data-order.
TEST(Permutation, DocumentedWorkedExample) {
  const ref::Stream s = ref::stream(1, ref::kDataOrder, 0, 0);
  const std::vector<std::uint32_t> words = {0x9a55ab02u, 0xa4dcd83cu, 0xb90671f6u, 0xb0091dd9u};
  test::expect_stream(s, 0xc1f3cfa1u, 0x095aef64u, words);
  EXPECT_EQ(words[0], 2589305602u);
  const std::vector<i64> want = {3, 4, 1, 0, 2};
  EXPECT_EQ(ref::permutation(1, 0, 5), want);
  EXPECT_EQ(random::permutation(1, 0, 5), want);
}

}  // namespace
}  // namespace lockstep

// Philox4x32 known-answer vectors (Random123 tests/kat_vectors, reference/philox_kat.h),
// the keying helpers against the independent reference, and the two canonical conversions.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "core/random.h"
#include "kernels/philox.h"
#include "reference/philox_kat.h"
#include "reference/philox_ref.h"

namespace lockstep {
namespace {
namespace k = kernels;

using Kat = ref::PhiloxKat;
constexpr const auto& kKats = ref::kPhiloxKats;

k::Philox4 run_kernel(const Kat& v) {
  const k::Philox4 c{{v.ctr[0], v.ctr[1], v.ctr[2], v.ctr[3]}};
  const k::PhiloxKey key{{v.key[0], v.key[1]}};
  return v.rounds == 10 ? k::philox4x32<10>(c, key) : k::philox4x32<7>(c, key);
}

TEST(Philox, KnownAnswerVectors) {
  for (const Kat& v : kKats) {
    const k::Philox4 got = run_kernel(v);
    for (int i = 0; i < 4; ++i)
      EXPECT_EQ(got.w[i], v.out[i]) << "R=" << v.rounds << " ctr0=" << std::hex << v.ctr[0] << " word " << i;
  }
}

TEST(Philox, ReferenceImplementationPassesKnownAnswerVectors) {
  for (const Kat& v : kKats) {
    const ref::Words4 got = ref::philox({v.ctr[0], v.ctr[1], v.ctr[2], v.ctr[3]}, {v.key[0], v.key[1]}, v.rounds);
    for (int i = 0; i < 4; ++i) EXPECT_EQ(got[i], v.out[i]) << "R=" << v.rounds << " word " << i;
  }
}

TEST(Philox, StreamsMatchDocumentedKeying) {
  const std::uint64_t seeds[] = {0, 1, 42, 0x0123456789abcdefull, ~0ull};
  for (std::uint64_t seed : seeds) {
    for (std::uint64_t inst : {0ull, 3ull, 1ull << 40}) {
      const std::pair<k::PhiloxStream, ref::Stream> cases[] = {
          {random::stream_for_init(seed, inst), ref::stream(seed, ref::kInit, inst, 0)},
          {random::stream_for_dropout(seed, inst, 7 + inst), ref::stream(seed, ref::kDropout, inst, 7 + inst)},
          {random::stream_for_data_order(seed, inst), ref::stream(seed, ref::kDataOrder, 0, inst)},
      };
      for (const auto& [got, want] : cases) {
        EXPECT_EQ(got.key.w[0], want.key[0]);
        EXPECT_EQ(got.key.w[1], want.key[1]);
        EXPECT_EQ(got.ctr_hi[0], want.c2);
        EXPECT_EQ(got.ctr_hi[1], want.c3);
        for (std::uint64_t j : {0ull, 1ull, 3ull, 4ull, 5ull, 1001ull, (1ull << 33) + 2})
          EXPECT_EQ(random::word_at(got, j), ref::word(want, j)) << "seed " << seed << " word " << j;
      }
    }
  }
}

// kernels::stream_blocks (counters side by side, for vector lanes) against stream_block one
// block at a time, also where the block index carries into counter word 1.
TEST(Philox, BlocksSideBySideEqualOneBlockAtATime) {
  for (std::uint64_t seed : {1ull, 0x0123456789abcdefull}) {
    const k::PhiloxStream s = random::stream_for_dropout(seed, 3, 99);
    for (std::uint64_t b0 : {0ull, 5ull, (1ull << 32) - 7, (1ull << 40) + 1}) {
      std::uint32_t lanes[4][16];
      k::stream_blocks<16>(s, b0, lanes);
      for (int i = 0; i < 16; ++i) {
        const k::Philox4 want = k::stream_block(s, b0 + static_cast<std::uint64_t>(i));
        for (int j = 0; j < 4; ++j) EXPECT_EQ(lanes[j][i], want.w[j]) << "block " << b0 + i << " word " << j;
      }
    }
  }
}

TEST(Philox, StreamIdsAndInstancesGiveDistinctKeys) {
  // Separate streams must not share keys (a collision would correlate init and dropout, say).
  std::vector<std::pair<std::uint32_t, std::uint32_t>> keys;
  for (std::uint32_t id : {k::kStreamInit, k::kStreamDropout, k::kStreamDataOrder})
    for (std::uint64_t inst = 0; inst < 64; ++inst) {
      const k::PhiloxKey key = k::derive_key(1, id, inst);
      keys.emplace_back(key.w[0], key.w[1]);
    }
  std::sort(keys.begin(), keys.end());
  EXPECT_EQ(std::adjacent_find(keys.begin(), keys.end()), keys.end());
}

TEST(Philox, UnitFloatIsExactTop24Bits) {
  EXPECT_EQ(k::word_to_unit_float(0u), 0.0f);
  EXPECT_EQ(k::word_to_unit_float(0xffu), 0.0f);  // low 8 bits are discarded
  EXPECT_EQ(k::word_to_unit_float(0x100u), std::ldexp(1.0f, -24));
  EXPECT_EQ(k::word_to_unit_float(0x80000000u), 0.5f);
  EXPECT_EQ(k::word_to_unit_float(0xffffffffu), 1.0f - std::ldexp(1.0f, -24));  // largest value, below 1
  for (std::uint32_t w : {0x12345678u, 0xdeadbeefu, 0x00ffff00u, 0xfffffeffu})
    EXPECT_EQ(k::word_to_unit_float(w), ref::unit(w)) << std::hex << w;
}

TEST(Philox, SymmetricUniformIsWithinBoundAndExactAtEnds) {
  const float b = 0.2f;
  EXPECT_EQ(k::word_to_symmetric(0u, b), -b);
  EXPECT_EQ(k::word_to_symmetric(0x80000000u, b), 0.0f);
  EXPECT_LE(k::word_to_symmetric(0xffffffffu, b), b);
  EXPECT_GT(k::word_to_symmetric(0xffffffffu, b), 0.9999f * b);
  // (2u - 1) is exact, so the result is one rounding of an exact product: compare with double.
  for (std::uint32_t w : {0x12345678u, 0xdeadbeefu, 0x7fffffffu}) {
    const double exact = (2.0 * ref::unit(w) - 1.0) * static_cast<double>(b);
    EXPECT_EQ(k::word_to_symmetric(w, b), static_cast<float>(exact)) << std::hex << w;
  }
}

TEST(Philox, DropThresholdIsRoundedScaledProbability) {
  EXPECT_EQ(k::drop_threshold(0.0f), 0u);
  EXPECT_EQ(k::drop_threshold(1.0f), 1ull << 32);
  EXPECT_EQ(k::drop_threshold(0.5f), 1ull << 31);
  EXPECT_EQ(k::drop_threshold(0.25f), 1ull << 30);
  for (float p : {0.1f, 0.3f, 0.9f, 1e-9f, 1e-12f, 0.99999994f, std::ldexp(1.0f, -33), 3 * std::ldexp(1.0f, -34)})
    EXPECT_EQ(k::drop_threshold(p), ref::drop_below(p)) << p;
  // p = 0 keeps every word, p = 1 drops every word.
  EXPECT_TRUE(k::keep_word(0u, k::drop_threshold(0.0f)));
  EXPECT_FALSE(k::keep_word(0xffffffffu, k::drop_threshold(1.0f)));
  EXPECT_FALSE(k::keep_word(0x7fffffffu, k::drop_threshold(0.5f)));
  EXPECT_TRUE(k::keep_word(0x80000000u, k::drop_threshold(0.5f)));
}

}  // namespace
}  // namespace lockstep

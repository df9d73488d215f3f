// Philox4x32 on the device: kernels/philox.h run by a GPU thread reproduces the Random123
// known-answer vectors (reference/philox_kat.h, R = 10 and R = 7), the same words as
// the CPU, and cuRAND's Philox4_32_10 where the mapping says they agree: curand_init(0, 0, 0)
// then four curand() calls give the first R = 10 vector.
#include <gtest/gtest.h>

#include "kernels/philox.h"
#include "reference/philox_kat.h"
#include "tests/cuda/philox_device.h"
#include "tests/cuda/support.h"

namespace lockstep {
namespace {

// The known-answer vectors of `rounds` rounds (reference/philox_kat.h), run on the device.
void check(int rounds) {
  std::vector<std::uint32_t> in;
  std::vector<const ref::PhiloxKat*> kats;
  for (const ref::PhiloxKat& k : ref::kPhiloxKats)
    if (k.rounds == rounds) {
      in.insert(in.end(), {k.ctr[0], k.ctr[1], k.ctr[2], k.ctr[3], k.key[0], k.key[1]});
      kats.push_back(&k);
    }
  ASSERT_EQ(kats.size(), 3u) << "R=" << rounds;
  const std::vector<std::uint32_t> got = test::philox_on_device(in, rounds);
  for (size_t i = 0; i < kats.size(); ++i)
    for (int j = 0; j < 4; ++j)
      EXPECT_EQ(got[4 * i + j], kats[i]->out[j]) << "R=" << rounds << " vector " << i << " word " << j;
}

TEST(PhiloxDevice, CudaMatchesKnownAnswerVectors) {
  LS_REQUIRE_CUDA();
  check(10);
  check(7);
}

TEST(PhiloxDevice, CudaEqualsCpuOnManyCounters) {
  LS_REQUIRE_CUDA();
  std::vector<std::uint32_t> in;
  for (std::uint32_t i = 0; i < 64; ++i) in.insert(in.end(), {i, i * 7u, 0xabcdu + i, i << 20, 0x12345678u, i * 3u});
  const std::vector<std::uint32_t> got = test::philox_on_device(in, 10);
  for (size_t i = 0; i < 64; ++i) {
    const auto want = kernels::philox4x32<10>(kernels::Philox4{{in[6 * i], in[6 * i + 1], in[6 * i + 2], in[6 * i + 3]}},
                                              kernels::PhiloxKey{{in[6 * i + 4], in[6 * i + 5]}});
    for (int j = 0; j < 4; ++j) EXPECT_EQ(got[4 * i + j], want.w[j]) << "counter " << i << " word " << j;
  }
}

TEST(PhiloxDevice, CurandPhilox4x32_10AgreesWhereTheMappingSaysSo) {
  LS_REQUIRE_CUDA();
  // curand_init(seed 0, subsequence 0, offset 0): key (0, 0), counter 0; curand() returns out[0..3].
  const std::vector<std::uint32_t> words = test::curand_philox_words(0, 0, 0, 8);
  for (int j = 0; j < 4; ++j) EXPECT_EQ(words[size_t(j)], ref::kPhiloxKats[0].out[j]) << "word " << j;
  // Then the counter increments from word 0: block 1 is Philox({1, 0, 0, 0}, {0, 0}).
  const auto next = kernels::philox4x32<10>(kernels::Philox4{{1u, 0u, 0u, 0u}}, kernels::PhiloxKey{{0u, 0u}});
  for (int j = 0; j < 4; ++j) EXPECT_EQ(words[size_t(4 + j)], next.w[j]) << "word " << 4 + j;
  // seed -> key (lo, hi); subsequence -> counter words 2, 3.
  const unsigned long long seed = 0x299f31d0a4093822ull, subsequence = 0x0370734413198a2eull;
  const std::vector<std::uint32_t> keyed = test::curand_philox_words(seed, subsequence, 0, 4);
  const auto want = kernels::philox4x32<10>(kernels::Philox4{{0u, 0u, 0x13198a2eu, 0x03707344u}},
                                            kernels::PhiloxKey{{0xa4093822u, 0x299f31d0u}});
  for (int j = 0; j < 4; ++j) EXPECT_EQ(keyed[size_t(j)], want.w[j]) << "keyed word " << j;
}

}  // namespace
}  // namespace lockstep

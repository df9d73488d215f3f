// Host entry points of philox_device.cu (plain C++, so the GoogleTest file stays g++-compiled).
#pragma once

#include <cstdint>
#include <vector>

namespace lockstep::test {
// ctr_key: count x {ctr0, ctr1, ctr2, ctr3, key0, key1}; returns count x 4 output words.
std::vector<std::uint32_t> philox_on_device(const std::vector<std::uint32_t>& ctr_key, int rounds);
// The first n words of curand() after curand_init(seed, subsequence, offset) (Philox4_32_10).
std::vector<std::uint32_t> curand_philox_words(unsigned long long seed, unsigned long long subsequence,
                                               unsigned long long offset, int n);
}  // namespace lockstep::test

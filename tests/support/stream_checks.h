// The worked examples of docs/randomness.md print a stream's key and its first words; this
// checks a reference stream (reference/philox_ref.h) against them.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "reference/philox_ref.h"

namespace lockstep::test {

inline void expect_stream(const ref::Stream& s, std::uint32_t key0, std::uint32_t key1,
                          const std::vector<std::uint32_t>& words) {
  EXPECT_EQ(s.key[0], key0);
  EXPECT_EQ(s.key[1], key1);
  for (size_t j = 0; j < words.size(); ++j) EXPECT_EQ(ref::word(s, j), words[j]) << "word " << j;
}

}  // namespace lockstep::test

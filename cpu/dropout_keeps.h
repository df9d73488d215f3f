// The draws of a run of consecutive dropout masks, for the CPU kernels that apply masks
// (cpu/dropout.cpp, and dropout2d fused into max_pool2d_relu in cpu/max_pool2d.cpp): Philox
// blocks come 16 at a time from kernels::stream_blocks, whose counters share vector lanes.
// One block at a time, the masks of the reference CNN's fc1 dropout took longer than the
// 41k-element dropout2d.
#pragma once

#include <algorithm>
#include <cstdint>

#include "kernels/dropout.h"

namespace lockstep::cpu {

// Calls f(i, word, n) for consecutive runs covering [0, count): word[j] is the draw of mask
// first + i + j, for j < n (kernels::stream_word: word m mod 4 of block m / 4).
template <class F>
void for_mask_words(const kernels::DropoutParams& d, std::uint64_t first, std::int64_t count, const F& f) {
  constexpr int kBlocks = 16;
  std::uint32_t lanes[4][kBlocks], words[4 * kBlocks];
  for (std::int64_t i = 0; i < count;) {
    const std::uint64_t m0 = first + static_cast<std::uint64_t>(i), b0 = m0 >> 2;
    kernels::stream_blocks<kBlocks>(d.stream, b0, lanes);
    for (int b = 0; b < kBlocks; ++b)
      for (int j = 0; j < 4; ++j) words[4 * b + j] = lanes[j][b];
    const std::int64_t n = std::min<std::int64_t>(count - i, static_cast<std::int64_t>((b0 + kBlocks) * 4 - m0));
    f(i, words + (m0 - b0 * 4), n);
    i += n;
  }
}

// keep[i] = kernels::dropout_keep(d, first + i) for 0 <= i < count.
inline void dropout_keeps(const kernels::DropoutParams& d, std::uint64_t first, std::int64_t count, bool* keep) {
  for_mask_words(d, first, count, [&](std::int64_t i, const std::uint32_t* word, std::int64_t n) {
    for (std::int64_t j = 0; j < n; ++j) keep[i + j] = kernels::keep_word(word[j], d.drop_below);
  });
}

}  // namespace lockstep::cpu

// CPU dropout/dropout2d kernel (forward and backward share it). Each output depends only on
// its own index and the key, so any split of [0, n) across threads gives the same bits; a
// thread computes the Philox blocks its range needs, 16 at a time.
// See docs/randomness.md#dropout.
#include <algorithm>

#include "cpu/dropout_keeps.h"
#include "cpu/kernels.h"
#include "cpu/parallel.h"
#include "kernels/dropout.h"

namespace lockstep::cpu {
namespace k = lockstep::kernels;
namespace {
// One Philox4x32-10 block costs ~40 integer ops per 4 draws: a smaller grain than plain copies.
constexpr i64 kDropoutGrain = 1 << 12;
}  // namespace

// Threads take whole mask groups (one draw each: an element for dropout, an (n, c) plane for
// dropout2d), so the element loop inside a group has no division and vectorises. The keep
// decisions come kBlocks Philox blocks (4 * kBlocks draws) at a time from
// kernels::stream_blocks, whose counters share vector lanes: one block at a time, the masks
// of the reference CNN's fc1 dropout took longer than the 41k-element dropout2d.
void dropout_apply_det(const float* x, float* y, const k::DropoutParams& d, i64 n) {
  constexpr int kBlocks = 16;
  const i64 group = d.group, groups = (n + group - 1) / group;
  parallel_for(groups, std::max<i64>(1, kDropoutGrain / group), [&](i64 lo, i64 hi) {
    std::uint32_t lanes[4][kBlocks], words[4 * kBlocks];
    for (i64 g0 = lo; g0 < hi;) {
      // Mask m is word m mod 4 of block m / 4, as in k::dropout_keep(d, m).
      const std::uint64_t m0 = d.first_mask + static_cast<std::uint64_t>(g0), b0 = m0 >> 2;
      k::stream_blocks<kBlocks>(d.stream, b0, lanes);
      for (int b = 0; b < kBlocks; ++b)
        for (int j = 0; j < 4; ++j) words[4 * b + j] = lanes[j][b];
      const i64 g1 = std::min<i64>(hi, g0 + static_cast<i64>((b0 + kBlocks) * 4 - m0));
      const std::uint32_t* word = words + (m0 - b0 * 4);  // word[gi - g0]: mask gi's draw
      if (group == 1) {  // a select per element, which vectorises; a branch mispredicted half the time
        for (i64 i = g0; i < g1; ++i)
          y[i] = k::dropout_elem(x[i], k::keep_word(word[i - g0], d.drop_below), d.scale);
      } else {
        for (i64 gi = g0; gi < g1; ++gi) {
          const i64 begin = gi * group, end = std::min(n, begin + group);
          if (k::keep_word(word[gi - g0], d.drop_below)) {
            for (i64 i = begin; i < end; ++i) y[i] = k::dropout_elem(x[i], true, d.scale);
          } else {
            for (i64 i = begin; i < end; ++i) y[i] = k::dropout_elem(x[i], false, d.scale);
          }
        }
      }
      g0 = g1;
    }
  });
}

void dropout_keeps(const k::DropoutParams& d, std::uint64_t first, i64 count, bool* keep) {
  constexpr int kBlocks = 16;
  std::uint32_t lanes[4][kBlocks];
  for (i64 i = 0; i < count;) {
    const std::uint64_t m0 = first + static_cast<std::uint64_t>(i), b0 = m0 >> 2;
    k::stream_blocks<kBlocks>(d.stream, b0, lanes);
    // Mask m is word m mod 4 of block m / 4, as in k::dropout_keep(d, m).
    const i64 end = std::min<i64>(count, i + static_cast<i64>((b0 + kBlocks) * 4 - m0));
    for (; i < end; ++i) {
      const std::uint64_t m = first + static_cast<std::uint64_t>(i);
      keep[i] = k::keep_word(lanes[m & 3][m / 4 - b0], d.drop_below);
    }
  }
}

}  // namespace lockstep::cpu

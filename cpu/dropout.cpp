// CPU dropout/dropout2d kernel (forward and backward share it). Each output depends only on
// its own index and the key, so any split of [0, n) across threads gives the same bits; a
// thread computes the Philox blocks its range needs, 16 at a time (cpu/dropout_keeps.h, which
// the fused dropout2d of cpu/max_pool2d.cpp uses too).
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
// dropout2d), so the element loop inside a group has no division and vectorises; the draws
// come from for_mask_words.
void dropout_apply_det(const float* x, float* y, const k::DropoutParams& d, i64 n) {
  const i64 group = d.group, groups = (n + group - 1) / group;
  parallel_for(groups, std::max<i64>(1, kDropoutGrain / group), [&](i64 lo, i64 hi) {
    // Groups lo + i .. lo + i + count - 1, word[j] the draw of group lo + i + j.
    const auto apply = [&](i64 i, const std::uint32_t* word, i64 count) {
      const i64 g0 = lo + i;
      if (group == 1) {  // a select per element, which vectorises; a branch mispredicted half the time
        for (i64 j = 0; j < count; ++j) y[g0 + j] = k::dropout_elem(x[g0 + j], k::keep_word(word[j], d.drop_below), d.scale);
        return;
      }
      for (i64 j = 0; j < count; ++j) {
        const i64 begin = (g0 + j) * group, end = std::min(n, begin + group);
        if (k::keep_word(word[j], d.drop_below)) {
          for (i64 e = begin; e < end; ++e) y[e] = k::dropout_elem(x[e], true, d.scale);
        } else {
          for (i64 e = begin; e < end; ++e) y[e] = k::dropout_elem(x[e], false, d.scale);
        }
      }
    };
    for_mask_words(d, d.first_mask + static_cast<std::uint64_t>(lo), hi - lo, apply);
  });
}

}  // namespace lockstep::cpu

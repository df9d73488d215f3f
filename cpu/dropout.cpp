// CPU dropout/dropout2d kernel (forward and backward share it). Each output depends only on
// its own index and the key, so any split of [0, n) across threads gives the same bits; a
// thread computes each Philox block of 4 words once and uses the words its range needs.
// See docs/randomness.md#dropout.
#include <algorithm>

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
// dropout2d), so the element loop inside a group has no division and vectorises.
void dropout_apply_det(const float* x, float* y, const k::DropoutParams& d, i64 n) {
  const i64 group = d.group, groups = (n + group - 1) / group;
  parallel_for(groups, std::max<i64>(1, kDropoutGrain / group), [&](i64 lo, i64 hi) {
    std::uint64_t cached = ~std::uint64_t(0);
    k::Philox4 block{};
    for (i64 gi = lo; gi < hi; ++gi) {
      const std::uint64_t m = d.first_mask + static_cast<std::uint64_t>(gi);
      if ((m >> 2) != cached) {
        cached = m >> 2;
        block = k::stream_block(d.stream, cached);
      }
      // Same word as k::dropout_keep(d, m): word m mod 4 of block m / 4.
      const bool keep = k::keep_word(block.w[m & 3u], d.drop_below);
      const i64 begin = gi * group, end = std::min(n, begin + group);
      if (keep) {
        for (i64 i = begin; i < end; ++i) y[i] = k::dropout_elem(x[i], true, d.scale);
      } else {
        for (i64 i = begin; i < end; ++i) y[i] = k::dropout_elem(x[i], false, d.scale);
      }
    }
  });
}

}  // namespace lockstep::cpu

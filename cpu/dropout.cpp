// CPU dropout/dropout2d kernel (forward and backward share it). Each output depends only on
// its own index and the key, so any split of [0, n) across threads gives the same bits; a
// thread computes each Philox block of 4 words once and uses the words its range needs.
// See docs/randomness.md#dropout.
#include "cpu/kernels.h"
#include "cpu/parallel.h"
#include "kernels/dropout.h"

namespace lockstep::cpu {
namespace k = lockstep::kernels;
namespace {
// One Philox4x32-10 block costs ~40 integer ops per 4 draws: a smaller grain than plain copies.
constexpr i64 kDropoutGrain = 1 << 12;
}  // namespace

void dropout_apply_det(const float* x, float* y, const k::DropoutParams& d, i64 n) {
  parallel_for(n, kDropoutGrain, [&](i64 lo, i64 hi) {
    std::uint64_t cached = ~std::uint64_t(0);
    k::Philox4 block{};
    for (i64 i = lo; i < hi; ++i) {
      const auto m = d.first_mask + static_cast<std::uint64_t>(i / d.group);
      if ((m >> 2) != cached) {
        cached = m >> 2;
        block = k::stream_block(d.stream, cached);
      }
      // Same word as k::dropout_keep(d, m): word m mod 4 of block m / 4.
      y[i] = k::dropout_elem(x[i], k::keep_word(block.w[m & 3u], d.drop_below), d.scale);
    }
  });
}

}  // namespace lockstep::cpu

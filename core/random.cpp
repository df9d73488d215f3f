// Host-side Philox streams: stream selection per purpose, uniform fills and the data order.
// See docs/randomness.md. The words themselves come from kernels/philox.h.
#include "core/random.h"

#include <utility>

#include "core/error.h"

namespace lockstep::random {
namespace k = lockstep::kernels;

PhiloxStream stream_for_init(std::uint64_t seed, std::uint64_t param_index) {
  return k::make_stream(seed, k::kStreamInit, param_index, 0);
}

PhiloxStream stream_for_dropout(std::uint64_t seed, std::uint64_t layer_id, std::uint64_t step) {
  return k::make_stream(seed, k::kStreamDropout, layer_id, step);
}

PhiloxStream stream_for_data_order(std::uint64_t seed, std::uint64_t epoch) {
  return k::make_stream(seed, k::kStreamDataOrder, 0, epoch);
}

std::uint32_t word_at(const PhiloxStream& s, std::uint64_t j) { return k::stream_word(s, j); }

float uniform_at(const PhiloxStream& s, std::uint64_t j) { return k::word_to_unit_float(k::stream_word(s, j)); }

namespace {
// Calls f(i, word i) for i in [0, n), one Philox block per 4 words.
template <class F>
void for_each_word(const PhiloxStream& s, i64 n, F f) {
  LS_CHECK(n >= 0, Error, "random: expected a count >= 0, got ", n);
  for (i64 b = 0; b * 4 < n; ++b) {
    const k::Philox4 block = k::stream_block(s, static_cast<std::uint64_t>(b));
    for (i64 i = b * 4; i < n && i < b * 4 + 4; ++i) f(i, block.w[i & 3]);
  }
}
}  // namespace

void fill_uniform(const PhiloxStream& s, float* out, i64 n) {
  for_each_word(s, n, [out](i64 i, std::uint32_t w) { out[i] = k::word_to_unit_float(w); });
}

void fill_uniform_symmetric(const PhiloxStream& s, float* out, i64 n, float bound) {
  for_each_word(s, n, [out, bound](i64 i, std::uint32_t w) { out[i] = k::word_to_symmetric(w, bound); });
}

std::uint32_t uniform_below(const PhiloxStream& s, std::uint64_t& position, std::uint64_t bound) {
  constexpr std::uint64_t kTwo32 = std::uint64_t(1) << 32;
  LS_CHECK(bound >= 1 && bound <= kTwo32, Error, "uniform_below: expected a bound in [1, 2^32], got ", bound);
  // Why rejection: w mod bound alone over-weights small results when bound does not divide 2^32.
  const std::uint64_t limit = kTwo32 - kTwo32 % bound;  // a multiple of bound
  for (;;) {
    const std::uint64_t w = k::stream_word(s, position++);
    if (w < limit) return static_cast<std::uint32_t>(w % bound);
  }
}

std::vector<i64> permutation(std::uint64_t seed, std::uint64_t epoch, i64 n) {
  LS_CHECK(n >= 0 && n <= (i64(1) << 32), Error, "permutation: expected n in [0, 2^32], got ", n);
  std::vector<i64> p(static_cast<size_t>(n));
  for (i64 i = 0; i < n; ++i) p[static_cast<size_t>(i)] = i;
  const PhiloxStream s = stream_for_data_order(seed, epoch);
  std::uint64_t position = 0;
  for (i64 i = n - 1; i >= 1; --i) {
    const std::uint32_t j = uniform_below(s, position, static_cast<std::uint64_t>(i) + 1);
    std::swap(p[static_cast<size_t>(i)], p[j]);
  }
  return p;
}

}  // namespace lockstep::random

// The Philox stream API: which stream each purpose draws from, and the host-side helpers
// built on it (uniform fills, the per-epoch data order). There is no generator object and no
// global state: every number is a pure function of (seed, purpose, indices), so nothing about
// threads, chunking or devices can change it and no RNG state is ever saved.
// The arithmetic lives in kernels/philox.h; the scheme is docs/randomness.md.
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/philox.h"

namespace lockstep::random {

using i64 = std::int64_t;
using kernels::PhiloxStream;

/// Stream of parameter `param_index` (its position in Module::parameters()): `auto s = stream_for_init(1, 0);`
PhiloxStream stream_for_init(std::uint64_t seed, std::uint64_t param_index);
/// Stream of dropout layer `layer_id` at training step `step`.
PhiloxStream stream_for_dropout(std::uint64_t seed, std::uint64_t layer_id, std::uint64_t step);
/// Stream of the data order of epoch `epoch`.
PhiloxStream stream_for_data_order(std::uint64_t seed, std::uint64_t epoch);

/// Word j of a stream (word j mod 4 of block j / 4).
std::uint32_t word_at(const PhiloxStream& s, std::uint64_t j);
/// Uniform float in [0, 1) with 24 random bits from word j: float(w >> 8) * 2^-24.
float uniform_at(const PhiloxStream& s, std::uint64_t j);
/// out[i] = uniform_at(s, i) for i in [0, n).
void fill_uniform(const PhiloxStream& s, float* out, i64 n);
/// out[i] = (2 u_i - 1) * bound, u_i = uniform_at(s, i): uniform in [-bound, bound].
void fill_uniform_symmetric(const PhiloxStream& s, float* out, i64 n, float bound);

/// Uniform integer in [0, bound), 1 <= bound <= 2^32, by rejection: reads words from
/// `position` on (advancing it past every word read); a word w is accepted iff
/// w < 2^32 - (2^32 mod bound), and the result is w mod bound.
std::uint32_t uniform_below(const PhiloxStream& s, std::uint64_t& position, std::uint64_t bound);

/// The order of epoch `epoch`: a permutation of [0, n), 0 <= n <= 2^32, by Fisher-Yates
/// (Durstenfeld, from the top) on stream_for_data_order(seed, epoch):
///   p = [0, 1, ..., n-1]; pos = 0;
///   for i = n-1 down to 1: j = uniform_below(s, pos, i + 1); swap(p[i], p[j]).
/// `for (i64 idx : permutation(seed, epoch, n)) ...`
std::vector<i64> permutation(std::uint64_t seed, std::uint64_t epoch, i64 n);
/// Same as permutation(): the training-set order of an epoch.
inline std::vector<i64> data_order(std::uint64_t seed, std::uint64_t epoch, i64 n) { return permutation(seed, epoch, n); }

}  // namespace lockstep::random

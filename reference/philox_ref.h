// An independent restatement of lockstep's randomness scheme for the tests: Philox4x32 from
// the SC11 paper's description (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3")
// and the keying, conversion, dropout and Fisher-Yates rules as docs/randomness.md states
// them. Written separately on purpose: it never includes kernels/, so a test comparing the two
// checks the code against the doc.
#pragma once

#include <array>
#include <cstdint>
#include <utility>
#include <vector>

namespace lockstep::ref {

using Words4 = std::array<std::uint32_t, 4>;
using Words2 = std::array<std::uint32_t, 2>;

// Philox4x32 with `rounds` rounds; key schedule k_r = k + r * (W0, W1) mod 2^32 for round r = 0..rounds-1.
inline Words4 philox(Words4 x, Words2 k, int rounds) {
  for (int r = 0; r < rounds; ++r) {
    const std::uint32_t k0 = k[0] + static_cast<std::uint32_t>(r) * 0x9E3779B9u;
    const std::uint32_t k1 = k[1] + static_cast<std::uint32_t>(r) * 0xBB67AE85u;
    const std::uint64_t p0 = 0xD2511F53ull * x[0];
    const std::uint64_t p1 = 0xCD9E8D57ull * x[2];
    x = {static_cast<std::uint32_t>(p1 >> 32) ^ x[1] ^ k0, static_cast<std::uint32_t>(p1),
         static_cast<std::uint32_t>(p0 >> 32) ^ x[3] ^ k1, static_cast<std::uint32_t>(p0)};
  }
  return x;
}

struct Stream {
  Words2 key;
  std::uint32_t c2, c3;
};

// docs/randomness.md#keys: key = first two words of Philox-10({id, lo(inst), hi(inst), 0}, {lo(seed), hi(seed)}).
inline Stream stream(std::uint64_t seed, std::uint32_t id, std::uint64_t instance, std::uint64_t time) {
  const Words4 k = philox({id, static_cast<std::uint32_t>(instance), static_cast<std::uint32_t>(instance >> 32), 0},
                          {static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32)}, 10);
  return {{k[0], k[1]}, static_cast<std::uint32_t>(time), static_cast<std::uint32_t>(time >> 32)};
}
inline constexpr std::uint32_t kInit = 1, kDropout = 2, kDataOrder = 3;

// Word j: word j % 4 of Philox-10({lo(j/4), hi(j/4), c2, c3}, key).
inline std::uint32_t word(const Stream& s, std::uint64_t j) {
  const std::uint64_t b = j / 4;
  return philox({static_cast<std::uint32_t>(b), static_cast<std::uint32_t>(b >> 32), s.c2, s.c3}, s.key, 10)[j % 4];
}

// Top 24 bits over 2^24, computed in double (exact) and then narrowed (exact).
inline float unit(std::uint32_t w) { return static_cast<float>(static_cast<double>(w / 256u) / 16777216.0); }

// Drop threshold D = round-half-up(p * 2^32), as an integer; kept iff w >= D.
inline std::uint64_t drop_below(float p) {
  const double scaled = static_cast<double>(p) * 4294967296.0;
  std::uint64_t d = static_cast<std::uint64_t>(scaled);  // floor for scaled >= 0
  if (scaled - static_cast<double>(d) >= 0.5) ++d;
  return d;
}

// Dropout mask of mask index m (element, or n*C + c for dropout2d).
inline bool keep(std::uint64_t seed, std::uint64_t layer, std::uint64_t step, float p, std::uint64_t m) {
  return word(stream(seed, kDropout, layer, step), m) >= drop_below(p);
}

// Fisher-Yates from the top with rejection sampling, words read in stream order.
inline std::vector<std::int64_t> permutation(std::uint64_t seed, std::uint64_t epoch, std::int64_t n) {
  std::vector<std::int64_t> p(static_cast<size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) p[static_cast<size_t>(i)] = i;
  const Stream s = stream(seed, kDataOrder, 0, epoch);
  std::uint64_t pos = 0;
  for (std::int64_t i = n - 1; i > 0; --i) {
    const std::uint64_t bound = static_cast<std::uint64_t>(i) + 1;
    const std::uint64_t reject_from = (std::uint64_t(1) << 32) / bound * bound;
    std::uint64_t w;
    do w = word(s, pos++);
    while (w >= reject_from);
    std::swap(p[static_cast<size_t>(i)], p[static_cast<size_t>(w % bound)]);
  }
  return p;
}

}  // namespace lockstep::ref

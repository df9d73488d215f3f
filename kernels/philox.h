// Philox4x32 (Salmon, Moraes, Dror, Shaw, SC11) and lockstep's keying scheme on top of it:
// how a (seed, stream id, instance, time) tuple becomes a key and a counter, which word a
// draw uses, and the two canonical conversions (uniform float, Bernoulli by integer
// compare). Every function is LS_HD so the CPU and CUDA backends compute the same words.
// See docs/randomness.md. Not here: stateful generators (there are none), allocation, threads.
#pragma once

#include "kernels/hd.h"

namespace lockstep::kernels {

// Constants from Random123 include/Random123/philox.h (PHILOX_M4x32_0/1, PHILOX_W32_0/1).
inline constexpr std::uint32_t kPhiloxM0 = 0xD2511F53u;
inline constexpr std::uint32_t kPhiloxM1 = 0xCD9E8D57u;
inline constexpr std::uint32_t kPhiloxW0 = 0x9E3779B9u;  // golden ratio
inline constexpr std::uint32_t kPhiloxW1 = 0xBB67AE85u;  // sqrt(3) - 1

// Stream ids: word 0 of the key-derivation counter (docs/randomness.md#keys).
inline constexpr std::uint32_t kStreamInit = 1;       // instance = parameter index, time = 0
inline constexpr std::uint32_t kStreamDropout = 2;    // instance = layer id, time = training step
inline constexpr std::uint32_t kStreamDataOrder = 3;  // instance = 0, time = epoch

struct Philox4 {
  std::uint32_t w[4];
};
struct PhiloxKey {
  std::uint32_t w[2];
};

// A stream: a key and the two high counter words; its words are indexed by a 64-bit position.
struct PhiloxStream {
  PhiloxKey key;
  std::uint32_t ctr_hi[2];  // counter words 2 and 3 (the "time": step or epoch)
};

LS_HD std::uint32_t lo32(std::uint64_t v) { return static_cast<std::uint32_t>(v); }
LS_HD std::uint32_t hi32(std::uint64_t v) { return static_cast<std::uint32_t>(v >> 32); }

// Why a 64-bit product: it is exact and portable; no mulhi intrinsic is needed on either side.
LS_HD void mulhilo32(std::uint32_t a, std::uint32_t b, std::uint32_t& lo, std::uint32_t& hi) {
  const std::uint64_t p = static_cast<std::uint64_t>(a) * static_cast<std::uint64_t>(b);
  lo = lo32(p);
  hi = hi32(p);
}

// One round (Random123 _philox4x32round):
//   (lo0,hi0) = mulhilo(M0, c0); (lo1,hi1) = mulhilo(M1, c2);
//   c = { hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0 }.
LS_HD void philox_round(std::uint32_t& c0, std::uint32_t& c1, std::uint32_t& c2, std::uint32_t& c3,
                        const PhiloxKey& k) {
  std::uint32_t lo0, hi0, lo1, hi1;
  mulhilo32(kPhiloxM0, c0, lo0, hi0);
  mulhilo32(kPhiloxM1, c2, lo1, hi1);
  c0 = hi1 ^ c1 ^ k.w[0];
  c1 = lo1;
  c2 = hi0 ^ c3 ^ k.w[1];
  c3 = lo0;
}

// Philox4x32-R of L counters under one key, word j of counter i in c[j][i].
// Order: R rounds; round 1 uses the key as given, before each later round
// key += (W0, W1) mod 2^32. Why counters side by side: a compiler can put them in vector lanes
// (one block at a time is a chain of dependent multiplies; dropout's masks spent most of their
// time there).
template <int L, int R = 10>
LS_HD void philox4x32_lanes(std::uint32_t (&c)[4][L], PhiloxKey k) {
  for (int r = 0; r < R; ++r) {
    if (r > 0) {
      k.w[0] += kPhiloxW0;
      k.w[1] += kPhiloxW1;
    }
    // Kept a loop for GCC's vectoriser, which puts the lanes in vectors: unrolled first (GCC
    // unrolls 16 iterations by itself), the lanes stayed scalar and 400 blocks took 2.4x as
    // long. Only how the lanes are scheduled changes; every word is the same integer.
#if defined(__GNUC__) && !defined(__clang__) && !defined(__CUDA_ARCH__)
#pragma GCC unroll 1
#endif
    for (int i = 0; i < L; ++i) philox_round(c[0][i], c[1][i], c[2][i], c[3][i], k);
  }
}

// One counter: philox4x32_lanes with a single lane.
template <int R = 10>
LS_HD Philox4 philox4x32(Philox4 c, PhiloxKey k) {
  std::uint32_t lanes[4][1] = {{c.w[0]}, {c.w[1]}, {c.w[2]}, {c.w[3]}};
  philox4x32_lanes<1, R>(lanes, k);
  return Philox4{{lanes[0][0], lanes[1][0], lanes[2][0], lanes[3][0]}};
}

// Order: key = words 0,1 of Philox4x32-10(ctr = {stream_id, lo(instance), hi(instance), 0},
//                                           key = {lo(seed), hi(seed)}).
// Why derive through Philox: distinct (stream, instance) pairs get unrelated keys, and no
// arithmetic on the seed (seed + id) can make two experiments share a stream.
LS_HD PhiloxKey derive_key(std::uint64_t seed, std::uint32_t stream_id, std::uint64_t instance) {
  const Philox4 out = philox4x32<10>(Philox4{{stream_id, lo32(instance), hi32(instance), 0u}},
                                     PhiloxKey{{lo32(seed), hi32(seed)}});
  return PhiloxKey{{out.w[0], out.w[1]}};
}

// Order: derive_key(seed, stream_id, instance), counter words 2,3 = {lo(time), hi(time)}.
LS_HD PhiloxStream make_stream(std::uint64_t seed, std::uint32_t stream_id, std::uint64_t instance,
                               std::uint64_t time) {
  return PhiloxStream{derive_key(seed, stream_id, instance), {lo32(time), hi32(time)}};
}

// Order: block b of a stream = Philox4x32-10(ctr = {lo(b), hi(b), ctr_hi0, ctr_hi1}, key).
LS_HD Philox4 stream_block(const PhiloxStream& s, std::uint64_t b) {
  return philox4x32<10>(Philox4{{lo32(b), hi32(b), s.ctr_hi[0], s.ctr_hi[1]}}, s.key);
}

// stream_block of blocks b0, b0+1, ..., b0+L-1: block b0+i's word j in c[j][i].
template <int L>
LS_HD void stream_blocks(const PhiloxStream& s, std::uint64_t b0, std::uint32_t (&c)[4][L]) {
  for (int i = 0; i < L; ++i) {
    const std::uint64_t b = b0 + static_cast<std::uint64_t>(i);
    c[0][i] = lo32(b);
    c[1][i] = hi32(b);
    c[2][i] = s.ctr_hi[0];
    c[3][i] = s.ctr_hi[1];
  }
  philox4x32_lanes<L>(c, s.key);
}

// Order: word j of a stream = word (j mod 4) of block floor(j / 4).
LS_HD std::uint32_t stream_word(const PhiloxStream& s, std::uint64_t j) { return stream_block(s, j >> 2).w[j & 3u]; }

// Order: u = float(w >> 8) * 2^-24: the top 24 bits, exact, u in [0, 1 - 2^-24].
// Why the top bits and 24 of them: a float holds 24 significand bits, so every step is exact.
LS_HD float word_to_unit_float(std::uint32_t w) { return static_cast<float>(w >> 8) * 0x1p-24f; }

// Order: v = (2u - 1) * b with u = word_to_unit_float(w); 2u and 2u - 1 are exact (a
// multiple of 2^-23 in [-1, 1)), so the product with b is the only rounding. |v| <= b.
LS_HD float word_to_symmetric(std::uint32_t w, float b) { return (2.0f * word_to_unit_float(w) - 1.0f) * b; }

// Order: D = floor(p * 2^32 + 1/2) evaluated in double (exact: p * 2^32 is a scaled float and
// the sum stays below 2^52), D in [0, 2^32]. A word w is dropped iff w < D, so
// P(keep) = (2^32 - D) / 2^32; p = 0 keeps everything and p = 1 drops everything.
// Precondition (checked on the host): 0 <= p <= 1.
LS_HD std::uint64_t drop_threshold(float p) {
  return static_cast<std::uint64_t>(static_cast<double>(p) * 4294967296.0 + 0.5);
}

// Order: keep iff w >= D, an integer compare (no float rounding can differ between backends).
LS_HD bool keep_word(std::uint32_t w, std::uint64_t drop_below) { return static_cast<std::uint64_t>(w) >= drop_below; }

}  // namespace lockstep::kernels

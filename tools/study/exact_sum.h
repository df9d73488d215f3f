// An exact accumulator for float32 sums (a fixed-point "superaccumulator"), and the ULP
// distance between floats. Used by `lockstep study` as the ground truth every summation
// order is compared with.
//
// Why it is exact: every finite float32 is an integer multiple of 2^-149 (the smallest
// subnormal) and smaller than 2^128 in magnitude, so it is an integer of at most 277 bits
// in units of 2^-149. The accumulator holds that integer in 32-bit digits, each kept in an
// int64 limb: adding a float adds its 24-bit significand, shifted, into at most two limbs,
// an integer addition with no rounding. Limbs are renormalised (carries propagated) every
// 2^30 additions, long before an int64 limb could overflow (each addition changes a limb by
// less than 2^32), and there are 12 limbs (384 bits) so sums of up to 2^100 floats fit. The
// value is converted once at the end, rounding to nearest-even at float32 or float64 precision.
#pragma once

#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <stdexcept>

namespace lockstep::study {

class ExactSum {
 public:
  static constexpr int kLimbs = 12;     // 384 bits: 277 for one float + headroom for 2^100 terms
  static constexpr int kMinExp = -149;  // weight of bit 0

  void add(float v) {
    std::uint32_t bits;
    std::memcpy(&bits, &v, 4);
    const int biased = static_cast<int>((bits >> 23) & 0xff);
    if (biased == 0xff) throw std::domain_error("ExactSum: inf or NaN");
    std::uint64_t mant = bits & 0x7fffff;
    // value = mant * 2^(e - 149) with e the bit offset of the significand's lowest bit.
    int offset;
    if (biased == 0) {
      offset = 0;  // subnormal: mant * 2^-149
    } else {
      mant |= 0x800000;
      offset = biased - 1;  // normal: mant * 2^(biased - 127 - 23) = mant * 2^(biased - 1 - 149)
    }
    if (mant == 0) return;
    const bool neg = (bits >> 31) != 0;
    const int limb = offset / 32, shift = offset % 32;
    const std::uint64_t wide = mant << shift;  // < 2^56
    const std::int64_t lo = static_cast<std::int64_t>(wide & 0xffffffffu), hi = static_cast<std::int64_t>(wide >> 32);
    limbs_[limb] += neg ? -lo : lo;
    limbs_[limb + 1] += neg ? -hi : hi;
    if (++pending_ == (1 << 30)) normalize();
  }
  void add(double v) = delete;  // float64 terms are not what this accumulator is for

  // Correctly rounded (nearest, ties to even) value at float32 / float64 precision.
  float to_float() const { return static_cast<float>(round_to(24, -149, 128)); }
  double to_double() const { return round_to(53, -149, 1024); }
  bool is_zero() const {
    ExactSum c = *this;
    c.normalize();
    for (auto l : c.limbs_)
      if (l != 0) return false;
    return true;
  }

 private:
  // Propagates carries so every limb but the top is a 32-bit digit in [0, 2^32); the top
  // limb carries the sign (two's complement across limbs).
  void normalize() {
    for (int i = 0; i + 1 < kLimbs; ++i) {
      const std::int64_t carry = limbs_[i] >> 32;  // arithmetic shift: floor division
      limbs_[i] -= carry * (std::int64_t(1) << 32);
      limbs_[i + 1] += carry;
    }
    pending_ = 0;
  }

  // Rounds |value| to `prec` significant bits (or to the subnormal quantum 2^-149), then
  // scales; ldexp of an integer of at most prec bits is exact unless it overflows to inf.
  double round_to(int prec, int min_exp, int max_exp) const {
    ExactSum c = *this;
    c.normalize();
    bool neg = c.limbs_[kLimbs - 1] < 0;
    std::array<std::uint32_t, kLimbs> mag{};
    if (neg) {  // magnitude = two's complement negation of the digit string
      std::int64_t borrow = 0;
      for (int i = 0; i < kLimbs; ++i) {
        std::int64_t d = -c.limbs_[i] - borrow;
        borrow = 0;
        while (d < 0) d += std::int64_t(1) << 32, ++borrow;
        mag[i] = static_cast<std::uint32_t>(d);
      }
    } else {
      for (int i = 0; i < kLimbs; ++i) mag[i] = static_cast<std::uint32_t>(c.limbs_[i]);
    }
    int top = -1;  // index of the highest set bit of the magnitude
    for (int i = kLimbs - 1; i >= 0 && top < 0; --i)
      if (mag[i]) top = i * 32 + 31 - std::countl_zero(mag[i]);
    if (top < 0) return neg ? -0.0 : 0.0;
    auto bit = [&](int b) { return (mag[b / 32] >> (b % 32)) & 1u; };
    // Lowest kept bit: prec bits below the top, but never below the subnormal quantum.
    const int shift = std::max(top - (prec - 1), (min_exp - kMinExp));
    std::uint64_t q = 0;
    for (int b = top; b >= shift; --b) q = (q << 1) | bit(b);
    if (shift > 0) {
      const bool half = bit(shift - 1);
      bool sticky = false;
      for (int b = shift - 2; b >= 0 && !sticky; --b) sticky = bit(b);
      if (half && (sticky || (q & 1))) ++q;
    }
    const int exp2 = shift + kMinExp;
    double r = std::ldexp(static_cast<double>(q), exp2);  // exact: q < 2^(prec+1)
    if (std::ilogb(r) >= max_exp) r = INFINITY;
    return neg ? -r : r;
  }

  std::array<std::int64_t, kLimbs> limbs_{};
  std::int64_t pending_ = 0;
};

// Exact sum of a span of floats.
inline ExactSum exact_sum(const float* x, std::size_t n) {
  ExactSum s;
  for (std::size_t i = 0; i < n; ++i) s.add(x[i]);
  return s;
}

// Signed distance in float32 ULPs from b to a: the number of representable floats between
// them (a - b in the ordered integer encoding), 0 iff equal (+0 and -0 count as equal).
inline std::int64_t ulp_diff(float a, float b) {
  auto ordered = [](float v) {
    std::int32_t i;
    std::memcpy(&i, &v, 4);
    return i < 0 ? static_cast<std::int64_t>(std::int32_t(0x80000000u) - i) : static_cast<std::int64_t>(i);
  };
  return ordered(a) - ordered(b);
}

}  // namespace lockstep::study

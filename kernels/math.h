// lockstep's own exp and log. libm, CUDA's expf/__expf and Eigen's vectorised exp all
// round differently from each other, so the canonical orders never call them: these are
// built only from + - * /, fma_rn, compares and bit casts, which round identically on
// every IEEE backend. See docs/ordering.md#math for the measured accuracy.
// float is what the engine uses; the double instantiation exists for gradient checks.
// Not here: vectorised variants (a fast mode may use Eigen's exp, never a det path).
#pragma once

#include <cstdint>

#include "kernels/hd.h"

#if !defined(__CUDA_ARCH__)
#include <bit>
#endif

namespace lockstep::kernels {

// Bit casts: std::bit_cast on the host, the CUDA reinterpret intrinsics on the device
// (both are pure reinterpretations; std::memcpy is not usable in device code).
LS_HD std::uint32_t to_bits(float x) {
#if defined(__CUDA_ARCH__)
  return __float_as_uint(x);
#else
  return std::bit_cast<std::uint32_t>(x);
#endif
}
LS_HD float from_bits(std::uint32_t u) {
#if defined(__CUDA_ARCH__)
  return __uint_as_float(u);
#else
  return std::bit_cast<float>(u);
#endif
}
LS_HD std::uint64_t to_bits(double x) {
#if defined(__CUDA_ARCH__)
  return static_cast<std::uint64_t>(__double_as_longlong(x));
#else
  return std::bit_cast<std::uint64_t>(x);
#endif
}
LS_HD double from_bits(std::uint64_t u) {
#if defined(__CUDA_ARCH__)
  return __longlong_as_double(static_cast<long long>(u));
#else
  return std::bit_cast<double>(u);
#endif
}

template <class T>
struct MathConsts;

// ln2 split: kLn2Hi has few enough significant bits that k * kLn2Hi is exact for every
// exponent k that occurs (Cody & Waite 1980; the float pair is FreeBSD/musl expf's
// ln2hi = 0x3f317200, the double pair fdlibm's ln2_hi/ln2_lo). kLn2Lo = ln2 - kLn2Hi rounded.
template <>
struct MathConsts<float> {
  using Bits = std::uint32_t;
  static constexpr int kMantBits = 23, kBias = 127;
  static constexpr float kLog2e = 0x1.715476p+0f;   // 1/ln2 rounded
  static constexpr float kShifter = 0x1.8p+23f;     // 1.5*2^23: adding it rounds to an integer
  static constexpr float kLn2Hi = 0x1.62e4p-1f;
  static constexpr float kLn2Lo = 0x1.7f7d1cp-20f;
  static constexpr float kExpMax = 89.0f;   // above: +inf (ln(FLT_MAX) = 88.72...)
  static constexpr float kExpMin = -104.0f; // below: 0 (exp(-104) < 2^-150, half the least subnormal)
  static constexpr float kSqrt2 = 0x1.6a09e6p+0f;   // sqrt(2) rounded down
  static constexpr float kMinNormal = 0x1p-126f;
};
template <>
struct MathConsts<double> {
  using Bits = std::uint64_t;
  static constexpr int kMantBits = 52, kBias = 1023;
  static constexpr double kLog2e = 0x1.71547652b82fep+0;
  static constexpr double kShifter = 0x1.8p+52;
  static constexpr double kLn2Hi = 0x1.62e42feep-1;
  static constexpr double kLn2Lo = 0x1.a39ef35793c76p-33;
  static constexpr double kExpMax = 710.0;   // ln(DBL_MAX) = 709.78...
  static constexpr double kExpMin = -746.0;  // exp(-746) < 2^-1075
  static constexpr double kSqrt2 = 0x1.6a09e667f3bccp+0;  // rounded down
  static constexpr double kMinNormal = 0x1p-1022;
};

// 2^k for a k in the normal exponent range, from the exponent bits.
template <class T>
LS_HD T pow2i(int k) {
  using C = MathConsts<T>;
  return from_bits(static_cast<typename C::Bits>(k + C::kBias) << C::kMantBits);
}

template <class T>
LS_HD T infinity() {
  using C = MathConsts<T>;
  return from_bits(static_cast<typename C::Bits>(2 * C::kBias + 1) << C::kMantBits);
}
template <class T>
LS_HD T quiet_nan() {
  using C = MathConsts<T>;
  return from_bits(static_cast<typename C::Bits>(4 * C::kBias + 3) << (C::kMantBits - 1));
}

// Order: p = c[n-1]; for i = n-2 down to 0: p = fma_rn(p, x, c[i]) (Horner).
template <class T, int N>
LS_HD T horner(T x, const T (&c)[N]) {
  T p = c[N - 1];
  for (int i = N - 2; i >= 0; --i) p = fma_rn(p, x, c[i]);
  return p;
}

// e^r for |r| <= ln2/2 (a little more when k came out one off): Taylor, c_i = 1/i! rounded.
// Why Taylor, not minimax: the coefficients need no citation and degree 7 (float) / 13
// (double) already truncates below half an ulp (|r|^8/8! < 2^-27 for float).
LS_HD float exp_poly(float r) {
  const float c[] = {0x1p+0f, 0x1p+0f, 0x1p-1f, 0x1.555556p-3f, 0x1.555556p-5f, 0x1.111112p-7f,
                     0x1.6c16c2p-10f, 0x1.a01a02p-13f};
  return horner(r, c);
}
LS_HD double exp_poly(double r) {
  const double c[] = {0x1p+0, 0x1p+0, 0x1p-1, 0x1.5555555555555p-3, 0x1.5555555555555p-5,
                      0x1.1111111111111p-7, 0x1.6c16c16c16c17p-10, 0x1.a01a01a01a01ap-13,
                      0x1.a01a01a01a01ap-16, 0x1.71de3a556c734p-19, 0x1.27e4fb7789f5cp-22,
                      0x1.ae64567f544e4p-26, 0x1.1eed8eff8d898p-29, 0x1.6124613a86d09p-33};
  return horner(r, c);
}

// R(z) = z * (2/3 + z*(2/5 + z*(2/7 + ...))) with z = s^2: 2*atanh(s) = 2s + s*R.
// Terms up to 2/9 (float) / 2/21 (double); the next term is below 2^-28 resp. 2^-60 of log m.
LS_HD float log_poly(float z) {
  const float c[] = {0x1.555556p-1f, 0x1.99999ap-2f, 0x1.24924ap-2f, 0x1.c71c72p-3f};
  return z * horner(z, c);
}
LS_HD double log_poly(double z) {
  const double c[] = {0x1.5555555555555p-1, 0x1.999999999999ap-2, 0x1.2492492492492p-2,
                      0x1.c71c71c71c71cp-3, 0x1.745d1745d1746p-3, 0x1.3b13b13b13b14p-3,
                      0x1.1111111111111p-3, 0x1.e1e1e1e1e1e1ep-4, 0x1.af286bca1af28p-4,
                      0x1.8618618618618p-4};
  return z * horner(z, c);
}

// Order (docs/ordering.md#math): NaN -> x; x > kExpMax -> +inf; x < kExpMin -> 0; else
//   kf = fma_rn(x, log2e, shifter) - shifter          (k = nearest integer to x*log2e, exact)
//   r = fma_rn(-kf, ln2_hi, x); r = fma_rn(-kf, ln2_lo, r)
//   p = exp_poly(r); result = (p * 2^k1) * 2^k2 with k1 = trunc(k/2), k2 = k - k1.
// Why two factors: both stay normal for every k in range, the first product is exact and
// only the second rounds, once, into the subnormals (or to inf).
template <class T>
LS_HD T exp(T x) {
  using C = MathConsts<T>;
  if (is_nan(x)) return x;
  if (x > C::kExpMax) return infinity<T>();
  if (x < C::kExpMin) return T(0);
  const T kf = fma_rn(x, C::kLog2e, C::kShifter) - C::kShifter;
  T r = fma_rn(-kf, C::kLn2Hi, x);
  r = fma_rn(-kf, C::kLn2Lo, r);
  const T p = exp_poly(r);
  const int k = static_cast<int>(kf);
  const int k1 = k / 2;
  return (p * pow2i<T>(k1)) * pow2i<T>(k - k1);
}

// Order (docs/ordering.md#math): NaN or x < 0 -> NaN; x == 0 -> -inf; +inf -> +inf; else
//   e = 0; subnormal x: x = x * 2^mant_bits (exact), e = -mant_bits
//   x = m * 2^e' from the bits, m in [1,2); e = e + e'; if m > sqrt2: m = m * 0.5, e = e + 1
//   f = m - 1 (exact); s = f / (2 + f); R = log_poly(s * s); hfsq = (0.5 * f) * f
//   result = ((((s * (hfsq + R)) + e*ln2_lo) - hfsq) + f) + e*ln2_hi
// Why this form (FreeBSD/musl logf): f is exact and carries the leading bits, so the rounded
// terms only enter a correction that is small against f; see docs for the measured error.
template <class T>
LS_HD T log(T x) {
  using C = MathConsts<T>;
  using Bits = typename C::Bits;
  if (is_nan(x)) return x;
  if (x < T(0)) return quiet_nan<T>();
  if (x == T(0)) return -infinity<T>();
  if (x == infinity<T>()) return x;
  int e = 0;
  if (x < C::kMinNormal) {
    x = x * pow2i<T>(C::kMantBits);
    e = -C::kMantBits;
  }
  const Bits u = to_bits(x);
  const Bits mant_mask = (Bits(1) << C::kMantBits) - 1;
  e += static_cast<int>(u >> C::kMantBits) - C::kBias;
  T m = from_bits((u & mant_mask) | (static_cast<Bits>(C::kBias) << C::kMantBits));
  if (m > C::kSqrt2) {
    m = m * T(0.5);
    e += 1;
  }
  const T f = m - T(1);
  const T s = f / (T(2) + f);
  const T hfsq = (T(0.5) * f) * f;
  const T R = log_poly(s * s);
  const T ef = static_cast<T>(e);
  return ((((s * (hfsq + R)) + ef * C::kLn2Lo) - hfsq) + f) + ef * C::kLn2Hi;
}

}  // namespace lockstep::kernels

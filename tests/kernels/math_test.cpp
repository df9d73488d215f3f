// Accuracy of lockstep's own exp/log (kernels/math.h) against double std::exp/std::log,
// which is allowed here because tests are not the canonical order. Errors are in units of
// the float spacing at the reference value (2^-149 below 2^-126). Each sweep prints its
// measured maximum; docs/ordering.md#measured-accuracy records them, including the exhaustive run
// (DISABLED_ExhaustiveAllFloats: run with --gtest_also_run_disabled_tests).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>

#include "kernels/math.h"
#include "tests/support/compare.h"

namespace lockstep {
namespace {

namespace k = lockstep::kernels;

float from_u32(std::uint32_t u) { return k::from_bits(u); }

double float_spacing(double r) {
  r = std::fabs(r);
  if (r < 0x1p-126) return 0x1p-149;
  int e;
  std::frexp(r, &e);  // r = f * 2^e, f in [0.5, 1)
  return std::ldexp(1.0, e - 24);
}

// Largest error in ulps; an overflow where the rounded reference is finite (or the
// reverse) counts as infinite error.
struct UlpStats {
  double normal = 0, subnormal = 0;
  std::uint32_t worst_normal = 0;
  long count = 0;
  void add(float x, float y, double ref) {
    ++count;
    const float ref_f = static_cast<float>(ref);
    double err;
    if (std::isinf(ref_f) || std::isinf(y)) {
      err = (std::isinf(y) && y == ref_f) ? 0.0 : std::numeric_limits<double>::infinity();
    } else {
      err = std::fabs(static_cast<double>(y) - ref) / float_spacing(ref);
    }
    if (std::fabs(ref) < 0x1p-126) {
      subnormal = std::max(subnormal, err);
    } else if (err > normal) {
      normal = err, worst_normal = test::float_bits(x);
    }
  }
};

void add_exp(UlpStats& st, float x) {
  if (!std::isnan(x)) st.add(x, k::exp(x), std::exp(static_cast<double>(x)));
}
void add_log(UlpStats& st, float x) {
  if (!std::isnan(x) && x > 0) st.add(x, k::log(x), std::log(static_cast<double>(x)));
}

// Every 257th bit pattern (257 is odd, so the sweep visits every exponent and sign with
// varied mantissas), plus every float across the edges where the code changes path.
template <class Add>
UlpStats sweep(Add add, float dense_lo, float dense_hi) {
  UlpStats st;
  for (std::uint64_t u = 0; u < (std::uint64_t(1) << 32); u += 257) add(st, from_u32(static_cast<std::uint32_t>(u)));
  for (float x = dense_lo; x <= dense_hi; x = std::nextafter(x, INFINITY)) add(st, x);
  return st;
}

// Bounds: both measured below 1 ulp over all 2^32 floats (docs/ordering.md#measured-accuracy).
constexpr double kExpUlpBound = 1.0;
constexpr double kLogUlpBound = 1.0;

TEST(MathExp, WithinOneUlpOfFloat64OnSampledSweep) {
  UlpStats st = sweep(add_exp, -104.0f, -80.0f);  // underflow edge: subnormal results
  for (float x = 88.0f; x <= 89.5f; x = std::nextafter(x, INFINITY)) add_exp(st, x);  // overflow edge
  for (float x = 0.34f; x <= 0.36f; x = std::nextafter(x, INFINITY)) add_exp(st, x);  // k: 0 -> 1 at ln2/2
  std::printf("exp: %ld values, max error %.4f ulp on normal results (worst x = %a), %.4f ulp on subnormal\n",
              st.count, st.normal, static_cast<double>(from_u32(st.worst_normal)), st.subnormal);
  EXPECT_GT(st.count, 16000000);
  EXPECT_LE(st.normal, kExpUlpBound);
  EXPECT_LE(st.subnormal, kExpUlpBound);
}

TEST(MathLog, WithinOneUlpOfFloat64OnSampledSweep) {
  UlpStats st = sweep(add_log, 0.5f, 2.0f);  // around 1: f small, the sqrt2 fold at m ~ 1.414
  for (float x = 0x1p-149f; x <= 0x1p-125f; x = std::nextafter(x, INFINITY)) add_log(st, x);  // subnormal inputs
  std::printf("log: %ld values, max error %.4f ulp (worst x = %a)\n", st.count, st.normal,
              static_cast<double>(from_u32(st.worst_normal)));
  EXPECT_GT(st.count, 16000000);
  EXPECT_LE(st.normal, kLogUlpBound);
}

TEST(MathExp, SpecialValues) {
  const float inf = INFINITY;
  EXPECT_TRUE(std::isnan(k::exp(NAN)));
  EXPECT_EQ(k::exp(-inf), 0.0f);
  EXPECT_EQ(k::exp(inf), inf);
  EXPECT_EQ(test::float_bits(k::exp(0.0f)), test::float_bits(1.0f));
  EXPECT_EQ(test::float_bits(k::exp(-0.0f)), test::float_bits(1.0f));
  EXPECT_EQ(k::exp(88.7228394f), inf);                    // first float whose exp overflows
  EXPECT_TRUE(std::isfinite(k::exp(88.7228317f)));        // last float with a finite exp
  EXPECT_LE(test::ulp_distance(k::exp(88.7228317f), static_cast<float>(std::exp(88.7228317))), 1);
  EXPECT_EQ(k::exp(-103.0f), static_cast<float>(std::exp(-103.0)));  // subnormal results
  EXPECT_EQ(k::exp(-100.0f), static_cast<float>(std::exp(-100.0)));
  EXPECT_GT(k::exp(-103.0f), 0.0f);
  EXPECT_EQ(k::exp(-104.0f), 0.0f);
  EXPECT_EQ(k::exp(-1000.0f), 0.0f);
  EXPECT_EQ(k::exp(1000.0f), inf);
  EXPECT_EQ(test::float_bits(k::exp(1.0f)), test::float_bits(static_cast<float>(std::exp(1.0))));
}

TEST(MathLog, SpecialValues) {
  const float inf = INFINITY;
  EXPECT_TRUE(std::isnan(k::log(NAN)));
  EXPECT_TRUE(std::isnan(k::log(-1.0f)));
  EXPECT_TRUE(std::isnan(k::log(-inf)));
  EXPECT_TRUE(std::isnan(k::log(-0x1p-149f)));
  EXPECT_EQ(k::log(0.0f), -inf);
  EXPECT_EQ(k::log(-0.0f), -inf);
  EXPECT_EQ(k::log(inf), inf);
  EXPECT_EQ(test::float_bits(k::log(1.0f)), test::float_bits(0.0f));
  EXPECT_EQ(k::log(2.0f), static_cast<float>(std::log(2.0)));
  EXPECT_EQ(k::log(0x1p-149f), static_cast<float>(std::log(0x1p-149)));
  EXPECT_EQ(k::log(0x1.fffffep127f), static_cast<float>(std::log(0x1.fffffep127)));
}

// The double instantiation serves the gradient checks; it must be accurate to double precision.
TEST(MathDouble, ExpAndLogWithinTwoUlpOfLibm) {
  double worst_exp = 0, worst_log = 0;
  for (int i = 0; i <= 2000000; ++i) {
    const double x = -740.0 + 1449.0 * i / 2000000.0;
    const double r = std::exp(x);
    if (r >= 0x1p-1022 && std::isfinite(r))
      worst_exp = std::max(worst_exp, std::fabs(k::exp(x) - r) / (std::nextafter(r, INFINITY) - r));
    const double lx = std::ldexp(1.0 + i / 2000000.0, (i % 2001) - 1000);
    const double rl = std::log(lx);
    if (rl != 0) worst_log = std::max(worst_log, std::fabs(k::log(lx) - rl) / (std::nextafter(std::fabs(rl), INFINITY) - std::fabs(rl)));
  }
  std::printf("double: max error exp %.4f ulp, log %.4f ulp (against libm)\n", worst_exp, worst_log);
  EXPECT_LE(worst_exp, 2.0);
  EXPECT_LE(worst_log, 2.0);
  EXPECT_EQ(k::exp(0.0), 1.0);
  EXPECT_EQ(k::log(1.0), 0.0);
  EXPECT_EQ(k::exp(710.0), INFINITY);
  EXPECT_TRUE(std::isnan(k::log(-1.0)));
}

// Every float: about a minute single-threaded, so not part of the regular run.
TEST(MathExhaustive, DISABLED_ExhaustiveAllFloats) {
  UlpStats e, l;
  for (std::uint64_t u = 0; u < (std::uint64_t(1) << 32); ++u) {
    const float x = from_u32(static_cast<std::uint32_t>(u));
    add_exp(e, x);
    add_log(l, x);
  }
  std::printf("exhaustive: exp %.4f ulp normal, %.4f subnormal; log %.4f ulp\n", e.normal, e.subnormal, l.normal);
  EXPECT_LE(e.normal, kExpUlpBound);
  EXPECT_LE(e.subnormal, kExpUlpBound);
  EXPECT_LE(l.normal, kLogUlpBound);
}

}  // namespace
}  // namespace lockstep

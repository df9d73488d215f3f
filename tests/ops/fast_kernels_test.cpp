// The CPU fast kernels (cpu/*_fast.cpp): sum_fast within a justified bound of a float64
// reference and exact on integers (the op harness checks the conv2d and linear fast kernels
// the same way, tests/ops/cases/), and the dispatch: fast mode picks them, and the backward
// of a fast-mode forward runs them even when backward() is called in deterministic mode.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "core/ops.h"
#include "core/registry.h"
#include "cpu/kernels.h"
#include "tests/support/compare.h"
#include "reference/data.h"
#include "tests/support/threads.h"

namespace lockstep {
namespace {

using test::bitwise_equal;
using test::chain_bound;
using test::within_bounds;

// Float64 naive references, written here from the definitions (no kernels/ include), each
// returning the value, the absolute sum of its terms and the number of terms, so the bound
// |got - ref| <= 2 n u sum|terms| holds for any summation order (Higham eq. 3.5).
struct RefOut {
  std::vector<double> value, abs_sum, terms;
  explicit RefOut(size_t n) : value(n, 0.0), abs_sum(n, 0.0), terms(n, 0.0) {}
  void add(size_t i, double t) { value[i] += t, abs_sum[i] += std::fabs(t), terms[i] += 1; }
  std::vector<double> bounds() const {
    std::vector<double> b(value.size());
    for (size_t i = 0; i < b.size(); ++i) b[i] = chain_bound(terms[i] + 1, abs_sum[i]);
    return b;
  }
  std::vector<float> rounded() const { return std::vector<float>(value.begin(), value.end()); }
};

struct Geom {
  i64 N, C, H, W, K, R, S, stride, pad;
  Conv2dGeom conv() const {
    return {N, C, H, W, K, R, S, (H + 2 * pad - R) / stride + 1, (W + 2 * pad - S) / stride + 1, stride, pad};
  }
};

struct ConvData {
  std::vector<float> x, w, b, dy;
};

ConvData conv_data(const Conv2dGeom& g, bool integers, std::uint64_t seed) {
  auto gen = [&](std::uint64_t s, i64 n) {
    return integers ? test::int_values(seed * 16 + s, n, -3, 3) : test::uniform_values(seed * 16 + s, n);
  };
  return {gen(1, g.N * g.C * g.H * g.W), gen(2, g.K * g.C * g.R * g.S), gen(3, g.K), gen(4, g.N * g.K * g.P * g.Q)};
}

TEST(SumFast, CpuFastWithinFloat64ReferenceAndExactOnIntegers) {
  for (i64 n : {i64(1), i64(1000), i64(300001)})
    for (int t : {1, 2, 7}) {
      test::ThreadCountGuard threads(t);
      for (bool integers : {false, true}) {
        const auto x = integers ? test::int_values(21, n, -5, 5) : test::uniform_values(21, n);
        float y = 0;
        cpu::sum_fast(x.data(), n, &y);
        RefOut r(1);
        for (float v : x) r.add(0, v);
        if (integers)
          EXPECT_TRUE(bitwise_equal({y}, r.rounded(), "sum_fast"));
        else
          EXPECT_TRUE(within_bounds({y}, r.value, r.bounds(), "sum_fast"));
      }
    }
}

template <class F>
AnyKernel any(F* f) {
  return reinterpret_cast<AnyKernel>(f);
}

TEST(FastDispatch, FastModePicksTheFastKernels) {
  const auto& r = registry();
  EXPECT_EQ(r.get(OpKind::Conv2dFwd, Device::CPU, Mode::Fast), any(cpu::conv2d_fwd_fast));
  EXPECT_EQ(r.get(OpKind::Conv2dBwdData, Device::CPU, Mode::Fast), any(cpu::conv2d_bwd_data_fast));
  EXPECT_EQ(r.get(OpKind::Conv2dBwdWeight, Device::CPU, Mode::Fast), any(cpu::conv2d_bwd_weight_fast));
  EXPECT_EQ(r.get(OpKind::LinearFwd, Device::CPU, Mode::Fast), any(cpu::linear_fwd_fast));
  EXPECT_EQ(r.get(OpKind::LinearBwdData, Device::CPU, Mode::Fast), any(cpu::linear_bwd_data_fast));
  EXPECT_EQ(r.get(OpKind::LinearBwdWeight, Device::CPU, Mode::Fast), any(cpu::linear_bwd_weight_fast));
  EXPECT_EQ(r.get(OpKind::Sum, Device::CPU, Mode::Fast), any(cpu::sum_fast));
  EXPECT_EQ(r.get(OpKind::Conv2dFwd, Device::CPU, Mode::Deterministic), any(cpu::conv2d_fwd_det));
  EXPECT_EQ(r.get(OpKind::LinearFwd, Device::CPU, Mode::Deterministic), any(cpu::linear_fwd_det));
  {
    ModeGuard fast(Mode::Fast);
    EXPECT_EQ(reinterpret_cast<AnyKernel>(kernel<OpKind::Conv2dFwd>(Device::CPU)), any(cpu::conv2d_fwd_fast));
  }
  EXPECT_EQ(reinterpret_cast<AnyKernel>(kernel<OpKind::Conv2dFwd>(Device::CPU)), any(cpu::conv2d_fwd_det));
}

// Forward under ModeGuard(Fast), backward() after the guard has ended: the gradients must be
// those of the fast kernels (bitwise, on one thread where fast kernels are repeatable) and
// not those of the deterministic ones. Random inputs with 250-term sums make the two orders
// differ somewhere; the check asserts that too, so it cannot pass vacuously.
TEST(FastDispatch, BackwardOfAFastForwardRunsFastKernels) {
  test::ThreadCountGuard threads(1);
  const Conv2dGeom g = Geom{4, 10, 12, 12, 20, 5, 5, 1, 0}.conv();
  const ConvData d = conv_data(g, false, 5);
  Tensor x = Tensor::from_vector(d.x, {g.N, g.C, g.H, g.W}).set_requires_grad();
  Tensor w = Tensor::from_vector(d.w, {g.K, g.C, g.R, g.S}).set_requires_grad();
  Tensor b = Tensor::from_vector(d.b, {g.K}).set_requires_grad();
  Tensor y;
  {
    ModeGuard fast(Mode::Fast);
    y = ops::conv2d(x, w, b, {1, 0});
  }
  ASSERT_EQ(current_mode(), Mode::Deterministic);
  ops::sum(ops::mul(y, Tensor::from_vector(d.dy, y.shape()))).backward();  // dy reaches conv2d exactly

  std::vector<float> y_fast(d.dy.size()), y_det(d.dy.size()), dx_fast(d.x.size()), dx_det(d.x.size()),
      dw_fast(d.w.size()), dw_det(d.w.size()), db_fast(d.b.size()), db_det(d.b.size());
  cpu::conv2d_fwd_fast(d.x.data(), d.w.data(), d.b.data(), y_fast.data(), g);
  cpu::conv2d_fwd_det(d.x.data(), d.w.data(), d.b.data(), y_det.data(), g);
  cpu::conv2d_bwd_data_fast(d.dy.data(), d.w.data(), dx_fast.data(), g);
  cpu::conv2d_bwd_data_det(d.dy.data(), d.w.data(), dx_det.data(), g);
  cpu::conv2d_bwd_weight_fast(d.dy.data(), d.x.data(), dw_fast.data(), db_fast.data(), g);
  cpu::conv2d_bwd_weight_det(d.dy.data(), d.x.data(), dw_det.data(), db_det.data(), g);

  EXPECT_TRUE(bitwise_equal(y.to_vector(), y_fast, "forward"));
  EXPECT_TRUE(bitwise_equal(x.grad().to_vector(), dx_fast, "dx"));
  EXPECT_TRUE(bitwise_equal(w.grad().to_vector(), dw_fast, "dw"));
  EXPECT_FALSE(bitwise_equal(y_fast, y_det)) << "fast and det forward agree: the test proves nothing";
  EXPECT_FALSE(bitwise_equal(dx_fast, dx_det)) << "fast and det dx agree: the test proves nothing";
  EXPECT_FALSE(bitwise_equal(dw_fast, dw_det)) << "fast and det dw agree: the test proves nothing";
}

TEST(FastDispatch, LinearBackwardOfAFastForwardRunsFastKernels) {
  test::ThreadCountGuard threads(1);
  const LinearGeom g{32, 320, 50};
  const auto xv = test::uniform_values(31, g.N * g.I), wv = test::uniform_values(32, g.O * g.I),
             bv = test::uniform_values(33, g.O), dyv = test::uniform_values(34, g.N * g.O);
  Tensor x = Tensor::from_vector(xv, {g.N, g.I}).set_requires_grad();
  Tensor w = Tensor::from_vector(wv, {g.O, g.I}).set_requires_grad();
  Tensor b = Tensor::from_vector(bv, {g.O}).set_requires_grad();
  Tensor y;
  {
    ModeGuard fast(Mode::Fast);
    y = ops::linear(x, w, b);
  }
  ops::sum(ops::mul(y, Tensor::from_vector(dyv, y.shape()))).backward();
  std::vector<float> dx_fast(xv.size()), dx_det(xv.size()), dw_fast(wv.size()), dw_det(wv.size()), db(bv.size());
  cpu::linear_bwd_data_fast(dyv.data(), wv.data(), dx_fast.data(), g);
  cpu::linear_bwd_data_det(dyv.data(), wv.data(), dx_det.data(), g);
  cpu::linear_bwd_weight_fast(dyv.data(), xv.data(), dw_fast.data(), db.data(), g);
  cpu::linear_bwd_weight_det(dyv.data(), xv.data(), dw_det.data(), db.data(), g);
  std::vector<float> y_fast(dyv.size()), y_det(dyv.size());
  cpu::linear_fwd_fast(xv.data(), wv.data(), bv.data(), y_fast.data(), g);
  cpu::linear_fwd_det(xv.data(), wv.data(), bv.data(), y_det.data(), g);
  EXPECT_TRUE(bitwise_equal(y.to_vector(), y_fast, "forward"));
  EXPECT_TRUE(bitwise_equal(x.grad().to_vector(), dx_fast, "dx"));
  EXPECT_TRUE(bitwise_equal(w.grad().to_vector(), dw_fast, "dw"));
  // dx is not checked for a difference: with 50 terms Eigen's kernel runs one sequential FMA
  // chain from 0, which is the canonical order. y (bias added last) and dw (no chunks) differ.
  EXPECT_FALSE(bitwise_equal(y_fast, y_det)) << "fast and det forward agree: the test proves nothing";
  EXPECT_FALSE(bitwise_equal(dw_fast, dw_det)) << "fast and det dw agree: the test proves nothing";
}

}  // namespace
}  // namespace lockstep

// The SGD update: its documented rounding order (docs/ordering.md#sgd-update), restated in
// plain float loops and compared bitwise, and the checks SGD::step makes before the kernel
// reads a pointer.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "core/mode.h"
#include "core/transfer.h"
#include "nn/sgd.h"
#include "tests/support/compare.h"
#include "tests/support/threads.h"

namespace lockstep::nn {
namespace {

using test::bitwise_equal;

// n values in [-scale, scale) from a 32-bit LCG: fixed, and without libm.
std::vector<float> lcg_values(std::uint32_t state, int n, float scale) {
  std::vector<float> out;
  for (int i = 0; i < n; ++i) {
    state = state * 1664525u + 1013904223u;
    out.push_back(scale * (static_cast<float>(state >> 8) * 0x1p-23f - 1.0f));
  }
  return out;
}

int count_differing(const std::vector<float>& a, const std::vector<float>& b) {
  int n = 0;
  for (size_t i = 0; i < a.size(); ++i) n += test::float_bits(a[i]) != test::float_bits(b[i]);
  return n;
}

struct Updated {
  std::vector<float> p, v;
};

// One SGD::step from (p0, v0) with gradient g, in `mode` at `threads` threads.
Updated sgd_step(const std::vector<float>& p0, const std::vector<float>& v0, const std::vector<float>& g, float lr,
                 float momentum, Mode mode, int threads) {
  test::ThreadCountGuard guard(threads);
  ModeGuard mode_guard(mode);
  const Shape shape{static_cast<i64>(p0.size())};
  Tensor p = Tensor::from_vector(p0, shape).set_requires_grad();
  p.set_grad(Tensor::from_vector(g, shape));
  SGD opt({{"p", p}}, lr, momentum);
  opt.momentum_buffers()[0].tensor = Tensor::from_vector(v0, shape);
  opt.step();
  return {p.to_vector(), opt.momentum_buffers()[0].tensor.to_vector()};
}

constexpr int kCount = 70000;  // over two parallel chunks of the CPU element kernels

TEST(Sgd, DocumentedOrder) {
  const float lr = 0.01f, momentum = 0.9f;
  const std::vector<float> p0 = lcg_values(1, kCount, 0.02f), v0 = lcg_values(2, kCount, 1.0f),
                           g = lcg_values(3, kCount, 1.0f);
  // Documented: v = (momentum * v) + g, then p = p - (lr * v); every product rounded (the
  // build has -ffp-contract=off, so each * and + below is one rounding).
  std::vector<float> want_p(kCount), want_v(kCount), fma_p(kCount), fma_v(kCount), p_first(kCount);
  for (int i = 0; i < kCount; ++i) {
    want_v[i] = momentum * v0[i] + g[i];
    want_p[i] = p0[i] - lr * want_v[i];
    fma_v[i] = std::fma(momentum, v0[i], g[i]);
    fma_p[i] = std::fma(-lr, want_v[i], p0[i]);
    p_first[i] = p0[i] - lr * v0[i];  // p stepped with the old buffer
  }
  // The values tell the documented order from its neighbours.
  ASSERT_GT(count_differing(want_v, fma_v), 0);
  ASSERT_GT(count_differing(want_p, fma_p), 0);
  ASSERT_GT(count_differing(want_p, p_first), 0);
  for (Mode mode : {Mode::Deterministic, Mode::Fast})
    for (int threads : {1, 3}) {
      const Updated got = sgd_step(p0, v0, g, lr, momentum, mode, threads);
      EXPECT_TRUE(bitwise_equal(got.v, want_v, "momentum buffer"));
      EXPECT_TRUE(bitwise_equal(got.p, want_p, "parameter"));
    }
}

TEST(Sgd, DocumentedOrderWithoutMomentum) {
  const float lr = 0.01f;
  const std::vector<float> p0 = lcg_values(4, kCount, 0.02f), g = lcg_values(5, kCount, 1.0f);
  const std::vector<float> v0(kCount, 0.0f);
  std::vector<float> want_p(kCount), fma_p(kCount);
  for (int i = 0; i < kCount; ++i) {
    want_p[i] = p0[i] - lr * g[i];  // documented: p = p - (lr * g)
    fma_p[i] = std::fma(-lr, g[i], p0[i]);
  }
  ASSERT_GT(count_differing(want_p, fma_p), 0);
  for (Mode mode : {Mode::Deterministic, Mode::Fast}) {
    const Updated got = sgd_step(p0, v0, g, lr, 0.0f, mode, 3);
    EXPECT_TRUE(bitwise_equal(got.p, want_p, "parameter"));
    EXPECT_TRUE(bitwise_equal(got.v, v0, "momentum buffer (untouched without momentum)"));
  }
}

// The message SGD::step throws, or "(no error)".
std::string step_error(SGD& opt) {
  try {
    opt.step();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(Sgd, GradientOfAnotherShapeIsRefused) {
  Tensor b = Tensor::zeros({4}).set_requires_grad();
  Tensor w = Tensor::zeros({2, 3}).set_requires_grad();
  b.set_grad(Tensor::zeros({4}));
  w.set_grad(Tensor::zeros({3, 2}));  // same element count: the kernel alone would not notice
  SGD opt({{"fc.bias", b}, {"fc.weight", w}}, 0.1f, 0.5f);
  EXPECT_EQ(step_error(opt), "SGD: parameter 1 'fc.weight': expected the gradient of shape (2,3) like the "
                             "parameter, found (3,2)");
}

TEST(Sgd, MomentumBufferOfAnotherShapeIsRefused) {
  Tensor w = Tensor::zeros({2, 3}).set_requires_grad();
  w.set_grad(Tensor::zeros({2, 3}));
  SGD opt({{"w", w}}, 0.1f, 0.5f);
  opt.momentum_buffers()[0].tensor = Tensor::zeros({6});
  EXPECT_EQ(step_error(opt),
            "SGD: parameter 0 'w': expected the momentum buffer of shape (2,3) like the parameter, found (6)");
}

TEST(Sgd, NonFloatTensorsAreRefused) {
  Tensor w = Tensor::zeros({3}).set_requires_grad();
  w.set_grad(Tensor::from_ints({1, 2, 3}, {3}));
  SGD opt({{"w", w}}, 0.1f);
  EXPECT_EQ(step_error(opt), "SGD: parameter 0 'w': expected the gradient of dtype float32, found int64");

  Tensor counts = Tensor::from_ints({1, 2}, {2});
  counts.set_grad(Tensor::zeros({2}));
  SGD counts_opt({{"counts", counts}}, 0.1f);
  EXPECT_EQ(step_error(counts_opt), "SGD: parameter 0 'counts': expected the parameter of dtype float32, found int64");
}

// check_sgd_operands on descriptions: the error type and message, or "(no error)".
std::string operands_error(const SgdOperand& p, const SgdOperand& v, const SgdOperand& g) {
  try {
    check_sgd_operands(3, "fc.weight", p, v, g);
  } catch (const DeviceError& e) {
    return std::string("DeviceError: ") + e.what();
  } catch (const Error& e) {
    return std::string("another Error: ") + e.what();
  }
  return "(no error)";
}

// Devices are checked from descriptions, so this runs without a GPU.
TEST(Sgd, TensorsOnAnotherDeviceAreRefused) {
  const SgdOperand cuda{Device::CUDA, DType::F32, Shape{2}}, cpu{Device::CPU, DType::F32, Shape{2}};
  EXPECT_EQ(operands_error(cuda, cuda, cuda), "(no error)");
  EXPECT_EQ(operands_error(cuda, cpu, cuda), "DeviceError: SGD: parameter 3 'fc.weight': expected the momentum "
                                             "buffer on cuda like the parameter, found cpu");
  EXPECT_EQ(operands_error(cpu, cpu, cuda),
            "DeviceError: SGD: parameter 3 'fc.weight': expected the gradient on cpu like the parameter, found cuda");
  // Device before shape: a buffer left behind is named as such, whatever its shape.
  EXPECT_EQ(operands_error(cuda, SgdOperand{Device::CPU, DType::F32, Shape{5}}, cuda),
            "DeviceError: SGD: parameter 3 'fc.weight': expected the momentum buffer on cuda like the parameter, "
            "found cpu");
}

TEST(Sgd, MomentumBufferLeftOnTheCpuIsRefusedOnTheGpu) {
  if (const std::string why = device_unavailable_reason(Device::CUDA); !why.empty()) GTEST_SKIP() << why;
  Tensor w = Tensor::zeros({4}).to(Device::CUDA).set_requires_grad();
  w.set_grad(Tensor::zeros({4}).to(Device::CUDA));
  SGD opt({{"w", w}}, 0.1f, 0.5f);
  opt.momentum_buffers()[0].tensor = Tensor::zeros({4});  // on the CPU: the kernel would read a host pointer
  EXPECT_EQ(step_error(opt), "SGD: parameter 0 'w': expected the momentum buffer on cuda like the parameter, found cpu");
}

}  // namespace
}  // namespace lockstep::nn

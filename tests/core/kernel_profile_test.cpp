// The kernel profile counts each kernel call while on, nothing while off, and never changes
// what a kernel computes.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "core/kernel_profile.h"
#include "core/registry.h"
#include "core/ops.h"
#include "reference/data.h"
#include "tests/support/compare.h"

namespace lockstep {
namespace {

std::vector<float> forward_and_backward(const Tensor& x0) {
  Tensor x = x0.clone().set_requires_grad();
  Tensor y = ops::relu(x);
  ops::sum(y).backward();
  std::vector<float> out = y.to_vector(), dx = x.grad().to_vector();
  out.insert(out.end(), dx.begin(), dx.end());
  return out;
}

TEST(KernelProfile, CountsCallsOnlyWhileOnAndKeepsTheBits) {
  const Tensor x = test::uniform_tensor(1, {64, 100});
  kernel_profile::reset();
  const std::vector<float> plain = forward_and_backward(x);
  auto calls = [](OpKind k) { return kernel_profile::totals().calls[static_cast<size_t>(k)]; };
  EXPECT_EQ(calls(OpKind::ReluFwd), 0) << "profiling is off by default";

  kernel_profile::set_enabled(true);
  const std::vector<float> profiled = forward_and_backward(x);
  kernel_profile::set_enabled(false);
  EXPECT_EQ(calls(OpKind::ReluFwd), 1);
  EXPECT_EQ(calls(OpKind::ReluBwd), 1);
  EXPECT_EQ(calls(OpKind::Sum), 1);
  EXPECT_GT(kernel_profile::totals().seconds[static_cast<size_t>(OpKind::ReluFwd)], 0.0);
  EXPECT_TRUE(test::bitwise_equal(profiled, plain, "profiled run"));

  forward_and_backward(x);
  EXPECT_EQ(calls(OpKind::ReluFwd), 1) << "a call after set_enabled(false) was counted";
  kernel_profile::reset();
  EXPECT_EQ(calls(OpKind::ReluFwd), 0);
}

// A backend whose kernels run asynchronously installs a "finish device work" hook; while
// profiling, it is called before the clock starts and again before it stops, so the wait
// for the kernel's end counts in the kernel's time (a CUDA launch alone takes microseconds).
int g_finishes = 0;
void slow_finish() {
  ++g_finishes;
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
}

TEST(KernelProfile, WaitsForDeviceWorkOnBothSidesOfAKernel) {
  const Tensor x = test::uniform_tensor(1, {8, 8});
  ensure_backends();  // a backend installs its own hook when it registers: install ours after
  const kernel_profile::FinishDeviceWork previous = kernel_profile::set_finish_device_work(&slow_finish);
  kernel_profile::reset();
  g_finishes = 0;
  kernel_profile::set_enabled(true);
  ops::relu(x);
  kernel_profile::set_enabled(false);
  kernel_profile::finish_device_work();  // not profiling: called only when asked
  kernel_profile::set_finish_device_work(previous);
  EXPECT_EQ(g_finishes, 3) << "expected one wait before the clock starts, one before it stops, and the direct call";
  EXPECT_GE(kernel_profile::totals().seconds[static_cast<size_t>(OpKind::ReluFwd)], 0.020)
      << "the wait after the kernel is not in the kernel's time";
  kernel_profile::reset();
}

}  // namespace
}  // namespace lockstep

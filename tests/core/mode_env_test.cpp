// The process default mode comes from LOCKSTEP_MODE. ctest runs this binary twice: once as
// the plain suite (no LOCKSTEP_MODE: deterministic) and once as mode_env.fast with
// LOCKSTEP_MODE=fast in its environment (tests/core/mode_env.cmake), where the expectation flips.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "core/mode.h"
#include "core/ops.h"
#include "core/registry.h"
#include "cpu/kernels.h"

namespace lockstep {
namespace {

Mode expected_default() {
  const char* env = std::getenv("LOCKSTEP_MODE");
  return (env && std::string(env) == "fast") ? Mode::Fast : Mode::Deterministic;
}

TEST(ModeEnv, ProcessDefaultFollowsLockstepMode) {
  EXPECT_EQ(current_mode(), expected_default());
  // A scope overrides the environment either way, and restores it.
  {
    ModeGuard g(Mode::Deterministic);
    EXPECT_EQ(current_mode(), Mode::Deterministic);
    EXPECT_EQ(reinterpret_cast<AnyKernel>(kernel<OpKind::Conv2dFwd>(Device::CPU)),
              reinterpret_cast<AnyKernel>(cpu::conv2d_fwd_det));
  }
  EXPECT_EQ(current_mode(), expected_default());
}

TEST(ModeEnv, DefaultModeDispatchesToItsKernels) {
  const AnyKernel want = expected_default() == Mode::Fast ? reinterpret_cast<AnyKernel>(cpu::linear_fwd_fast)
                                                          : reinterpret_cast<AnyKernel>(cpu::linear_fwd_det);
  EXPECT_EQ(reinterpret_cast<AnyKernel>(kernel<OpKind::LinearFwd>(Device::CPU)), want);
}

TEST(ModeEnv, SetDefaultModeChangesTheProcessDefault) {
  const Mode before = current_mode();
  set_default_mode(Mode::Fast);
  EXPECT_EQ(current_mode(), Mode::Fast);
  set_default_mode(Mode::Deterministic);
  EXPECT_EQ(current_mode(), Mode::Deterministic);
  set_default_mode(before);
}

}  // namespace
}  // namespace lockstep

#include <gtest/gtest.h>

#include <cstdlib>

#include "core/error.h"
#include "core/mode.h"
#include "core/registry.h"

namespace lockstep {
namespace {

void dummy_fast_add(const float*, const float*, float*, i64) {}

TEST(Registry, MissingDeterministicKernelRefusesInDeterministicMode) {
  Registry r;
  register_kernel<OpKind::Add>(r, Device::CUDA, Mode::Fast, dummy_fast_add);
  try {
    r.get(OpKind::Add, Device::CUDA, Mode::Deterministic);
    FAIL() << "expected NondeterministicError";
  } catch (const NondeterministicError& e) {
    EXPECT_NE(std::string(e.what()).find("add"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("cuda"), std::string::npos);
  }
  EXPECT_NE(r.get(OpKind::Add, Device::CUDA, Mode::Fast), nullptr);
}

TEST(Registry, FastFallsBackToDeterministic) {
  EXPECT_EQ(registry().get(OpKind::Add, Device::CPU, Mode::Fast),
            registry().get(OpKind::Add, Device::CPU, Mode::Deterministic));
}

TEST(Registry, EveryOpHasACpuDeterministicKernel) {
  for (int k = 0; k < static_cast<int>(OpKind::Count); ++k)
    EXPECT_TRUE(registry().has(static_cast<OpKind>(k), Device::CPU, Mode::Deterministic)) << kOpNames[k];
}

TEST(Mode, ScopedGuardNestsAndRestores) {
  ASSERT_EQ(current_mode(), Mode::Deterministic);
  {
    ModeGuard a(Mode::Fast);
    EXPECT_EQ(current_mode(), Mode::Fast);
    {
      ModeGuard b(Mode::Deterministic);
      EXPECT_EQ(current_mode(), Mode::Deterministic);
    }
    EXPECT_EQ(current_mode(), Mode::Fast);
  }
  EXPECT_EQ(current_mode(), Mode::Deterministic);
  EXPECT_THROW(parse_mode("fastest"), Error);
}

}  // namespace
}  // namespace lockstep

// The CPU allocator: alignment, exact-size reuse of large blocks, the cache limit, and that
// small blocks are never cached. Storage goes through it, so tensors are covered too.
#include <gtest/gtest.h>

#include <cstdint>

#include "core/cpu_allocator.h"
#include "core/tensor.h"

namespace lockstep {
namespace {

namespace ca = cpu_allocator;

struct CacheLimitGuard {
  explicit CacheLimitGuard(std::size_t bytes) {
    ca::empty_cache();
    ca::set_cache_limit(bytes);
  }
  ~CacheLimitGuard() {
    ca::empty_cache();
    ca::set_cache_limit(std::size_t(1) << 30);
  }
};

bool aligned64(const void* p) { return reinterpret_cast<std::uintptr_t>(p) % 64 == 0; }

TEST(CpuAllocator, BlocksAre64ByteAligned) {
  for (std::size_t bytes : {0, 1, 63, 64, 65, 4096, 70000, 1 << 20}) {
    void* p = ca::allocate(bytes);
    EXPECT_TRUE(aligned64(p)) << bytes << " bytes";
    ca::release(p);
  }
}

TEST(CpuAllocator, LargeBlocksAreReusedByExactSize) {
  CacheLimitGuard guard(std::size_t(64) << 20);
  void* a = ca::allocate(ca::kCachedMin * 3);
  ca::release(a);
  EXPECT_EQ(ca::cached_bytes(), ca::kCachedMin * 3);
  void* other = ca::allocate(ca::kCachedMin * 2);  // another size: not served from the cache
  EXPECT_NE(other, a);
  void* b = ca::allocate(ca::kCachedMin * 3 - 10);  // same rounded size
  EXPECT_EQ(b, a);
  EXPECT_EQ(ca::cached_bytes(), 0u);
  ca::release(b);
  ca::release(other);
  EXPECT_EQ(ca::cached_bytes(), ca::kCachedMin * 5);
  ca::empty_cache();
  EXPECT_EQ(ca::cached_bytes(), 0u);
}

TEST(CpuAllocator, SmallBlocksAndBlocksOverTheLimitAreFreed) {
  CacheLimitGuard guard(ca::kCachedMin * 2);
  ca::release(ca::allocate(100));
  EXPECT_EQ(ca::cached_bytes(), 0u);
  void* a = ca::allocate(ca::kCachedMin * 2);
  void* b = ca::allocate(ca::kCachedMin);
  ca::release(a);
  ca::release(b);  // would exceed the limit
  EXPECT_EQ(ca::cached_bytes(), ca::kCachedMin * 2);
  ca::set_cache_limit(0);
  EXPECT_EQ(ca::cached_bytes(), 0u);
}

TEST(CpuAllocator, TensorStorageReusesFreedActivations) {
  CacheLimitGuard guard(std::size_t(64) << 20);
  const void* first = nullptr;
  {
    Tensor t = Tensor::zeros({256, 1024});
    first = t.data<float>();
  }
  Tensor again = Tensor::zeros({256, 1024});
  EXPECT_EQ(again.data<float>(), first);
  for (float v : again.to_vector()) ASSERT_EQ(v, 0.0f) << "a reused block must still be zero-filled by zeros()";
}

}  // namespace
}  // namespace lockstep

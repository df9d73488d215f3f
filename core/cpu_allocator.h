// The CPU storage allocator: 64-byte aligned blocks, and a cache of freed large blocks reused
// by exact size. Why a cache: a training step frees and reallocates the same activation
// sizes every step; returned to the OS (glibc unmaps blocks above its mmap threshold), each
// step page-faults all of them in again, which on a virtual machine cost more than the
// arithmetic of a batch-256 step. Only placement changes; no value ever depends on it.
#pragma once

#include <cstddef>

namespace lockstep::cpu_allocator {

/// Blocks of at least this many bytes are cached on release.
inline constexpr std::size_t kCachedMin = 64 * 1024;

void* allocate(std::size_t bytes);
void release(void* p);

/// Cache limit in bytes (default 1 GiB, or LOCKSTEP_CPU_CACHE_MB); 0 disables the cache.
void set_cache_limit(std::size_t bytes);
std::size_t cached_bytes();
/// Returns every cached block to the system.
void empty_cache();

}  // namespace lockstep::cpu_allocator

#include "core/cpu_allocator.h"

#include <cstdlib>
#include <map>
#include <mutex>
#include <new>
#include <string>
#include <vector>

#include "core/error.h"

namespace lockstep::cpu_allocator {
namespace {

// Each block carries its size in a 64-byte header, so release() needs no lookup table and
// the data stays 64-byte aligned.
constexpr std::size_t kHeader = 64;

std::size_t limit_from_env() {
  const char* v = std::getenv("LOCKSTEP_CPU_CACHE_MB");
  if (!v || !*v) return std::size_t(1) << 30;
  char* end = nullptr;
  const unsigned long long mb = std::strtoull(v, &end, 10);
  LS_CHECK(end && *end == '\0', Error, "LOCKSTEP_CPU_CACHE_MB: expected a whole number of MiB, got '", v, "'");
  return static_cast<std::size_t>(mb) << 20;
}

struct Cache {
  std::mutex mu;
  std::map<std::size_t, std::vector<void*>> free_blocks;  // by rounded size; raw pointers
  std::size_t bytes = 0;
  std::size_t limit = limit_from_env();
};

Cache& cache() {
  static Cache* c = new Cache;  // never destroyed: tensors may be released during exit
  return *c;
}

std::size_t& header_size(void* raw) { return *static_cast<std::size_t*>(raw); }

}  // namespace

void* allocate(std::size_t bytes) {
  const std::size_t rounded = bytes == 0 ? 64 : (bytes + 63) / 64 * 64;
  if (rounded >= kCachedMin) {
    Cache& c = cache();
    std::lock_guard<std::mutex> lock(c.mu);
    auto it = c.free_blocks.find(rounded);
    if (it != c.free_blocks.end() && !it->second.empty()) {
      void* raw = it->second.back();
      it->second.pop_back();
      c.bytes -= rounded;
      return static_cast<char*>(raw) + kHeader;
    }
  }
  void* raw = std::aligned_alloc(64, rounded + kHeader);
  if (!raw) throw std::bad_alloc();
  header_size(raw) = rounded;
  return static_cast<char*>(raw) + kHeader;
}

void release(void* p) {
  if (!p) return;
  void* raw = static_cast<char*>(p) - kHeader;
  const std::size_t rounded = header_size(raw);
  if (rounded >= kCachedMin) {
    Cache& c = cache();
    std::lock_guard<std::mutex> lock(c.mu);
    if (c.bytes + rounded <= c.limit) {
      c.free_blocks[rounded].push_back(raw);
      c.bytes += rounded;
      return;
    }
  }
  std::free(raw);
}

void set_cache_limit(std::size_t bytes) {
  Cache& c = cache();
  {
    std::lock_guard<std::mutex> lock(c.mu);
    c.limit = bytes;
  }
  if (cached_bytes() > bytes) empty_cache();
}

std::size_t cached_bytes() {
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mu);
  return c.bytes;
}

void empty_cache() {
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mu);
  for (auto& [size, blocks] : c.free_blocks)
    for (void* raw : blocks) std::free(raw);
  c.free_blocks.clear();
  c.bytes = 0;
}

}  // namespace lockstep::cpu_allocator

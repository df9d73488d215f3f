// A 64-bit FNV-1a digest of the bits of a float vector: runs whose outputs have equal
// digests are, with overwhelming likelihood, bitwise equal, without keeping the outputs.
#pragma once

#include <cstdint>
#include <cstring>
#include <vector>

namespace lockstep::test {

inline std::uint64_t bits_digest(const std::vector<float>& v) {
  std::uint64_t h = 1469598103934665603ull;
  for (float f : v) {
    std::uint32_t u;
    std::memcpy(&u, &f, 4);
    h = (h ^ u) * 1099511628211ull;
  }
  return h;
}

}  // namespace lockstep::test

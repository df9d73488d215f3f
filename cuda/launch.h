// How a deterministic CUDA kernel is launched: threads per block and an optional cap on the
// grid. Every kernel is a grid-stride loop over independent items, so a launch shape changes
// which thread computes an item, never how: tests run two shapes and compare bits.
// Plain C++ (no CUDA headers), so host-only tests can name launch shapes.
#pragma once

namespace lockstep::cuda {

struct LaunchConfig {
  int block = 256;     // threads per block, 1..1024
  int max_blocks = 0;  // 0: one thread per item; otherwise at most this many blocks (threads loop)
};

inline constexpr LaunchConfig kDefaultLaunch{};

}  // namespace lockstep::cuda

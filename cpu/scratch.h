// Per-thread scratch buffers reused across calls: allocating a large buffer on every call
// costs its page faults each time (measured for linear: as much as fc2's whole pass). The
// contents are left as the last user left them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace lockstep::cpu {

// Who owns which slot: one op's pass never nests inside another's, so slots are only shared
// between ops, never between two live uses.
enum class Scratch : int {
  kPanels,      // linear: packed B panels
  kTransposed,  // linear: an output computed transposed
  kRowsOfA,     // linear: a packed block of A (on the pool's threads)
  kConvDyT,     // conv2d backward weight: dy with output channels along the lanes (whole, or
                // one batch chunk per thread)
  kConvFramed,  // conv2d backward weight: x in a zero frame
  kConvWeightParts,  // conv2d backward weight: every batch chunk's dw partials
  kConvBiasParts,    // conv2d backward weight: every batch chunk's db partials
  kPoolReluGrad,     // max_pool2d_relu backward: one plane's relu-masked dy
  kPoolMaskedPlane,  // dropout2d_max_pool2d_relu forward: one kept plane times the dropout scale
  kCount
};

inline float* scratch(Scratch slot, std::int64_t n) {
  thread_local std::vector<float> buffers[static_cast<int>(Scratch::kCount)];
  std::vector<float>& b = buffers[static_cast<int>(slot)];
  if (b.size() < static_cast<std::size_t>(n)) b.resize(static_cast<std::size_t>(n));
  return b.data();
}

}  // namespace lockstep::cpu

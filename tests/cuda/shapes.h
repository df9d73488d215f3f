// Shapes shared by the CUDA tests and the CPU emulation of the CUDA thread bodies: the
// reference network's layers at batch 32, and odd shapes (batches not a multiple of the
// 8-sample chunk, sizes not multiples of a block, stride and padding, overlapping pools).
#pragma once

#include <string>
#include <vector>

#include "core/kernel_table.h"
#include "kernels/max_pool2d.h"

namespace lockstep::test {

inline Conv2dGeom conv_geom(i64 N, i64 C, i64 H, i64 W, i64 K, i64 R, i64 S, i64 stride, i64 pad) {
  return {N, C, H, W, K, R, S, (H + 2 * pad - R) / stride + 1, (W + 2 * pad - S) / stride + 1, stride, pad};
}
inline std::vector<Conv2dGeom> conv_shapes() {
  return {conv_geom(32, 1, 28, 28, 10, 5, 5, 1, 0),   // conv1
          conv_geom(32, 10, 12, 12, 20, 5, 5, 1, 0),  // conv2
          conv_geom(13, 3, 11, 9, 5, 3, 2, 2, 1),     // odd: stride 2, padding 1, non-square filter
          conv_geom(1, 2, 5, 7, 3, 5, 3, 1, 2)};      // odd: one sample, padding wider than the input border
}
inline Pool2dGeom pool_geom(i64 N, i64 C, i64 H, i64 W, i64 window, i64 stride) {
  return {N, C, H, W, window, window, kernels::pool_out_extent(H, window, stride),
          kernels::pool_out_extent(W, window, stride), stride};
}
inline std::vector<Pool2dGeom> pool_shapes() {
  return {pool_geom(32, 10, 24, 24, 2, 2), pool_geom(32, 20, 8, 8, 2, 2), pool_geom(13, 3, 7, 9, 3, 2),
          pool_geom(5, 7, 11, 6, 3, 1)};
}
inline std::vector<LinearGeom> linear_shapes() {
  return {{32, 320, 50}, {32, 50, 10}, {13, 37, 11}, {1, 5, 3}, {17, 8, 1}};
}
// (rows, cols) of log_softmax and nll_loss.
inline std::vector<std::pair<i64, i64>> row_shapes() { return {{32, 10}, {64, 10}, {13, 7}, {1, 1}, {9, 33}}; }
inline std::vector<i64> flat_sizes() { return {1, 1000, 1024, 5000, 32 * 20 * 8 * 8, 70001}; }

inline std::string describe(const Conv2dGeom& g) {
  return "conv N=" + std::to_string(g.N) + " C=" + std::to_string(g.C) + " H=" + std::to_string(g.H) +
         " W=" + std::to_string(g.W) + " K=" + std::to_string(g.K) + " R=" + std::to_string(g.R) +
         " S=" + std::to_string(g.S) + " stride=" + std::to_string(g.stride) + " pad=" + std::to_string(g.pad);
}
inline std::string describe(const Pool2dGeom& g) {
  return "pool N=" + std::to_string(g.N) + " C=" + std::to_string(g.C) + " H=" + std::to_string(g.H) +
         " W=" + std::to_string(g.W) + " window=" + std::to_string(g.R) + " stride=" + std::to_string(g.stride);
}
inline std::string describe(const LinearGeom& g) {
  return "linear N=" + std::to_string(g.N) + " I=" + std::to_string(g.I) + " O=" + std::to_string(g.O);
}

}  // namespace lockstep::test

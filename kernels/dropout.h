// Dropout and Dropout2d: the mask of one element and its inverted scaling. One formula serves
// the forward pass (y = mask * scale * x) and the backward pass (dx = mask * scale * dy), so the
// backward recomputes the mask from the key instead of saving it.
// See docs/randomness.md#dropout. Not here: key validation (core/ops/dropout.cpp).
#pragma once

#include "kernels/philox.h"

namespace lockstep::kernels {

// Everything a dropout kernel needs; a small POD passed by value to the device.
struct DropoutParams {
  PhiloxStream stream;      // make_stream(seed, kStreamDropout, layer_id, step)
  std::uint64_t drop_below;  // drop_threshold(p)
  float scale;               // 1 / (1 - p) in float, 0 when p = 1
  i64 group;                 // consecutive elements sharing one draw: 1 (dropout) or H*W (dropout2d)
  std::uint64_t first_mask;  // mask index of element 0: 0, or where a data-parallel rank's rows start
};

// Order: scale = 1.0f / (1.0f - p), two correctly rounded float operations; p = 1 gives 0
// (every element is dropped, and there is no division by zero).
LS_HD DropoutParams dropout_params(const PhiloxStream& s, float p, i64 group, std::uint64_t first_mask = 0) {
  return DropoutParams{s, drop_threshold(p), p < 1.0f ? 1.0f / (1.0f - p) : 0.0f, group > 0 ? group : 1, first_mask};
}

// Order: mask index m = first_mask + floor(i / group) (element i for dropout; n*C + c for
// dropout2d, n counted from the global batch's first row);
// keep iff stream_word(stream, m) >= drop_below.
LS_HD bool dropout_keep(const DropoutParams& d, i64 m) {
  return keep_word(stream_word(d.stream, static_cast<std::uint64_t>(m)), d.drop_below);
}

// Order: y = keep ? x * scale : +0. Why a select rather than x * 0: a dropped element is +0
// even where x is inf or NaN, so p = 1 gives exact zeros whatever the input.
LS_HD float dropout_elem(float x, bool keep, float scale) { return keep ? x * scale : 0.0f; }

// Reference of element i in one call; backends may cache the Philox block of 4 words.
LS_HD float dropout_apply_elem(const float* x, const DropoutParams& d, i64 i) {
  return dropout_elem(x[i], dropout_keep(d, static_cast<i64>(d.first_mask) + i / d.group), d.scale);
}

}  // namespace lockstep::kernels

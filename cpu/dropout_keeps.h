// The keep decisions of a run of consecutive dropout masks, for CPU kernels that apply a mask
// group by group themselves (dropout2d fused into max_pool2d_relu): Philox blocks come 16 at a
// time, their counters side by side, as in cpu/dropout.cpp.
#pragma once

#include <cstdint>

#include "kernels/dropout.h"

namespace lockstep::cpu {

// keep[i] = kernels::dropout_keep(d, first + i) for 0 <= i < count.
void dropout_keeps(const kernels::DropoutParams& d, std::uint64_t first, std::int64_t count, bool* keep);

}  // namespace lockstep::cpu

// The CPU thread pool. Work is split into contiguous ranges of *independent* items
// (outputs, or whole reduction chunks); how the range is cut never changes an order,
// so results do not depend on the thread count. The count comes from LOCKSTEP_THREADS,
// else the hardware; set_num_threads() changes it.
#pragma once

#include <cstdint>
#include <functional>

namespace lockstep {

int num_threads();             // callable anywhere, a parallel_for body included
void set_num_threads(int n);  // n >= 1; not from inside a parallel_for body (an Error)

namespace cpu {

// Calls body(begin, end) over a static partition of [0, n) into at most num_threads()
// ranges, each at least `grain` long; returns when all are done. Exceptions propagate.
void parallel_for(std::int64_t n, std::int64_t grain, const std::function<void(std::int64_t, std::int64_t)>& body);

}  // namespace cpu
}  // namespace lockstep

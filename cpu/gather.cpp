// CPU row gather (batch assembly): a copy, so any split of the rows is exact.
#include <cstring>

#include "cpu/kernels.h"
#include "cpu/parallel.h"

namespace lockstep::cpu {

void gather_rows_det(const void* src, const i64* index, void* dst, i64 rows, i64 row_bytes) {
  const auto* s = static_cast<const char*>(src);
  auto* d = static_cast<char*>(dst);
  parallel_for(rows, 64, [&](i64 lo, i64 hi) {
    for (i64 r = lo; r < hi; ++r)
      std::memcpy(d + r * row_bytes, s + index[r] * row_bytes, static_cast<size_t>(row_bytes));
  });
}

}  // namespace lockstep::cpu

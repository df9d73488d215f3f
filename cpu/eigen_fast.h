// Shared by the fast CPU kernels (cpu/*_fast.cpp, the only files that include Eigen):
// row-major maps over raw float buffers, and the completion-order combination of per-thread
// partial gradients. Include it first: the pragma must precede Eigen.
//
// GCC 12 reports false -Wmaybe-uninitialized inside Eigen's AVX-512 packet code.
#pragma once
#if defined(__GNUC__) && !defined(__clang__)  // clang has no such warning
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <Eigen/Core>
#include <mutex>

#include "cpu/kernels.h"
#include "cpu/parallel.h"

namespace lockstep::cpu::fast {

using RowMat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using MapR = Eigen::Map<RowMat>;
using CMapR = Eigen::Map<const RowMat>;

// Weight and bias gradients summed over a batch: zeroes dw (rows x cols) and db (rows; may be
// null), runs body(lo, hi, dw_part, db_part) over the parallel_for(n, grain) ranges, each into
// its own zeroed partials, and adds the partials to dw and db in the order the threads finish
// (nondeterministic: whichever thread takes the lock first adds first).
template <class F>
void sum_partials_in_completion_order(i64 n, i64 grain, float* dw, float* db, i64 rows, i64 cols, F body) {
  MapR(dw, rows, cols).setZero();
  if (db) Eigen::Map<Eigen::VectorXf>(db, rows).setZero();
  std::mutex combine;
  parallel_for(n, grain, [&](i64 lo, i64 hi) {
    RowMat dw_part = RowMat::Zero(rows, cols);
    Eigen::VectorXf db_part = Eigen::VectorXf::Zero(rows);
    body(lo, hi, dw_part, db_part);
    std::lock_guard<std::mutex> lock(combine);
    MapR(dw, rows, cols) += dw_part;
    if (db) Eigen::Map<Eigen::VectorXf>(db, rows) += db_part;
  });
}

}  // namespace lockstep::cpu::fast

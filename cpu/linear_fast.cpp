// CPU linear, fast mode: Eigen's SGEMM on row blocks of the batch; the weight/bias gradient
// adds per-thread partials in completion order. Registered for Mode::Fast only.
//
// Nondeterministic because: Eigen's GEMM orders each output's sum by its cache-size blocking
// and SIMD width (bits change with the -march level and the machine), and the weight/bias
// gradients add per-thread partial sums in the order the threads finish (bits change with the
// thread count and from run to run).
#include "cpu/eigen_fast.h"

namespace lockstep::cpu {
namespace {

using fast::CMapR;
using fast::MapR;
using fast::RowMat;
using CRowVec = Eigen::Map<const Eigen::RowVectorXf>;

// Rows of the batch per thread: at least 16, so tiny batches stay on one thread.
constexpr i64 kRowGrain = 16;

}  // namespace

void linear_fwd_fast(const float* x, const float* w, const float* b, float* y, const LinearGeom& g) {
  const CMapR W(w, g.O, g.I);
  const CRowVec bias(b, g.O);
  parallel_for(g.N, kRowGrain, [&](i64 lo, i64 hi) {
    MapR Y(y + lo * g.O, hi - lo, g.O);
    Y.noalias() = CMapR(x + lo * g.I, hi - lo, g.I) * W.transpose();
    Y.rowwise() += bias;
  });
}

void linear_bwd_data_fast(const float* dy, const float* w, float* dx, const LinearGeom& g) {
  const CMapR W(w, g.O, g.I);
  parallel_for(g.N, kRowGrain, [&](i64 lo, i64 hi) {
    MapR(dx + lo * g.I, hi - lo, g.I).noalias() = CMapR(dy + lo * g.O, hi - lo, g.O) * W;
  });
}

void linear_bwd_weight_fast(const float* dy, const float* x, float* dw, float* db, const LinearGeom& g) {
  fast::sum_partials_in_completion_order(g.N, kRowGrain, dw, db, g.O, g.I,
                                         [&](i64 lo, i64 hi, RowMat& dw_part, Eigen::VectorXf& db_part) {
    const CMapR D(dy + lo * g.O, hi - lo, g.O);
    dw_part.noalias() = D.transpose() * CMapR(x + lo * g.I, hi - lo, g.I);
    db_part = D.colwise().sum().transpose();
  });
}

}  // namespace lockstep::cpu

// The fast CUDA kernels (cuDNN convolutions, cuBLAS SGEMM linear layers, atomicAdd biases and
// max_pool2d backward) within a justified bound of a float64 reference, and exact on small
// integer inputs where every partial sum is an exactly representable integer (TF32 off).
// The references below are naive float64 loops written here, independent of kernels/.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>

#include "cuda/kernels.h"
#include "tests/cuda/shapes.h"
#include "tests/cuda/support.h"
#include "tests/support/compare.h"
#include "reference/data.h"

namespace lockstep {
namespace {

using test::describe;
using test::on_gpu;

struct Ref {
  std::vector<double> value, abs_sum;
  std::vector<double> count;  // terms per output (roundings of a summation of them)
  void resize(size_t n) { value.assign(n, 0), abs_sum.assign(n, 0), count.assign(n, 0); }
  void add(size_t i, double term) { value[i] += term, abs_sum[i] += std::fabs(term), count[i] += 1; }
};

// Elementwise Higham bound 2 n u sum|terms| (any summation order, FMA or not), plus for
// cuDNN a normwise term 16 u max_i sum|terms_i|: FFT and Winograd algorithms bound their
// error by the norms of the operands rather than per output, so a cancelling output may not
// meet the elementwise bound; a wrong index misses both by orders of magnitude.
std::vector<double> bounds(const Ref& r, bool normwise) {
  double max_abs = 0;
  for (double a : r.abs_sum) max_abs = std::max(max_abs, a);
  std::vector<double> b(r.value.size());
  for (size_t i = 0; i < b.size(); ++i)
    b[i] = test::chain_bound(r.count[i] + 1, r.abs_sum[i]) + (normwise ? 16 * test::kF32Unit * max_abs : 0.0);
  return b;
}

std::vector<double> values(const Ref& r) { return r.value; }

bool tf32_on() {
  const char* e = std::getenv("LOCKSTEP_ALLOW_TF32");
  return e && std::string(e) == "1";
}

void conv_refs(const Conv2dGeom& g, const std::vector<float>& x, const std::vector<float>& w,
               const std::vector<float>& b, const std::vector<float>& dy, Ref& y, Ref& dx, Ref& dw, Ref& db) {
  y.resize(size_t(g.N * g.K * g.P * g.Q)), dx.resize(x.size()), dw.resize(w.size()), db.resize(b.size());
  for (i64 n = 0; n < g.N; ++n)
    for (i64 k = 0; k < g.K; ++k)
      for (i64 p = 0; p < g.P; ++p)
        for (i64 q = 0; q < g.Q; ++q) {
          const size_t yi = size_t(((n * g.K + k) * g.P + p) * g.Q + q);
          y.add(yi, b[size_t(k)]);
          db.add(size_t(k), dy[yi]);
          for (i64 c = 0; c < g.C; ++c)
            for (i64 r = 0; r < g.R; ++r)
              for (i64 s = 0; s < g.S; ++s) {
                const i64 h = p * g.stride - g.pad + r, ww = q * g.stride - g.pad + s;
                if (h < 0 || h >= g.H || ww < 0 || ww >= g.W) continue;
                const size_t xi = size_t(((n * g.C + c) * g.H + h) * g.W + ww);
                const size_t wi = size_t(((k * g.C + c) * g.R + r) * g.S + s);
                y.add(yi, double(x[xi]) * w[wi]);
                dx.add(xi, double(dy[yi]) * w[wi]);
                dw.add(wi, double(dy[yi]) * x[xi]);
              }
        }
}

void expect_within(const Tensor& got, const Ref& ref, bool normwise, const std::string& what) {
  EXPECT_TRUE(test::within_bounds(got.to_vector(), values(ref), bounds(ref, normwise), what));
}
void expect_exact(const Tensor& got, const Ref& ref, const std::string& what) {
  const std::vector<float> g = got.to_vector();
  std::vector<float> want(ref.value.begin(), ref.value.end());
  EXPECT_TRUE(test::bitwise_equal(g, want, what));
}

TEST(Conv2dAllPasses, CudaFastWithinFloat64Reference) {
  LS_REQUIRE_CUDA();
  if (tf32_on()) GTEST_SKIP() << "LOCKSTEP_ALLOW_TF32=1: TF32 inputs are outside the FP32 bound";
  for (bool integer : {false, true}) {
    for (const Conv2dGeom& g : test::conv_shapes()) {
      auto make = [&](std::uint64_t seed, i64 n) {
        return integer ? test::int_values(seed, n, -3, 3) : test::uniform_values(seed, n, -1.0f, 1.0f);
      };
      const auto x = make(1, g.N * g.C * g.H * g.W), w = make(2, g.K * g.C * g.R * g.S), b = make(3, g.K),
                 dy = make(4, g.N * g.K * g.P * g.Q);
      Ref ry, rdx, rdw, rdb;
      conv_refs(g, x, w, b, dy, ry, rdx, rdw, rdb);
      const Tensor X = on_gpu(Tensor::from_vector(x, {g.N, g.C, g.H, g.W})), Wt = on_gpu(Tensor::from_vector(w, {g.K, g.C, g.R, g.S}));
      const Tensor B = on_gpu(Tensor::from_vector(b, {g.K})), DY = on_gpu(Tensor::from_vector(dy, {g.N, g.K, g.P, g.Q}));
      Tensor y = test::gpu_empty(DY.shape()), dx = test::gpu_empty(X.shape()), dw = test::gpu_empty(Wt.shape()),
             db = test::gpu_empty(B.shape());
      cuda::conv2d_fwd_fast(X.data<float>(), Wt.data<float>(), B.data<float>(), y.data<float>(), g);
      cuda::conv2d_bwd_data_fast(DY.data<float>(), Wt.data<float>(), dx.data<float>(), g);
      cuda::conv2d_bwd_weight_fast(DY.data<float>(), X.data<float>(), dw.data<float>(), db.data<float>(), g);
      const std::string what = std::string(integer ? "integer " : "") + describe(g);
      if (integer) {
        // Why exact is not demanded of cuDNN: FFT/Winograd transforms round even integer data.
        expect_within(y, ry, true, "fwd " + what);
        expect_within(dx, rdx, true, "bwd data " + what);
        expect_within(dw, rdw, true, "bwd weight " + what);
        expect_exact(db, rdb, "bwd bias (atomic) " + what);
      } else {
        expect_within(y, ry, true, "fwd " + what);
        expect_within(dx, rdx, true, "bwd data " + what);
        expect_within(dw, rdw, true, "bwd weight " + what);
        expect_within(db, rdb, false, "bwd bias (atomic) " + what);
      }
    }
  }
}

TEST(LinearAllPasses, CudaFastWithinFloat64Reference) {
  LS_REQUIRE_CUDA();
  if (tf32_on()) GTEST_SKIP() << "LOCKSTEP_ALLOW_TF32=1: TF32 inputs are outside the FP32 bound";
  for (bool integer : {false, true}) {
    for (const LinearGeom& g : test::linear_shapes()) {
      auto make = [&](std::uint64_t seed, i64 n) {
        return integer ? test::int_values(seed, n, -3, 3) : test::uniform_values(seed, n, -1.0f, 1.0f);
      };
      const auto x = make(5, g.N * g.I), w = make(6, g.O * g.I), b = make(7, g.O), dy = make(8, g.N * g.O);
      Ref ry, rdx, rdw, rdb;
      ry.resize(dy.size()), rdx.resize(x.size()), rdw.resize(w.size()), rdb.resize(b.size());
      for (i64 n = 0; n < g.N; ++n)
        for (i64 o = 0; o < g.O; ++o) {
          const size_t yi = size_t(n * g.O + o);
          ry.add(yi, b[size_t(o)]);
          rdb.add(size_t(o), dy[yi]);
          for (i64 i = 0; i < g.I; ++i) {
            const size_t xi = size_t(n * g.I + i), wi = size_t(o * g.I + i);
            ry.add(yi, double(x[xi]) * w[wi]);
            rdx.add(xi, double(dy[yi]) * w[wi]);
            rdw.add(wi, double(dy[yi]) * x[xi]);
          }
        }
      const Tensor X = on_gpu(Tensor::from_vector(x, {g.N, g.I})), Wt = on_gpu(Tensor::from_vector(w, {g.O, g.I}));
      const Tensor B = on_gpu(Tensor::from_vector(b, {g.O})), DY = on_gpu(Tensor::from_vector(dy, {g.N, g.O}));
      Tensor y = test::gpu_empty(DY.shape()), dx = test::gpu_empty(X.shape()), dw = test::gpu_empty(Wt.shape()),
             db = test::gpu_empty(B.shape());
      cuda::linear_fwd_fast(X.data<float>(), Wt.data<float>(), B.data<float>(), y.data<float>(), g);
      cuda::linear_bwd_data_fast(DY.data<float>(), Wt.data<float>(), dx.data<float>(), g);
      cuda::linear_bwd_weight_fast(DY.data<float>(), X.data<float>(), dw.data<float>(), db.data<float>(), g);
      const std::string what = std::string(integer ? "integer " : "") + describe(g);
      if (integer) {  // every partial sum is a small integer: any order is exact (CUTLASS int_scale=0)
        expect_exact(y, ry, "fwd " + what);
        expect_exact(dx, rdx, "bwd data " + what);
        expect_exact(dw, rdw, "bwd weight " + what);
        expect_exact(db, rdb, "bwd bias " + what);
      } else {
        expect_within(y, ry, false, "fwd " + what);
        expect_within(dx, rdx, false, "bwd data " + what);
        expect_within(dw, rdw, false, "bwd weight " + what);
        expect_within(db, rdb, false, "bwd bias " + what);
      }
    }
  }
}

TEST(MaxPool2dBwd, CudaFastWithinFloat64Reference) {
  LS_REQUIRE_CUDA();
  for (const Pool2dGeom& g : test::pool_shapes()) {
    const auto dy = test::uniform_values(10, g.N * g.C * g.P * g.Q);
    std::vector<i64> am(dy.size());
    for (size_t i = 0; i < am.size(); ++i) {  // any in-plane index; overlapping hits exercise the atomics
      am[i] = static_cast<i64>(test::mix64(i) % static_cast<std::uint64_t>(g.H * g.W));
    }
    Ref rdx;
    rdx.resize(size_t(g.N * g.C * g.H * g.W));
    for (size_t i = 0; i < dy.size(); ++i) rdx.add(size_t(i64(i) / (g.P * g.Q) * g.H * g.W + am[i]), dy[i]);
    const Tensor DY = on_gpu(Tensor::from_vector(dy, {g.N, g.C, g.P, g.Q})), AM = on_gpu(Tensor::from_ints(am, {g.N, g.C, g.P, g.Q}));
    Tensor dx = test::gpu_empty({g.N, g.C, g.H, g.W});
    cuda::max_pool2d_bwd_fast(DY.data<float>(), AM.data<i64>(), dx.data<float>(), g);
    expect_within(dx, rdx, false, "bwd " + describe(g));
  }
}

}  // namespace
}  // namespace lockstep

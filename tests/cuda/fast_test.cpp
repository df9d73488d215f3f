// The fast CUDA kernels (cuDNN convolutions, cuBLAS SGEMM linear layers, atomicAdd biases and
// max_pool2d backward) within a justified bound of a float64 reference (reference/, independent
// of kernels/), and exact on small integer inputs where every partial sum is an exactly
// representable integer (TF32 off).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <functional>
#include <tuple>

#include "cuda/kernels.h"
#include "reference/conv2d_ref.h"
#include "reference/data.h"
#include "reference/linear_ref.h"
#include "reference/ref_sums.h"
#include "tests/cuda/shapes.h"
#include "tests/cuda/support.h"
#include "tests/support/compare.h"

namespace lockstep {
namespace {

using test::describe;
using test::on_gpu;

// Elementwise Higham bound 2 n u sum|terms| (any summation order, FMA or not), plus for
// cuDNN a normwise term 16 u max_i sum|terms_i|: FFT and Winograd algorithms bound their
// error by the norms of the operands rather than per output, so a cancelling output may not
// meet the elementwise bound; a wrong index misses both by orders of magnitude.
std::vector<double> bounds(const ref::RefSums& r, bool normwise) {
  double max_abs = 0;
  for (double a : r.abs_sum) max_abs = std::max(max_abs, a);
  std::vector<double> b(r.value.size());
  for (size_t i = 0; i < b.size(); ++i)
    b[i] = test::chain_bound(double(r.terms[i] + 1), r.abs_sum[i]) + (normwise ? 16 * test::kF32Unit * max_abs : 0.0);
  return b;
}

bool tf32_on() {
  const char* e = std::getenv("LOCKSTEP_ALLOW_TF32");
  return e && std::string(e) == "1";
}

void expect_within(const Tensor& got, const ref::RefSums& ref, bool normwise, const std::string& what) {
  EXPECT_TRUE(test::within_bounds(got.to_vector(), ref.value, bounds(ref, normwise), what));
}
void expect_exact(const Tensor& got, const ref::RefSums& ref, const std::string& what) {
  EXPECT_TRUE(test::bitwise_equal(got.to_vector(), test::to_float(ref.value), what));
}

std::vector<float> make_values(bool integer, std::uint64_t seed, i64 n) {
  return integer ? test::int_values(seed, n, -3, 3) : test::uniform_values(seed, n, -1.0f, 1.0f);
}

// The float64 references of a layer's four outputs: y, dx, dw, db.
struct LayerRefs {
  ref::RefSums y, dx, dw, db;
};
using LayerRefFn = std::function<LayerRefs(const std::vector<double>& x, const std::vector<double>& w,
                                           const std::vector<double>& b, const std::vector<double>& dy)>;
// The fast kernels of a layer on device pointers: y from (x, w, b); dx, dw, db from dy.
using LayerFastFn = std::function<void(const float* x, const float* w, const float* b, const float* dy, float* y,
                                       float* dx, float* dw, float* db)>;

// What a layer's check demands: `normwise` widens the bound of y, dx and dw; on integer data
// y, dx and dw are exact when `exact_on_integers`, db (atomic adds of small integers) always.
struct LayerCheck {
  bool normwise, exact_on_integers;
};

// Seeded inputs (x of shape xs, w of ws, b of ws[0], dy of ys), the fast kernels on the GPU,
// and each output against its reference.
void check_layer(bool integer, std::uint64_t seed, const Shape& xs, const Shape& ws, const Shape& ys,
                 const LayerRefFn& refs, const LayerFastFn& fast, LayerCheck c, const std::string& what) {
  const Shape bs{ws[0]};
  const auto x = make_values(integer, seed, xs.numel()), w = make_values(integer, seed + 1, ws.numel()),
             b = make_values(integer, seed + 2, bs.numel()), dy = make_values(integer, seed + 3, ys.numel());
  const Tensor X = on_gpu(Tensor::from_vector(x, xs)), W = on_gpu(Tensor::from_vector(w, ws));
  const Tensor B = on_gpu(Tensor::from_vector(b, bs)), DY = on_gpu(Tensor::from_vector(dy, ys));
  Tensor y = test::gpu_empty(ys), dx = test::gpu_empty(xs), dw = test::gpu_empty(ws), db = test::gpu_empty(bs);
  fast(X.data<float>(), W.data<float>(), B.data<float>(), DY.data<float>(), y.data<float>(), dx.data<float>(),
       dw.data<float>(), db.data<float>());
  const LayerRefs r = refs(test::to_double(x), test::to_double(w), test::to_double(b), test::to_double(dy));
  const std::string label = std::string(integer ? "integer " : "") + what;
  for (const auto& [got, want, pass] : {std::tuple{&y, &r.y, "fwd "}, std::tuple{&dx, &r.dx, "bwd data "},
                                        std::tuple{&dw, &r.dw, "bwd weight "}}) {
    if (integer && c.exact_on_integers) expect_exact(*got, *want, pass + label);
    else expect_within(*got, *want, c.normwise, pass + label);
  }
  if (integer) expect_exact(db, r.db, "bwd bias (atomic) " + label);
  else expect_within(db, r.db, false, "bwd bias (atomic) " + label);
}

TEST(Conv2dAllPasses, CudaFastWithinFloat64Reference) {
  LS_REQUIRE_CUDA();
  if (tf32_on()) GTEST_SKIP() << "LOCKSTEP_ALLOW_TF32=1: TF32 inputs are outside the FP32 bound";
  for (bool integer : {false, true})
    for (const Conv2dGeom& g : test::conv_shapes()) {
      const ref::Conv2dShape s{g.N, g.C, g.H, g.W, g.K, g.R, g.S, g.stride, g.pad};
      check_layer(
          integer, 1, {g.N, g.C, g.H, g.W}, {g.K, g.C, g.R, g.S}, {g.N, g.K, g.P, g.Q},
          [&](const auto& x, const auto& w, const auto& b, const auto& dy) {
            return LayerRefs{ref::conv2d_fwd(x, w, b, s), ref::conv2d_bwd_data(dy, w, s),
                             ref::conv2d_bwd_weight(dy, x, s), ref::conv2d_bwd_bias(dy, s)};
          },
          [&](const float* x, const float* w, const float* b, const float* dy, float* y, float* dx, float* dw, float* db) {
            cuda::conv2d_fwd_fast(x, w, b, y, g);
            cuda::conv2d_bwd_data_fast(dy, w, dx, g);
            cuda::conv2d_bwd_weight_fast(dy, x, dw, db, g);
          },
          // Why exact is not demanded of cuDNN: FFT/Winograd transforms round even integer data.
          {/*normwise=*/true, /*exact_on_integers=*/false}, describe(g));
    }
}

TEST(LinearAllPasses, CudaFastWithinFloat64Reference) {
  LS_REQUIRE_CUDA();
  if (tf32_on()) GTEST_SKIP() << "LOCKSTEP_ALLOW_TF32=1: TF32 inputs are outside the FP32 bound";
  for (bool integer : {false, true})
    for (const LinearGeom& g : test::linear_shapes()) {
      const ref::LinearShape s{g.N, g.I, g.O};
      check_layer(
          integer, 5, {g.N, g.I}, {g.O, g.I}, {g.N, g.O},
          [&](const auto& x, const auto& w, const auto& b, const auto& dy) {
            return LayerRefs{ref::linear_fwd(x, w, b, s), ref::linear_bwd_data(dy, w, s),
                             ref::linear_bwd_weight(dy, x, s), ref::linear_bwd_bias(dy, s)};
          },
          [&](const float* x, const float* w, const float* b, const float* dy, float* y, float* dx, float* dw, float* db) {
            cuda::linear_fwd_fast(x, w, b, y, g);
            cuda::linear_bwd_data_fast(dy, w, dx, g);
            cuda::linear_bwd_weight_fast(dy, x, dw, db, g);
          },
          // Every partial sum of small integers is an integer: any order is exact (CUTLASS int_scale=0).
          {/*normwise=*/false, /*exact_on_integers=*/true}, describe(g));
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
    ref::RefSums rdx(g.N * g.C * g.H * g.W);
    for (size_t i = 0; i < dy.size(); ++i) rdx.add(i64(i) / (g.P * g.Q) * g.H * g.W + am[i], dy[i]);
    const Tensor DY = on_gpu(Tensor::from_vector(dy, {g.N, g.C, g.P, g.Q})), AM = on_gpu(Tensor::from_ints(am, {g.N, g.C, g.P, g.Q}));
    Tensor dx = test::gpu_empty({g.N, g.C, g.H, g.W});
    cuda::max_pool2d_bwd_fast(DY.data<float>(), AM.data<i64>(), dx.data<float>(), g);
    expect_within(dx, rdx, false, "bwd " + describe(g));
  }
}

}  // namespace
}  // namespace lockstep

// Every deterministic CUDA kernel, per op and pass, equals the CPU deterministic kernel
// bitwise on the reference shapes and odd shapes, under two launch shapes (which therefore
// give identical bits). Skipped with the CUDA error when no device is usable.
#include <gtest/gtest.h>

#include "core/random.h"
#include "cpu/kernels.h"
#include "cuda/kernels.h"
#include "kernels/dropout.h"
#include "tests/cuda/shapes.h"
#include "tests/cuda/support.h"
#include "tests/support/compare.h"
#include "reference/data.h"

namespace lockstep {
namespace {

using test::bitwise_equal;
using test::describe;
using test::gpu_empty;
using test::kLaunches;
using test::on_gpu;

Tensor rand(std::uint64_t seed, const Shape& s) { return test::uniform_tensor(seed, s, -1.0f, 1.0f); }

TEST(Conv2dFwd, CudaDetBitwiseEqualsCpuDet) {
  LS_REQUIRE_CUDA();
  for (const Conv2dGeom& g : test::conv_shapes()) {
    const Tensor x = rand(1, {g.N, g.C, g.H, g.W}), w = rand(2, {g.K, g.C, g.R, g.S}), b = rand(3, {g.K});
    Tensor want = Tensor::empty({g.N, g.K, g.P, g.Q});
    cpu::conv2d_fwd_det(x.data<float>(), w.data<float>(), b.data<float>(), want.data<float>(), g);
    const Tensor X = on_gpu(x), Wt = on_gpu(w), B = on_gpu(b);
    for (const auto& cfg : kLaunches) {
      Tensor y = gpu_empty(want.shape());
      cuda::conv2d_fwd_det(X.data<float>(), Wt.data<float>(), B.data<float>(), y.data<float>(), g, cfg);
      EXPECT_TRUE(bitwise_equal(y.to_vector(), want.to_vector(), describe(g) + " " + describe(cfg)));
    }
  }
}

TEST(Conv2dBwdData, CudaDetBitwiseEqualsCpuDet) {
  LS_REQUIRE_CUDA();
  for (const Conv2dGeom& g : test::conv_shapes()) {
    const Tensor dy = rand(4, {g.N, g.K, g.P, g.Q}), w = rand(2, {g.K, g.C, g.R, g.S});
    Tensor want = Tensor::empty({g.N, g.C, g.H, g.W});
    cpu::conv2d_bwd_data_det(dy.data<float>(), w.data<float>(), want.data<float>(), g);
    const Tensor DY = on_gpu(dy), Wt = on_gpu(w);
    for (const auto& cfg : kLaunches) {
      Tensor dx = gpu_empty(want.shape());
      cuda::conv2d_bwd_data_det(DY.data<float>(), Wt.data<float>(), dx.data<float>(), g, cfg);
      EXPECT_TRUE(bitwise_equal(dx.to_vector(), want.to_vector(), describe(g) + " " + describe(cfg)));
    }
  }
}

TEST(Conv2dBwdWeight, CudaDetBitwiseEqualsCpuDet) {
  LS_REQUIRE_CUDA();
  for (const Conv2dGeom& g : test::conv_shapes()) {
    const Tensor dy = rand(4, {g.N, g.K, g.P, g.Q}), x = rand(1, {g.N, g.C, g.H, g.W});
    Tensor want_dw = Tensor::empty({g.K, g.C, g.R, g.S}), want_db = Tensor::empty({g.K});
    cpu::conv2d_bwd_weight_det(dy.data<float>(), x.data<float>(), want_dw.data<float>(), want_db.data<float>(), g);
    const Tensor DY = on_gpu(dy), X = on_gpu(x);
    for (const auto& cfg : kLaunches) {
      Tensor dw = gpu_empty(want_dw.shape()), db = gpu_empty(want_db.shape());
      cuda::conv2d_bwd_weight_det(DY.data<float>(), X.data<float>(), dw.data<float>(), db.data<float>(), g, cfg);
      EXPECT_TRUE(bitwise_equal(dw.to_vector(), want_dw.to_vector(), "dw " + describe(g) + " " + describe(cfg)));
      EXPECT_TRUE(bitwise_equal(db.to_vector(), want_db.to_vector(), "db " + describe(g) + " " + describe(cfg)));
    }
  }
}

TEST(LinearAllPasses, CudaDetBitwiseEqualsCpuDet) {
  LS_REQUIRE_CUDA();
  for (const LinearGeom& g : test::linear_shapes()) {
    const Tensor x = rand(5, {g.N, g.I}), w = rand(6, {g.O, g.I}), b = rand(7, {g.O}), dy = rand(8, {g.N, g.O});
    Tensor want_y = Tensor::empty({g.N, g.O}), want_dx = Tensor::empty({g.N, g.I});
    Tensor want_dw = Tensor::empty({g.O, g.I}), want_db = Tensor::empty({g.O});
    cpu::linear_fwd_det(x.data<float>(), w.data<float>(), b.data<float>(), want_y.data<float>(), g);
    cpu::linear_bwd_data_det(dy.data<float>(), w.data<float>(), want_dx.data<float>(), g);
    cpu::linear_bwd_weight_det(dy.data<float>(), x.data<float>(), want_dw.data<float>(), want_db.data<float>(), g);
    const Tensor X = on_gpu(x), Wt = on_gpu(w), B = on_gpu(b), DY = on_gpu(dy);
    for (const auto& cfg : kLaunches) {
      const std::string what = describe(g) + " " + describe(cfg);
      Tensor y = gpu_empty(want_y.shape()), dx = gpu_empty(want_dx.shape());
      Tensor dw = gpu_empty(want_dw.shape()), db = gpu_empty(want_db.shape());
      cuda::linear_fwd_det(X.data<float>(), Wt.data<float>(), B.data<float>(), y.data<float>(), g, cfg);
      cuda::linear_bwd_data_det(DY.data<float>(), Wt.data<float>(), dx.data<float>(), g, cfg);
      cuda::linear_bwd_weight_det(DY.data<float>(), X.data<float>(), dw.data<float>(), db.data<float>(), g, cfg);
      EXPECT_TRUE(bitwise_equal(y.to_vector(), want_y.to_vector(), "fwd " + what));
      EXPECT_TRUE(bitwise_equal(dx.to_vector(), want_dx.to_vector(), "bwd data " + what));
      EXPECT_TRUE(bitwise_equal(dw.to_vector(), want_dw.to_vector(), "dw " + what));
      EXPECT_TRUE(bitwise_equal(db.to_vector(), want_db.to_vector(), "db " + what));
    }
  }
}

TEST(MaxPool2dBothPasses, CudaDetBitwiseEqualsCpuDet) {
  LS_REQUIRE_CUDA();
  for (const Pool2dGeom& g : test::pool_shapes()) {
    std::vector<float> xv = test::uniform_values(9, g.N * g.C * g.H * g.W);
    for (size_t i = 0; i < xv.size(); i += 5) xv[i] = 0.25f;  // ties: the first index must win
    const Tensor x = Tensor::from_vector(xv, {g.N, g.C, g.H, g.W}), dy = rand(10, {g.N, g.C, g.P, g.Q});
    Tensor want_y = Tensor::empty(dy.shape()), want_am = Tensor::empty(dy.shape(), DType::I64);
    Tensor want_dx = Tensor::empty(x.shape());
    cpu::max_pool2d_fwd_det(x.data<float>(), want_y.data<float>(), want_am.data<i64>(), g);
    cpu::max_pool2d_bwd_det(dy.data<float>(), want_am.data<i64>(), want_dx.data<float>(), g);
    const Tensor X = on_gpu(x), DY = on_gpu(dy), AM = on_gpu(want_am);
    for (const auto& cfg : kLaunches) {
      const std::string what = describe(g) + " " + describe(cfg);
      Tensor y = gpu_empty(dy.shape()), am = gpu_empty(dy.shape(), DType::I64), dx = gpu_empty(x.shape());
      cuda::max_pool2d_fwd_det(X.data<float>(), y.data<float>(), am.data<i64>(), g, cfg);
      cuda::max_pool2d_bwd_det(DY.data<float>(), AM.data<i64>(), dx.data<float>(), g, cfg);
      EXPECT_TRUE(bitwise_equal(y.to_vector(), want_y.to_vector(), "fwd " + what));
      EXPECT_EQ(am.to_int_vector(), want_am.to_int_vector()) << "argmax " << what;
      EXPECT_TRUE(bitwise_equal(dx.to_vector(), want_dx.to_vector(), "bwd " + what));
    }
  }
}

TEST(MaxPool2dReluBothPasses, CudaDetBitwiseEqualsCpuDet) {
  // Alone and with its dropout2d mask (dropout2d_max_pool2d_relu), whose kernels take the
  // params from the host by value.
  LS_REQUIRE_CUDA();
  for (const Pool2dGeom& g : test::pool_shapes()) {
    std::vector<float> xv = test::uniform_values(9, g.N * g.C * g.H * g.W);
    for (size_t i = 0; i < xv.size(); i += 5) xv[i] = 0.25f;  // ties: the first index must win
    const Tensor x = Tensor::from_vector(xv, {g.N, g.C, g.H, g.W}), dy = rand(10, {g.N, g.C, g.P, g.Q});
    const kernels::DropoutParams d = kernels::dropout_params(kernels::make_stream(7, 1, 2, 3), 0.5f, g.H * g.W, 3);
    for (const kernels::DropoutParams* drop : {static_cast<const kernels::DropoutParams*>(nullptr), &d}) {
      Tensor want_y = Tensor::empty(dy.shape()), want_am = Tensor::empty(dy.shape(), DType::I64);
      Tensor want_dx = Tensor::empty(x.shape());
      cpu::max_pool2d_relu_fwd_det(x.data<float>(), drop, want_y.data<float>(), want_am.data<i64>(), g);
      cpu::max_pool2d_relu_bwd_det(dy.data<float>(), want_y.data<float>(), want_am.data<i64>(), drop,
                                   want_dx.data<float>(), g);
      const Tensor X = on_gpu(x), DY = on_gpu(dy), Y = on_gpu(want_y), AM = on_gpu(want_am);
      for (const auto& cfg : kLaunches) {
        const std::string what = describe(g) + " " + describe(cfg) + (drop ? " with dropout2d" : "");
        Tensor y = gpu_empty(dy.shape()), am = gpu_empty(dy.shape(), DType::I64), dx = gpu_empty(x.shape());
        cuda::max_pool2d_relu_fwd_det(X.data<float>(), drop, y.data<float>(), am.data<i64>(), g, cfg);
        cuda::max_pool2d_relu_bwd_det(DY.data<float>(), Y.data<float>(), AM.data<i64>(), drop, dx.data<float>(), g, cfg);
        EXPECT_TRUE(bitwise_equal(y.to_vector(), want_y.to_vector(), "fwd " + what));
        EXPECT_EQ(am.to_int_vector(), want_am.to_int_vector()) << "argmax " << what;
        EXPECT_TRUE(bitwise_equal(dx.to_vector(), want_dx.to_vector(), "bwd " + what));
      }
    }
  }
}

TEST(LogSoftmaxAndNllLoss, CudaDetBitwiseEqualsCpuDet) {
  LS_REQUIRE_CUDA();
  for (const auto& [rows, cols] : test::row_shapes()) {
    const Tensor x = test::uniform_tensor(12, {rows, cols}, -8.0f, 8.0f), dy = rand(13, {rows, cols});
    std::vector<i64> tv(static_cast<size_t>(rows));
    for (i64 n = 0; n < rows; ++n) tv[size_t(n)] = static_cast<i64>(test::mix64(static_cast<std::uint64_t>(n)) % cols);
    const Tensor target = Tensor::from_ints(tv, {rows}), dloss = Tensor::scalar(0.75f);
    Tensor want_y = Tensor::empty(x.shape()), want_dx = Tensor::empty(x.shape()), want_dlogp = Tensor::empty(x.shape());
    float want_loss = 0;
    cpu::log_softmax_fwd_det(x.data<float>(), want_y.data<float>(), rows, cols);
    cpu::log_softmax_bwd_det(dy.data<float>(), want_y.data<float>(), want_dx.data<float>(), rows, cols);
    cpu::nll_loss_fwd_det(want_y.data<float>(), target.data<i64>(), &want_loss, rows, cols);
    cpu::nll_loss_bwd_det(dloss.data<float>(), target.data<i64>(), want_dlogp.data<float>(), rows, cols, rows);
    const Tensor X = on_gpu(x), DY = on_gpu(dy), Y = on_gpu(want_y), T = on_gpu(target), DL = on_gpu(dloss);
    for (const auto& cfg : kLaunches) {
      const std::string what = "rows=" + std::to_string(rows) + " cols=" + std::to_string(cols) + " " + describe(cfg);
      Tensor y = gpu_empty(x.shape()), dx = gpu_empty(x.shape()), loss = gpu_empty({}), dlogp = gpu_empty(x.shape());
      cuda::log_softmax_fwd_det(X.data<float>(), y.data<float>(), rows, cols, cfg);
      cuda::log_softmax_bwd_det(DY.data<float>(), Y.data<float>(), dx.data<float>(), rows, cols, cfg);
      cuda::nll_loss_fwd_det(Y.data<float>(), T.data<i64>(), loss.data<float>(), rows, cols, cfg);
      cuda::nll_loss_bwd_det(DL.data<float>(), T.data<i64>(), dlogp.data<float>(), rows, cols, rows, cfg);
      EXPECT_TRUE(bitwise_equal(y.to_vector(), want_y.to_vector(), "log_softmax fwd " + what));
      EXPECT_TRUE(bitwise_equal(dx.to_vector(), want_dx.to_vector(), "log_softmax bwd " + what));
      EXPECT_TRUE(bitwise_equal(loss.to_vector(), {want_loss}, "nll_loss fwd " + what));
      EXPECT_TRUE(bitwise_equal(dlogp.to_vector(), want_dlogp.to_vector(), "nll_loss bwd " + what));
    }
  }
}

TEST(ElementwiseSumSgd, CudaDetBitwiseEqualsCpuDet) {
  LS_REQUIRE_CUDA();
  for (i64 n : test::flat_sizes()) {
    const Tensor a = rand(20, {n}), b = rand(21, {n}), v = rand(22, {n});
    std::vector<float> add(size_t(n), 0), mul(size_t(n), 0), scl(size_t(n), 0), rf(size_t(n), 0), rb(size_t(n), 0);
    std::vector<float> p = a.to_vector(), vv = v.to_vector(), p0 = a.to_vector();
    float sum = 0;
    cpu::add_det(a.data<float>(), b.data<float>(), add.data(), n);
    cpu::mul_det(a.data<float>(), b.data<float>(), mul.data(), n);
    cpu::scale_det(a.data<float>(), 0.3f, scl.data(), n);
    cpu::relu_fwd_det(a.data<float>(), rf.data(), n);
    cpu::relu_bwd_det(b.data<float>(), a.data<float>(), rb.data(), n);
    cpu::sum_det(a.data<float>(), n, &sum);
    cpu::sgd_update_det(p.data(), vv.data(), b.data<float>(), 0.01f, 0.5f, n);
    cpu::sgd_update_det(p0.data(), nullptr, b.data<float>(), 0.01f, 0.0f, n);
    const Tensor A = on_gpu(a), B = on_gpu(b);
    for (const auto& cfg : kLaunches) {
      const std::string what = "n=" + std::to_string(n) + " " + describe(cfg);
      Tensor y1 = gpu_empty({n}), y2 = gpu_empty({n}), y3 = gpu_empty({n}), y4 = gpu_empty({n}), y5 = gpu_empty({n});
      Tensor s = gpu_empty({}), P = on_gpu(a.clone()), V = on_gpu(v), P0 = on_gpu(a.clone()), F = gpu_empty({n});
      cuda::add_det(A.data<float>(), B.data<float>(), y1.data<float>(), n, cfg);
      cuda::mul_det(A.data<float>(), B.data<float>(), y2.data<float>(), n, cfg);
      cuda::scale_det(A.data<float>(), 0.3f, y3.data<float>(), n, cfg);
      cuda::relu_fwd_det(A.data<float>(), y4.data<float>(), n, cfg);
      cuda::relu_bwd_det(B.data<float>(), A.data<float>(), y5.data<float>(), n, cfg);
      cuda::sum_det(A.data<float>(), n, s.data<float>(), cfg);
      cuda::sgd_update_det(P.data<float>(), V.data<float>(), B.data<float>(), 0.01f, 0.5f, n, cfg);
      cuda::sgd_update_det(P0.data<float>(), nullptr, B.data<float>(), 0.01f, 0.0f, n, cfg);
      cuda::fill_det(F.data<float>(), -2.5f, n, cfg);
      EXPECT_TRUE(bitwise_equal(y1.to_vector(), add, "add " + what));
      EXPECT_TRUE(bitwise_equal(y2.to_vector(), mul, "mul " + what));
      EXPECT_TRUE(bitwise_equal(y3.to_vector(), scl, "scale " + what));
      EXPECT_TRUE(bitwise_equal(y4.to_vector(), rf, "relu fwd " + what));
      EXPECT_TRUE(bitwise_equal(y5.to_vector(), rb, "relu bwd " + what));
      EXPECT_TRUE(bitwise_equal(s.to_vector(), {sum}, "sum " + what));
      EXPECT_TRUE(bitwise_equal(P.to_vector(), p, "sgd momentum p " + what));
      EXPECT_TRUE(bitwise_equal(V.to_vector(), vv, "sgd momentum v " + what));
      EXPECT_TRUE(bitwise_equal(P0.to_vector(), p0, "sgd plain " + what));
      EXPECT_TRUE(bitwise_equal(F.to_vector(), std::vector<float>(size_t(n), -2.5f), "fill " + what));
    }
  }
}

TEST(DropoutAndGather, CudaDetBitwiseEqualsCpuDet) {
  LS_REQUIRE_CUDA();
  for (i64 n : test::flat_sizes()) {
    for (i64 group : {i64(1), i64(64)}) {
      const Tensor x = rand(23, {n});
      const auto d = kernels::dropout_params(random::stream_for_dropout(3, 1, 17), 0.5f, group);
      std::vector<float> want(static_cast<size_t>(n));
      cpu::dropout_apply_det(x.data<float>(), want.data(), d, n);
      const Tensor X = on_gpu(x);
      for (const auto& cfg : kLaunches) {
        Tensor y = gpu_empty({n});
        cuda::dropout_apply_det(X.data<float>(), y.data<float>(), d, n, cfg);
        EXPECT_TRUE(bitwise_equal(y.to_vector(), want, "dropout n=" + std::to_string(n) + " group=" +
                                                           std::to_string(group) + " " + describe(cfg)));
      }
    }
  }
  const i64 rows = 33;
  const Tensor src = rand(24, {100, 7});
  std::vector<i64> idx(static_cast<size_t>(rows));
  for (i64 r = 0; r < rows; ++r) idx[size_t(r)] = (r * 37 + 11) % 100;
  Tensor want = Tensor::empty({rows, 7});
  const Tensor index = Tensor::from_ints(idx, {rows});
  cpu::gather_rows_det(src.data<float>(), index.data<i64>(), want.data<float>(), rows, 7 * 4);
  const Tensor S = on_gpu(src), I = on_gpu(index);
  for (const auto& cfg : kLaunches) {
    Tensor y = gpu_empty({rows, 7});
    cuda::gather_rows_det(S.data<float>(), I.data<i64>(), y.data<float>(), rows, 7 * 4, cfg);
    EXPECT_TRUE(bitwise_equal(y.to_vector(), want.to_vector(), "gather " + describe(cfg)));
  }
}

}  // namespace
}  // namespace lockstep

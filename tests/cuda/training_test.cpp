// Whole training steps of the reference network (dropout on) on CUDA in deterministic mode
// equal the CPU's: the same loss bits every step and the same weight fingerprint. Batches are
// uploaded once and gathered on the device, as `lockstep train --device cuda` does.
#include <gtest/gtest.h>

#include "core/mode.h"
#include "nn/mnist_net.h"
#include "nn/training.h"
#include "tests/cuda/support.h"
#include "tests/support/compare.h"
#include "reference/data.h"

namespace lockstep::nn {
namespace {

struct TrainRun {
  std::vector<float> losses;
  std::vector<std::string> fingerprints;
  EvalResult eval;
};

TrainRun train(Device device, int steps, Mode mode) {
  ModeGuard guard(mode);
  constexpr i64 kBatch = 32, kImages = 200;
  const Tensor images = test::uniform_tensor(41, {kImages, 1, 28, 28}, -0.5f, 2.5f).to(device);
  std::vector<i64> labels(kImages);
  for (i64 i = 0; i < kImages; ++i) labels[size_t(i)] = static_cast<i64>(test::mix64(static_cast<std::uint64_t>(i)) % 10);
  const Tensor y = Tensor::from_ints(labels, {kImages}).to(device);
  std::vector<i64> order(kImages);
  for (i64 i = 0; i < kImages; ++i) order[size_t(i)] = (i * 71 + 3) % kImages;
  const Tensor order_t = Tensor::from_ints(order, {kImages}).to(device);

  MnistNet net({/*seed=*/7, /*dropout=*/true, 0.5f});
  move_to_device(net.parameters(), device);
  SGD opt(net.parameters(), 0.01f, 0.5f);
  TrainRun r;
  for (int s = 0; s < steps; ++s) {
    const i64 begin = (s * kBatch) % (kImages - kBatch);
    const Batch b = device == Device::CPU ? gather_batch(images, y, order, begin, begin + kBatch)
                                          : gather_batch(images, y, order_t, begin, begin + kBatch);
    r.losses.push_back(train_step(net, opt, b, s));
    r.fingerprints.push_back(fingerprint(net));
  }
  r.eval = evaluate(net, images, y, 64);
  return r;
}

TEST(Training, CudaDetStepsBitwiseEqualCpuDet) {
  LS_REQUIRE_CUDA();
  const TrainRun cpu = train(Device::CPU, 5, Mode::Deterministic);
  const TrainRun gpu = train(Device::CUDA, 5, Mode::Deterministic);
  EXPECT_TRUE(test::bitwise_equal(gpu.losses, cpu.losses, "losses"));
  EXPECT_EQ(gpu.fingerprints, cpu.fingerprints);
  EXPECT_EQ(gpu.eval.correct, cpu.eval.correct);
  EXPECT_EQ(gpu.eval.loss_sum, cpu.eval.loss_sum);
}

TEST(Training, CudaFastStepsTrainAndStayClose) {
  LS_REQUIRE_CUDA();
  const TrainRun det = train(Device::CPU, 5, Mode::Deterministic);
  const TrainRun fast = train(Device::CUDA, 5, Mode::Fast);
  ASSERT_EQ(fast.losses.size(), det.losses.size());
  // Why 1e-3: five SGD steps amplify per-op differences of a few ulp (summation order only,
  // TF32 off); a wrong kernel moves the loss by far more than this.
  for (size_t i = 0; i < det.losses.size(); ++i) EXPECT_NEAR(fast.losses[i], det.losses[i], 1e-3) << "step " << i;
}

}  // namespace
}  // namespace lockstep::nn

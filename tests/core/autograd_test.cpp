#include <gtest/gtest.h>

#include "core/autograd.h"
#include "core/ops.h"
#include "tests/support/compare.h"

namespace lockstep {
namespace {

using test::bitwise_equal;

TEST(Autograd, ProductRuleOnIntegerValues) {
  // d/da sum(a*b + a) = b + 1, d/db = a; integer values make every result exact.
  Tensor a = Tensor::from_vector({1, -2, 3}, {3}).set_requires_grad();
  Tensor b = Tensor::from_vector({4, 5, -6}, {3}).set_requires_grad();
  ops::sum(ops::add(ops::mul(a, b), a)).backward();
  EXPECT_TRUE(bitwise_equal(a.grad().to_vector(), {5, 6, -5}));
  EXPECT_TRUE(bitwise_equal(b.grad().to_vector(), {1, -2, 3}));
}

TEST(Autograd, TensorUsedTwiceAccumulatesInConsumerOrder) {
  // x feeds two consumers; the contributions are added latest-consumer first:
  // g = (dL/dx via scale(x, c2)) + (dL/dx via scale(x, c1)). With c1 = 1 and c2 = 2^-30 the
  // two orders of a three-term sum differ, so we check the documented order exactly.
  Tensor x = Tensor::from_vector({1.0f}, {1}).set_requires_grad();
  Tensor y1 = ops::scale(x, 1.0f);
  Tensor y2 = ops::scale(x, 0x1p-30f);
  Tensor y3 = ops::scale(x, 0x1p-30f);
  ops::sum(ops::add(ops::add(y1, y2), y3)).backward();
  const float documented = (0x1p-30f + 0x1p-30f) + 1.0f;  // y3's, then y2's, then y1's
  EXPECT_TRUE(bitwise_equal(x.grad().to_vector(), {documented}));
}

TEST(Autograd, GradientsAccumulateAcrossBackwardUntilZeroed) {
  Tensor w = Tensor::from_vector({2, 3}, {2}).set_requires_grad();
  ops::sum(ops::scale(w, 3.0f)).backward();
  ops::sum(ops::scale(w, 3.0f)).backward();
  EXPECT_TRUE(bitwise_equal(w.grad().to_vector(), {6, 6}));
  w.zero_grad();
  EXPECT_FALSE(w.grad().defined());
  ops::sum(w).backward();
  EXPECT_TRUE(bitwise_equal(w.grad().to_vector(), {1, 1}));
}

TEST(Autograd, NoGradScopeRecordsNothing) {
  Tensor w = Tensor::from_vector({2}, {1}).set_requires_grad();
  Tensor y;
  {
    NoGradGuard ng;
    y = ops::scale(w, 2.0f);
  }
  EXPECT_FALSE(y.requires_grad());
  EXPECT_EQ(y.grad_fn(), nullptr);
  EXPECT_THROW(ops::sum(y).backward(), Error);
}

TEST(Autograd, MeanAndReshapeGradients) {
  Tensor x = Tensor::from_vector({1, 2, 3, 4}, {2, 2}).set_requires_grad();
  ops::mean(ops::reshape(x, {4})).backward();
  EXPECT_TRUE(bitwise_equal(x.grad().to_vector(), {0.25f, 0.25f, 0.25f, 0.25f}));
  EXPECT_EQ(x.grad().shape(), Shape({2, 2}));
}

TEST(Autograd, BackwardFromNonScalarIsAShapeError) {
  Tensor x = Tensor::from_vector({1, 2}, {2}).set_requires_grad();
  EXPECT_THROW(ops::scale(x, 2.0f).backward(), ShapeError);
}

TEST(Autograd, BackwardRunsInTheForwardMode) {
  class Probe : public Node {
   public:
    Probe(Mode* seen) : Node("probe"), seen_(seen) {}
    std::vector<Tensor> backward(const Tensor& dy) override {
      *seen_ = current_mode();
      return {dy};
    }
    Mode* seen_;
  };
  Mode seen = Mode::Deterministic;
  Tensor x = Tensor::from_vector({1}, {}).set_requires_grad();
  Tensor y = x.detach();
  {
    ModeGuard fast(Mode::Fast);
    attach_node(y, std::make_shared<Probe>(&seen), {x});
  }
  ASSERT_EQ(current_mode(), Mode::Deterministic);
  y.backward();
  EXPECT_EQ(seen, Mode::Fast);
}

}  // namespace
}  // namespace lockstep

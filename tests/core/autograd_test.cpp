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
  // x feeds three consumers scale(x, c1), scale(x, c2), scale(x, c3), created in that order;
  // its gradient must be (c3 + c2) + c1 (latest consumer first). With c1 = 1 and
  // c2 = c3 = 2^-24: c3 + c2 = 2^-23 is exact and 1 + 2^-23 is a float, while in the other
  // order 1 + 2^-24 is a tie that rounds to 1, and so does the next addition.
  const float c1 = 1.0f, c2 = 0x1p-24f, c3 = 0x1p-24f;
  const float documented = (c3 + c2) + c1, first_consumer_first = (c1 + c2) + c3;
  ASSERT_NE(test::float_bits(documented), test::float_bits(first_consumer_first));
  ASSERT_EQ(documented, 1.0f + 0x1p-23f);

  Tensor w = Tensor::from_vector({1.0f}, {1}).set_requires_grad();
  for (bool leaf : {true, false}) {
    // A leaf's .grad and an inner node's pending gradient are summed by different code.
    w.zero_grad();
    Tensor x = leaf ? w : ops::scale(w, 1.0f);
    const Tensor y1 = ops::scale(x, c1), y2 = ops::scale(x, c2), y3 = ops::scale(x, c3);
    ops::sum(ops::add(ops::add(y1, y2), y3)).backward();
    EXPECT_TRUE(bitwise_equal(w.grad().to_vector(), {documented}, leaf ? "x a leaf" : "x an inner tensor"));
  }
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

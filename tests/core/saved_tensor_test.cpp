// Tensors saved for backward carry the storage version they were saved at: an in-place write
// between forward and backward (ops::fill_, an SGD step, a write to a view) makes backward
// refuse to run, naming the op and the tensor, instead of silently using the new values.
#include <gtest/gtest.h>

#include <string>

#include "core/autograd.h"
#include "core/ops.h"
#include "nn/sgd.h"
#include "tests/support/compare.h"

namespace lockstep {
namespace {

// The message backward throws, or "(no error)".
std::string backward_error(const Tensor& loss) {
  try {
    loss.backward();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

// An SGD step on `w` between forward and backward: the gradient of the first pass moves w.
void sgd_step_on(Tensor& w) {
  w.set_grad(Tensor::full(w.shape(), 1.0f));
  nn::SGD opt({{"w", w}}, 0.5f);
  opt.step();
}

TEST(SavedTensor, Conv2dWeightChangedBySgdStep) {
  Tensor x = Tensor::from_vector({1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 1, 3, 3}).set_requires_grad();  // dx reads w
  Tensor w = Tensor::from_vector({1, -1, 2, 0}, {1, 1, 2, 2}).set_requires_grad();
  Tensor b = Tensor::from_vector({0}, {1}).set_requires_grad();
  Tensor loss = ops::sum(ops::conv2d(x, w, b));
  sgd_step_on(w);
  EXPECT_EQ(backward_error(loss), "conv2d: the weight saved for backward was modified in place (version 0 -> 1)");
}

TEST(SavedTensor, LinearWeightChangedBySgdStep) {
  Tensor x = Tensor::from_vector({1, 2}, {1, 2}).set_requires_grad();
  Tensor w = Tensor::from_vector({3, 4}, {1, 2}).set_requires_grad();
  Tensor b = Tensor::from_vector({0}, {1}).set_requires_grad();
  Tensor loss = ops::sum(ops::linear(x, w, b));
  sgd_step_on(w);
  EXPECT_EQ(backward_error(loss), "linear: the weight saved for backward was modified in place (version 0 -> 1)");
}

TEST(SavedTensor, ReluInputFilled) {
  Tensor x = Tensor::from_vector({-1, 2}, {2}).set_requires_grad();
  Tensor h = ops::scale(x, 1.0f);
  Tensor loss = ops::sum(ops::relu(h));
  ops::fill_(h, 5.0f);  // would turn relu's mask for x[0] from 0 into 1
  EXPECT_EQ(backward_error(loss), "relu: the input saved for backward was modified in place (version 0 -> 1)");
}

TEST(SavedTensor, WriteThroughAViewIsSeen) {
  Tensor x = Tensor::from_vector({-1, 2, 3, -4}, {4}).set_requires_grad();
  Tensor h = ops::scale(x, 1.0f);
  Tensor loss = ops::sum(ops::relu(h));
  Tensor view = h.detach().reshape({2, 2});  // shares h's storage, and so its version
  ops::fill_(view, 1.0f);
  ops::fill_(view, 2.0f);
  EXPECT_EQ(backward_error(loss), "relu: the input saved for backward was modified in place (version 0 -> 2)");
}

TEST(SavedTensor, MulOperandFilled) {
  Tensor a = Tensor::from_vector({1, 2}, {2}).set_requires_grad();
  Tensor b = Tensor::from_vector({3, 4}, {2});
  Tensor loss = ops::sum(ops::mul(a, b));
  ops::fill_(b, 0.0f);
  EXPECT_EQ(backward_error(loss), "mul: the b saved for backward was modified in place (version 0 -> 1)");
}

TEST(SavedTensor, LogSoftmaxOutputFilled) {
  Tensor x = Tensor::from_vector({1, 2, 3}, {1, 3}).set_requires_grad();
  Tensor y = ops::log_softmax(x);
  Tensor loss = ops::sum(y);
  ops::fill_(y, 0.0f);
  EXPECT_EQ(backward_error(loss),
            "log_softmax: the output saved for backward was modified in place (version 0 -> 1)");
}

TEST(SavedTensor, LinearInputFilled) {
  Tensor x = Tensor::from_vector({1, 2}, {1, 2});
  Tensor w = Tensor::from_vector({3, 4}, {1, 2}).set_requires_grad();
  Tensor b = Tensor::from_vector({0}, {1});
  Tensor loss = ops::sum(ops::linear(x, w, b));
  ops::fill_(x, 0.0f);
  EXPECT_EQ(backward_error(loss), "linear: the input saved for backward was modified in place (version 0 -> 1)");
}

// As in PyTorch, only what the backward reads is saved: with no gradient for the input, the
// weight is not read (dw and db need x and dy alone), so an update of it is no error.
TEST(SavedTensor, TensorsTheBackwardDoesNotReadMayChange) {
  Tensor x = Tensor::from_vector({1, 2}, {1, 2});
  Tensor w = Tensor::from_vector({3, 4}, {1, 2}).set_requires_grad();
  Tensor b = Tensor::from_vector({0}, {1}).set_requires_grad();
  Tensor loss = ops::sum(ops::linear(x, w, b));
  ops::fill_(w, 7.0f);
  EXPECT_EQ(backward_error(loss), "(no error)");
  EXPECT_TRUE(test::bitwise_equal(w.grad().to_vector(), {1.0f, 2.0f}));
}

TEST(SavedTensor, VersionCountsInPlaceWritesSharedByViews) {
  Tensor t = Tensor::zeros({2, 2});
  const Tensor view = t.reshape({4}), copy = t.clone();
  EXPECT_EQ(t.version(), 0u);
  ops::fill_(t, 1.0f);
  EXPECT_EQ(view.version(), 1u);
  EXPECT_EQ(copy.version(), 0u);
  t.bump_version();  // for a write through data<float>()
  EXPECT_EQ(t.detach().version(), 2u);

  Tensor p = Tensor::zeros({2}).set_requires_grad();
  p.set_grad(Tensor::full({2}, 1.0f));
  nn::SGD plain({{"p", p}}, 0.5f), with_momentum({{"p", p}}, 0.5f, 0.9f);
  plain.step();
  EXPECT_EQ(p.version(), 1u);
  EXPECT_EQ(plain.momentum_buffers()[0].tensor.version(), 0u);  // not written without momentum
  with_momentum.step();
  EXPECT_EQ(p.version(), 2u);
  EXPECT_EQ(with_momentum.momentum_buffers()[0].tensor.version(), 1u);
}

TEST(SavedTensor, UntouchedTensorsAndWritesAfterBackwardAreFine) {
  Tensor x = Tensor::from_vector({1, 2}, {1, 2});
  Tensor w = Tensor::from_vector({3, 4}, {1, 2}).set_requires_grad();
  Tensor b = Tensor::from_vector({0}, {1}).set_requires_grad();
  nn::SGD opt({{"w", w}, {"b", b}}, 0.5f);
  for (int step = 0; step < 2; ++step) {
    Tensor loss = ops::sum(ops::linear(x, w, b));
    EXPECT_EQ(backward_error(loss), "(no error)");
    opt.step();  // after backward: the next forward saves the new version
    w.zero_grad();
    b.zero_grad();
  }
  EXPECT_TRUE(test::bitwise_equal(w.to_vector(), {2.0f, 2.0f}));  // 3 - 2 * 0.5 * 1, 4 - 2 * 0.5 * 2
}

}  // namespace
}  // namespace lockstep

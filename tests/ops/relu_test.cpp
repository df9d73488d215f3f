// relu: the documented order with NaN, signed zeros and infinities, and error paths. The
// reference, integer, thread and gradient checks are the op harness's (tests/ops/cases/relu.cpp).
#include <gtest/gtest.h>

#include <cmath>

#include "core/ops.h"
#include "reference/data.h"
#include "tests/support/compare.h"

namespace lockstep {
namespace {

using test::bitwise_equal;

TEST(Relu, DocumentedOrder) {
  // docs/ordering.md#relu: y = x > 0 ? x : (x is NaN ? x : 0); dx = x > 0 ? dy : 0.
  auto x = test::uniform_values(31, 1000, -2.0f, 2.0f);
  x[3] = NAN, x[4] = -0.0f, x[5] = 0.0f, x[6] = INFINITY, x[7] = -INFINITY;
  const auto g = test::uniform_values(32, 1000);
  Tensor xt = Tensor::from_vector(x, {1000}).set_requires_grad();
  Tensor y = ops::relu(xt);
  ops::sum(ops::mul(y, Tensor::from_vector(g, {1000}))).backward();
  std::vector<float> want_y(x.size()), want_dx(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    want_y[i] = x[i] > 0 ? x[i] : (x[i] != x[i] ? x[i] : 0.0f);
    want_dx[i] = x[i] > 0 ? g[i] : 0.0f;
  }
  EXPECT_TRUE(bitwise_equal(y.to_vector(), want_y));
  EXPECT_TRUE(bitwise_equal(xt.grad().to_vector(), want_dx));
  EXPECT_TRUE(std::isnan(y.to_vector()[3])) << "NaN must propagate";
  EXPECT_EQ(test::float_bits(y.to_vector()[4]), 0u) << "-0 maps to +0";
}

TEST(Relu, WrongDtypeNamesOp) {
  try {
    ops::relu(Tensor::from_ints({1, 2}, {2}));
    FAIL() << "expected DTypeError";
  } catch (const DTypeError& e) {
    EXPECT_NE(std::string(e.what()).find("relu"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("int64"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace lockstep

#include <gtest/gtest.h>

#include "core/ops.h"
#include "core/tensor.h"
#include "core/transfer.h"
#include "tests/support/compare.h"

namespace lockstep {
namespace {

// Empty vectors have no buffer (data() may be null): copying zero bytes from them must not
// reach memcpy, whose pointers must be valid even for size 0 (UBSan: nonnull-attribute).
TEST(Tensor, FromEmptyVectorsMakesEmptyTensors) {
  const Tensor i = Tensor::from_ints({}, {0});
  EXPECT_EQ(i.numel(), 0);
  EXPECT_EQ(i.dtype(), DType::I64);
  const Tensor f = Tensor::from_vector({}, {2, 0});
  EXPECT_EQ(f.numel(), 0);
  EXPECT_EQ(f.dtype(), DType::F32);
}

TEST(Tensor, ShapeStridesAndViewsShareStorage) {
  Tensor t = Tensor::from_vector({1, 2, 3, 4, 5, 6}, {2, 3});
  EXPECT_EQ(t.shape(), Shape({2, 3}));
  EXPECT_EQ(t.strides(), (std::vector<i64>{3, 1}));
  Tensor v = t.reshape({3, 2});
  EXPECT_EQ(v.strides(), (std::vector<i64>{2, 1}));
  v.data<float>()[5] = 60.0f;
  EXPECT_EQ(t.to_vector()[5], 60.0f) << "reshape must be a view of the same storage";
  EXPECT_EQ(Tensor::zeros({2, 3, 4}).flatten(1).shape(), Shape({2, 12}));
}

TEST(Tensor, ReshapeToWrongCountNamesBothShapes) {
  Tensor t = Tensor::zeros({2, 3});
  try {
    t.reshape({4, 2});
    FAIL() << "expected ShapeError";
  } catch (const ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("(2,3)"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("(4,2)"), std::string::npos) << e.what();
  }
}

TEST(Tensor, DtypeMismatchIsAUserError) {
  Tensor labels = Tensor::from_ints({1, 2}, {2});
  EXPECT_THROW(labels.data<float>(), DTypeError);
  EXPECT_EQ(labels.to_int_vector(), (std::vector<i64>{1, 2}));
  EXPECT_THROW(labels.set_requires_grad(), DTypeError);
}

TEST(Tensor, CudaStorageWithoutBackendIsADeviceError) {
  if (device_unavailable_reason(Device::CUDA).empty()) GTEST_SKIP() << "a usable CUDA device is present";
  EXPECT_THROW(Tensor::empty({2}, DType::F32, Device::CUDA), DeviceError);
}

TEST(Tensor, CloneCopiesDetachShares) {
  Tensor t = Tensor::from_vector({1, 2}, {2});
  Tensor c = t.clone();
  Tensor d = t.detach();
  t.data<float>()[0] = 9;
  EXPECT_EQ(c.to_vector()[0], 1.0f);
  EXPECT_EQ(d.to_vector()[0], 9.0f);
}

}  // namespace
}  // namespace lockstep

// Recipes and the model factory: the reference recipe builds the reference network with the
// same bits as constructing it by hand; unknown names, impossible input shapes and
// out-of-range fields are one-line errors naming the field; every parameter needs an initialiser.
#include <gtest/gtest.h>

#include "nn/mnist_net.h"
#include "nn/models.h"
#include "nn/training.h"

namespace lockstep::nn {
namespace {

template <class E, class F>
void expect_error_containing(F&& f, const std::string& fragment) {
  try {
    f();
    ADD_FAILURE() << "expected an error containing '" << fragment << "'";
  } catch (const E& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
  }
}

TEST(Recipe, ReferenceIsPyTorchsMnistExample) {
  const Recipe r = reference_mnist();
  EXPECT_EQ(r.model, "mnist_net");
  EXPECT_EQ(shape_text(r.input), "1x28x28");
  EXPECT_EQ(r.norm_mean, 0.1307f);
  EXPECT_EQ(r.norm_std, 0.3081f);
  EXPECT_TRUE(r.dropout);
  EXPECT_EQ(r.conv_dropout_p, 0.5f);
  EXPECT_EQ(r.fc_dropout_p, 0.5f);
  EXPECT_EQ(r.batch_size, 32);
  EXPECT_EQ(r.test_batch_size, 64);
  EXPECT_EQ(r.lr, 0.01f);
  EXPECT_EQ(r.momentum, 0.5f);
  EXPECT_EQ(r.epochs, 4);
  EXPECT_EQ(r.seed, 1u);
  EXPECT_NO_THROW(check_recipe(r));
}

TEST(Recipe, OutOfRangeFieldsAreNamed) {
  auto broken = [](auto change) {
    Recipe r = reference_mnist();
    change(r);
    return r;
  };
  expect_error_containing<Error>([&] { check_recipe(broken([](Recipe& r) { r.batch_size = 0; })); }, "batch_size");
  expect_error_containing<Error>([&] { check_recipe(broken([](Recipe& r) { r.epochs = 0; })); }, "epochs");
  expect_error_containing<Error>([&] { check_recipe(broken([](Recipe& r) { r.lr = -1; })); }, "lr");
  expect_error_containing<Error>([&] { check_recipe(broken([](Recipe& r) { r.norm_std = 0; })); }, "norm_std");
  expect_error_containing<Error>([&] { check_recipe(broken([](Recipe& r) { r.fc_dropout_p = 1; })); }, "fc_dropout_p");
  expect_error_containing<Error>([&] { check_recipe(Recipe{}); }, "model");
}

TEST(Models, ReferenceRecipeBuildsTheReferenceNetwork) {
  Recipe r = reference_mnist();
  for (std::uint64_t seed : {1ull, 9ull}) {
    r.seed = seed;
    const std::unique_ptr<Module> net = make_model(r);
    ASSERT_NE(dynamic_cast<MnistNet*>(net.get()), nullptr);
    EXPECT_EQ(fingerprint(*net), fingerprint(MnistNet({seed})));
  }
  EXPECT_EQ(model_names(), std::vector<std::string>{"mnist_net"});
}

TEST(Models, RecipeDropoutReachesTheNetwork) {
  Recipe r = reference_mnist();
  r.conv_dropout_p = 0.25f;
  r.fc_dropout_p = 0.125f;
  const auto net = make_model(r);
  const MnistNetOptions& o = dynamic_cast<MnistNet&>(*net).options();
  EXPECT_EQ(o.dropout_p, 0.25f);
  EXPECT_EQ(o.fc_dropout_p, 0.125f);
  EXPECT_EQ(o.seed, r.seed);
  EXPECT_TRUE(o.dropout);
}

TEST(Models, UnknownNameAndWrongInputAreErrors) {
  Recipe r = reference_mnist();
  r.model = "resnet";
  expect_error_containing<Error>([&] { make_model(r); }, "unknown model 'resnet'; known: mnist_net");
  r = reference_mnist();
  r.input = {3, 32, 32};
  expect_error_containing<ShapeError>([&] { make_model(r); }, "takes input 1x28x28, got 3x32x32");
}

// A module that registers a parameter but has no initialiser cannot be reset silently.
class Uninitialisable : public Module {
 public:
  Uninitialisable() { register_parameter("w", Tensor::zeros({2})); }
  Tensor forward(const Tensor& x) override { return x; }
};

TEST(Models, ParameterWithoutInitialiserIsAnError) {
  Uninitialisable m;
  expect_error_containing<Error>([&] { m.reset_parameters(1); }, "parameter 'w' has no initialiser");
}

}  // namespace
}  // namespace lockstep::nn

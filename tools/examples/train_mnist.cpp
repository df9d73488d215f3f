// The reference recipe trained through the C++ API, the way libtorch's C++ MNIST example
// does it: data, model, optimiser, loop, evaluation, fingerprint. The recipe
// (nn::reference_mnist()) is the one `lockstep train` runs.
//   build/tools/train_mnist_example [DATA_DIR] [MAX_STEPS]
#include <cstdio>
#include <cstdlib>

#include "core/random.h"
#include "nn/idx.h"
#include "nn/models.h"
#include "nn/training.h"

using namespace lockstep;

namespace {

Tensor images_of(const nn::MnistSplit& split, const nn::Recipe& r) {
  return nn::normalize_images(split.images.data(), split.count, r.input.height, r.input.width, r.norm_mean, r.norm_std);
}

}  // namespace

int main(int argc, char** argv) try {
  const std::string dir = argc > 1 ? argv[1] : "data/mnist";
  const long max_steps = argc > 2 ? std::atol(argv[2]) : -1;
  const nn::Recipe recipe = nn::reference_mnist();
  const nn::MnistDataset ds = nn::load_mnist_dir(dir);
  const Tensor x = images_of(ds.train, recipe), y = nn::labels_tensor(ds.train.labels);
  const Tensor tx = images_of(ds.test, recipe), ty = nn::labels_tensor(ds.test.labels);

  const std::unique_ptr<nn::Module> net = nn::make_model(recipe);
  nn::SGD opt(net->parameters(), recipe.lr, recipe.momentum);
  const i64 n = ds.train.count, batch = recipe.batch_size;
  long step = 0;
  for (int epoch = 0; epoch < recipe.epochs && step != max_steps; ++epoch) {
    const std::vector<i64> order = random::data_order(recipe.seed, static_cast<std::uint64_t>(epoch), n);
    for (i64 b = 0; b < n && step != max_steps; b += batch, ++step) {
      const float loss = nn::train_step(*net, opt, nn::gather_batch(x, y, order, b, std::min(b + batch, n)), step);
      if (step % 50 == 0) std::printf("step %ld loss %.4f\n", step, loss);
    }
  }
  const nn::EvalResult ev = nn::evaluate(*net, tx, ty, recipe.test_batch_size);
  std::printf("test accuracy %lld/%lld, fingerprint: %s\n", static_cast<long long>(ev.correct),
              static_cast<long long>(ev.total), nn::fingerprint(*net).c_str());
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "error: %s\n", e.what());
  return 1;
}

// The reference network trained through the C++ API, the way libtorch's C++ MNIST example
// does it: data, model, optimiser, loop, evaluation, fingerprint.
//   build/tools/train_mnist_example [DATA_DIR] [MAX_STEPS]
#include <cstdio>
#include <cstdlib>

#include "core/ops.h"
#include "core/random.h"
#include "nn/idx.h"
#include "nn/mnist_net.h"
#include "nn/training.h"

using namespace lockstep;

int main(int argc, char** argv) try {
  const std::string dir = argc > 1 ? argv[1] : "data/mnist";
  const long max_steps = argc > 2 ? std::atol(argv[2]) : -1;
  const nn::MnistDataset ds = nn::load_mnist_dir(dir);
  const Tensor x = nn::normalize_images(ds.train.images.data(), ds.train.count, 28, 28, 0.1307f, 0.3081f);
  const Tensor y = nn::labels_tensor(ds.train.labels);
  const Tensor tx = nn::normalize_images(ds.test.images.data(), ds.test.count, 28, 28, 0.1307f, 0.3081f);
  const Tensor ty = nn::labels_tensor(ds.test.labels);

  nn::MnistNet net({/*seed=*/1});
  nn::SGD opt(net.parameters(), /*lr=*/0.01f, /*momentum=*/0.5f);
  long step = 0;
  for (int epoch = 0; epoch < 1 && step != max_steps; ++epoch) {
    const std::vector<i64> order = random::data_order(1, static_cast<std::uint64_t>(epoch), ds.train.count);
    for (i64 b = 0; b < ds.train.count && step != max_steps; b += 32, ++step) {
      const nn::Batch batch = nn::gather_batch(x, y, order, b, std::min<i64>(b + 32, ds.train.count));
      const float loss = nn::train_step(net, opt, batch, step);
      if (step % 50 == 0) std::printf("step %ld loss %.4f\n", step, loss);
    }
  }
  const nn::EvalResult ev = nn::evaluate(net, tx, ty, 64);
  std::printf("test accuracy %lld/%lld, fingerprint: %s\n", static_cast<long long>(ev.correct),
              static_cast<long long>(ev.total), nn::fingerprint(net).c_str());
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "error: %s\n", e.what());
  return 1;
}

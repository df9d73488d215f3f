// The fixed workload of the cross-ISA test (tests/isa/cross_isa.sh): in deterministic mode,
// 20 training steps of the reference CNN with dropout on synthetic data, then one padded,
// strided conv2d and a linear layer at odd shapes (forward and backward), so that edge tiles,
// zero taps and the row-form paths are covered too. Prints one digest per part; the test
// compares them between builds for different -march levels.
#include <cstdio>
#include <string>

#include "core/mode.h"
#include "core/ops.h"
#include "cpu/parallel.h"
#include "nn/mnist_net.h"
#include "nn/training.h"
#include "reference/data.h"
#include "reference/synthetic_mnist.h"

using namespace lockstep;

namespace {


std::string odd_ops_digest() {
  Tensor x = test::uniform_tensor(1, {5, 3, 13, 11}).set_requires_grad();
  Tensor w = test::uniform_tensor(2, {7, 3, 3, 4}).set_requires_grad();
  Tensor b = test::uniform_tensor(3, {7}).set_requires_grad();
  Tensor y = ops::conv2d(x, w, b, {2, 1});
  Tensor flat = ops::reshape(y, {5, y.numel() / 5});
  Tensor lw = test::uniform_tensor(4, {37, flat.size(1)}, -0.1f, 0.1f).set_requires_grad();
  Tensor lb = test::uniform_tensor(5, {37}).set_requires_grad();
  Tensor z = ops::linear(flat, lw, lb);
  ops::sum(ops::mul(z, test::uniform_tensor(6, z.shape()))).backward();
  return nn::fingerprint({{"y", y.detach()}, {"z", z.detach()}, {"dx", x.grad()}, {"dw", w.grad()}, {"db", b.grad()},
                          {"dlw", lw.grad()}, {"dlb", lb.grad()}});
}

}  // namespace

int main() {
  set_default_mode(Mode::Deterministic);
  set_num_threads(2);
  nn::MnistNet net({/*seed=*/7, /*dropout=*/true, 0.5f});
  nn::SGD opt(net.parameters(), 0.01f, 0.5f);
  float loss = 0;
  for (int s = 0; s < 20; ++s) loss = nn::train_step(net, opt, test::synthetic_mnist_batch(static_cast<std::uint64_t>(s), 32), s);
  std::printf("train20 %s\n", nn::fingerprint(net).c_str());
  std::printf("last_loss %a\n", static_cast<double>(loss));
  std::printf("odd_ops %s\n", odd_ops_digest().c_str());
  return 0;
}

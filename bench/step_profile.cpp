// The training step, op by op: how much of a step each kernel (forward and backward passes
// are separate kernels) takes, and what is left for everything else (autograd bookkeeping,
// allocation, batch assembly, the small ops' front ends). It trains the reference recipe's
// model on synthetic batches, so it needs no data; the table is a share of the wall time of
// the profiled steps.
//
//   build/bench/step_profile [--batch 32] [--threads 2] [--steps 200] [--mode deterministic|fast]
//                            [--device cpu|cuda]
//
// Kernel times come from core/kernel_profile.h, each kernel timed to its end. On CUDA that
// means waiting for the stream around every kernel: the profiled step is a synchronised one
// (no launch overlaps a running kernel), slower than a plain step, and the shares are shares
// of it. Without a usable GPU, --device cuda prints the reason on one line and exits 3.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "core/kernel_profile.h"
#include "core/mode.h"
#include "core/transfer.h"
#include "cpu/parallel.h"
#include "cuda/device_facts.h"
#include "nn/models.h"
#include "nn/recipe.h"
#include "nn/sgd.h"
#include "nn/training.h"
#include "reference/synthetic_mnist.h"

namespace lockstep {
namespace {

struct Options {
  i64 batch = 32;
  int threads = 2, steps = 200;
  Mode mode = Mode::Deterministic;
  Device device = Device::CPU;
};

[[noreturn]] void usage_error(const std::string& why) {
  std::fprintf(stderr, "step_profile: %s (flags: --batch N, --threads N, --steps N, --mode deterministic|fast, --device cpu|cuda)\n",
               why.c_str());
  std::exit(2);
}

long long whole_number(const std::string& flag, const std::string& value) {
  char* end = nullptr;
  const long long v = std::strtoll(value.c_str(), &end, 10);
  if (value.empty() || *end != '\0' || v < 1 || v > 1000000) usage_error(flag + " expects a whole number in [1, 1000000], got '" + value + "'");
  return v;
}

Options parse(int argc, char** argv) {
  Options o;
  if (argc % 2 == 0) usage_error(std::string("flag ") + argv[argc - 1] + " has no value");
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--batch") o.batch = whole_number(flag, value);
    else if (flag == "--threads") o.threads = static_cast<int>(whole_number(flag, value));
    else if (flag == "--steps") o.steps = static_cast<int>(whole_number(flag, value));
    else if (flag == "--mode" && (value == "fast" || value == "deterministic"))
      o.mode = value == "fast" ? Mode::Fast : Mode::Deterministic;
    else if (flag == "--device" && (value == "cpu" || value == "cuda"))
      o.device = value == "cuda" ? Device::CUDA : Device::CPU;
    else
      usage_error("unknown flag or value: " + flag + " " + value);
  }
  return o;
}

// Seconds for `steps` training steps, with the kernel totals collected meanwhile.
double profile_steps(const Options& o) {
  nn::Recipe recipe = nn::reference_mnist();
  recipe.batch_size = o.batch;
  auto model = nn::make_model(recipe);
  nn::move_to_device(model->parameters(), o.device);
  nn::SGD opt(model->parameters(), recipe.lr, recipe.momentum);
  std::vector<nn::Batch> batches;
  for (int s = 0; s < 4; ++s) {
    const nn::Batch b = test::synthetic_mnist_batch(std::uint64_t(s), o.batch);
    batches.push_back({b.x.to(o.device), b.y.to(o.device)});
  }
  for (int s = 0; s < 5; ++s) nn::train_step(*model, opt, batches[s % 4], s);  // warm the caches and the pool
  kernel_profile::reset();
  kernel_profile::set_enabled(true);
  const auto t0 = std::chrono::steady_clock::now();
  for (int s = 0; s < o.steps; ++s) nn::train_step(*model, opt, batches[s % 4], 5 + s);
  kernel_profile::finish_device_work();  // nothing queued past the clock (a step reads its loss: returns at once)
  const double total = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  kernel_profile::set_enabled(false);
  return total;
}

void print_table(const Options& o, double total) {
  const auto& t = kernel_profile::totals();
  std::vector<size_t> order;
  for (size_t k = 0; k < t.calls.size(); ++k)
    if (t.calls[k] > 0) order.push_back(k);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return t.seconds[a] > t.seconds[b]; });
  std::printf("step_profile: %s, batch %lld, %d thread(s), %s mode, %d steps: %.1f us/step, %.0f samples/s%s\n",
              std::string(device_name(o.device)).c_str(), static_cast<long long>(o.batch), o.threads,
              std::string(mode_name(o.mode)).c_str(), o.steps, 1e6 * total / o.steps, double(o.batch) * o.steps / total,
              o.device == Device::CPU ? "" : " (synchronised after every kernel)");
  if (o.device == Device::CUDA) std::printf("GPU: %s\n", cuda::describe(cuda::device_facts()).c_str());
  std::printf("%-20s %10s %10s %8s\n", "kernel", "us/step", "calls/step", "share");
  double kernels = 0, conv_linear = 0;
  for (size_t k : order) {
    const std::string_view name = kOpNames[k];
    kernels += t.seconds[k];
    if (name.starts_with("conv2d") || name.starts_with("linear")) conv_linear += t.seconds[k];
    std::printf("%-20s %10.1f %10.2f %7.1f%%\n", std::string(name).c_str(), 1e6 * t.seconds[k] / o.steps,
                double(t.calls[k]) / o.steps, 100 * t.seconds[k] / total);
  }
  std::printf("%-20s %10.1f %10s %7.1f%%\n", "(outside kernels)", 1e6 * (total - kernels) / o.steps, "",
              100 * (total - kernels) / total);
  std::printf("conv2d + linear kernels: %.1f%% of the step\n", 100 * conv_linear / total);
}

}  // namespace
}  // namespace lockstep

int main(int argc, char** argv) {
  using namespace lockstep;
  const Options o = parse(argc, argv);
  if (const std::string why = device_unavailable_reason(o.device); !why.empty()) {
    std::fprintf(stderr, "step_profile: --device %s: %s\n", std::string(device_name(o.device)).c_str(), why.c_str());
    return 3;
  }
  set_num_threads(o.threads);
  ModeGuard mode(o.mode);
  try {
    const double total = profile_steps(o);
    print_table(o, total);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "step_profile: %s\n", e.what());
    return 1;
  }
  return 0;
}

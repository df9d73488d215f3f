// Writes a tiny but real checkpoint with nn::save_checkpoint, a seed of corpus/checkpoint:
// `fuzz_make_seed_checkpoint tests/fuzz/corpus/checkpoint/tiny.safetensors`.
#include <cstdio>

#include "core/tensor.h"
#include "nn/checkpoint.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: fuzz_make_seed_checkpoint <out.safetensors>\n");
    return 2;
  }
  using lockstep::Tensor;
  lockstep::nn::Checkpoint c;
  c.model = lockstep::nn::kUnnamedCheckpointModel;
  c.tensors.push_back({"fc.weight", Tensor::from_vector({0.5f, -1.0f, 2.0f, 0.25f, 3.0f, -0.125f}, {2, 3})});
  c.tensors.push_back({"fc.bias", Tensor::from_vector({1.0f, -2.0f}, {2})});
  c.tensors.push_back({"momentum.fc.bias", Tensor::from_vector({0.0f, 0.0f}, {2})});
  c.metadata = {{"format", "lockstep-train-v1"}, {"epoch", "0"}, {"step", "3"}, {"seed", "1"}};
  lockstep::nn::save_checkpoint(argv[1], c);
  return 0;
}

// Fuzzes the safetensors checkpoint loader (nn/checkpoint.h) as `lockstep train --resume`
// reaches it: load_checkpoint(path, model) and then every tensor's bytes are read.
// A lockstep::Error is the expected answer to a malformed file; anything else is a bug.
#include <string>

#include "core/error.h"
#include "nn/checkpoint.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string& path = lockstep::fuzz::write_input("checkpoint.safetensors", data, size);
  try {
    const lockstep::nn::Checkpoint c = lockstep::nn::load_checkpoint(path, lockstep::nn::kUnnamedCheckpointModel);
    float sum = 0;
    for (const auto& nt : c.tensors) {
      const lockstep::Tensor& t = c.get(nt.name);
      const float* p = t.data<float>();
      for (lockstep::i64 i = 0; i < t.numel(); ++i) sum += p[i];  // ASan checks every byte is owned
    }
    volatile float sink = sum;
    (void)sink;
  } catch (const lockstep::Error&) {
  }
  return 0;
}

// Checkpoints as safetensors files (https://github.com/huggingface/safetensors format:
// 8-byte little-endian header length, a JSON header, then the raw tensor bytes), holding
// named float32 tensors and string metadata (the training position, the recipe).
// Writes are atomic: a temporary file in the same directory, fsync, rename, fsync of the
// directory, so a crash leaves either the old file or the new one, never half of one.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "nn/module.h"

namespace lockstep::nn {

struct Checkpoint {
  std::vector<NamedTensor> tensors;  // float32, CPU, in file order
  std::map<std::string, std::string> metadata;

  const Tensor& get(const std::string& name) const;  // IoError naming the missing tensor
};

void save_checkpoint(const std::string& path, const Checkpoint& ckpt);

// Validates the header length, the JSON, every dtype, shape and byte range (in bounds,
// contiguous, non-overlapping, covering the data section exactly); errors name the file
// and the byte offset.
Checkpoint load_checkpoint(const std::string& path);

// Writes `bytes` to `path` atomically (temporary file, fsync, rename, fsync of the directory).
void write_file_atomically(const std::string& path, const std::string& bytes);

}  // namespace lockstep::nn

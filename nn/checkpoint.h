// Checkpoints as safetensors files (https://github.com/huggingface/safetensors format:
// 8-byte little-endian header length, a JSON header, then the raw tensor bytes), holding
// named float32 tensors and string metadata (the training position, the recipe), and the
// name of the model the tensors belong to (metadata key "model"). Writes are atomic: a temporary file in the same directory, fsync, rename, fsync of the
// directory, so a crash leaves either the old file or the new one, never half of one.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "nn/module.h"

namespace lockstep::nn {

struct Checkpoint {
  std::vector<NamedTensor> tensors;  // float32, CPU, in file order
  std::map<std::string, std::string> metadata;  // every key but "model"
  std::string model;  // the model name (nn/models.h) under metadata key "model"; "": none

  const Tensor& get(const std::string& name) const;  // IoError naming the missing tensor
};

inline constexpr const char* kModelMetadataKey = "model";
// Checkpoints written before checkpoints named their model carry no "model" key. Only one
// model existed then, so load_checkpoint(path, expected) reads such a file as this model:
// old checkpoints of the reference network still resume, and are refused for any other.
inline constexpr const char* kUnnamedCheckpointModel = "mnist_net";

// Writes ckpt.model under "model" when it is not empty (Error when metadata holds "model"),
// and digests that let a load detect any change (metadata "digest" and "digest.*", reserved;
// docs/fingerprint.md#checkpoint-digests).
void save_checkpoint(const std::string& path, const Checkpoint& ckpt);

// Validates the header length, the JSON, every dtype, shape and byte range (in bounds,
// contiguous, non-overlapping, covering the data section exactly) and, when the file has
// them, the digests: a tensor or metadata value that differs from what was written is an
// IoError naming the file and that tensor or key. Errors name the file and the byte, tensor
// or key. The model name is returned as found ("" when the key is absent); the digests are
// not returned in metadata. Files written before digests existed load without that check.
Checkpoint load_checkpoint(const std::string& path);

// As above, and the file must hold `expected_model` (kUnnamedCheckpointModel when it names
// none): otherwise IoError "<path>: checkpoint holds model 'a', expected 'b'".
Checkpoint load_checkpoint(const std::string& path, const std::string& expected_model);

// Writes `bytes` to `path` atomically (temporary file ".<name>.tmp.<pid>" in the same
// directory, fsync, rename, fsync of the directory).
void write_file_atomically(const std::string& path, const std::string& bytes);

// Deletes the temporaries write_file_atomically leaves in `dir` when its process dies
// mid-write (kill -9, power loss): ".<name>.tmp.<pid>" of a pid no longer running.
// Returns the paths removed; a missing directory removes nothing.
std::vector<std::string> remove_stale_temporaries(const std::string& dir);

}  // namespace lockstep::nn

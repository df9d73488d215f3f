// The run manifest (manifest.json): the recipe, the data's hashes, the build, the device (on
// CUDA, the GPU's model, driver and library versions), the thread count, every recorded step
// fingerprint and a record per epoch; what `lockstep verify` re-runs and compares. Rewritten atomically after every epoch and at the end of the run.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "core/shape.h"

namespace lockstep::cli {

struct EpochRecord;

class RunManifest {
 public:
  // path "": nothing is written. recipe: options_to_json(); data: the data set's files and hashes.
  RunManifest(std::string path, const std::string& command_line, nlohmann::json recipe, const std::string& resumed_from,
              nlohmann::json data, i64 fingerprint_every);

  void record_step(i64 step, const std::string& fingerprint);
  void record_epoch(const EpochRecord& rec, bool complete, i64 steps, double accuracy);
  void record_final(i64 steps, const std::string& fingerprint);
  // The device: {"device": "cpu"} or {"device": "cuda", "gpu": {...}} (tools/lockstep/device_record.h).
  void record_device(const nlohmann::json& device);
  // The processes that trained: {"world": {"size": N, "mpi": ..., "ranks": [{rank, host, device, threads}]}}.
  void record_world(int size, nlohmann::json ranks, const std::string& library);
  // Why the run ended ("complete", "max_steps", "interrupted", "non-finite"), after how many
  // steps, in words: {"stopped": {"reason": ..., "step": ..., "message": ...}}.
  void record_stop(const std::string& reason, i64 step, const std::string& message);
  void write() const;
  // Whether write() writes a file (not for a path of "").
  bool writes() const { return !path_.empty(); }

 private:
  std::string path_;
  nlohmann::json json_;
};

}  // namespace lockstep::cli

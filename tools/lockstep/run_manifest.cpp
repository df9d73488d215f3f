#include "tools/lockstep/run_manifest.h"

#include "cpu/parallel.h"
#include "nn/checkpoint.h"
#include "tools/lockstep/build_facts.h"
#include "tools/lockstep/train_run.h"

namespace lockstep::cli {

RunManifest::RunManifest(std::string path, const std::string& command_line, nlohmann::json recipe,
                         const std::string& resumed_from, nlohmann::json data, i64 fingerprint_every)
    : path_(std::move(path)),
      json_({{"lockstep_manifest", 1},
             {"command_line", command_line},
             {"recipe", std::move(recipe)},
             {"threads", num_threads()},
             {"resumed_from", resumed_from},
             {"data", std::move(data)},
             {"build", build_facts()},
             {"epochs", nlohmann::json::array()},
             {"step_fingerprints", nlohmann::json::object()},
             {"fingerprint_every", fingerprint_every}}) {}

void RunManifest::record_step(i64 step, const std::string& fingerprint) {
  json_["step_fingerprints"][std::to_string(step)] = fingerprint;
}

void RunManifest::record_epoch(const EpochRecord& rec, bool complete, i64 steps, double accuracy) {
  json_["epochs"].push_back({{"epoch", rec.epoch},
                             {"complete", complete},
                             {"steps", steps},
                             {"train_loss", rec.train_loss},
                             {"test_loss", rec.test_loss},
                             {"correct", rec.correct},
                             {"total", rec.total},
                             {"accuracy", accuracy},
                             {"seconds", rec.seconds},
                             {"samples_per_second", rec.samples_per_second},
                             {"fingerprint", rec.fingerprint}});
}

void RunManifest::record_final(i64 steps, const std::string& fingerprint) {
  json_["final"] = {{"steps", steps}, {"fingerprint", fingerprint}};
}

void RunManifest::record_device(const nlohmann::json& device) {
  for (auto it = device.begin(); it != device.end(); ++it) json_[it.key()] = it.value();
}

void RunManifest::record_world(int size, nlohmann::json ranks, const std::string& library) {
  json_["world"] = {{"size", size}, {"library", library}, {"ranks", std::move(ranks)}};
}

void RunManifest::record_stop(const std::string& reason, i64 step, const std::string& message) {
  json_["stopped"] = {{"reason", reason}, {"step", step}, {"message", message}};
}

void RunManifest::write() const {
  if (!path_.empty()) nn::write_file_atomically(path_, json_.dump(2) + "\n");
}

}  // namespace lockstep::cli

#include "tools/lockstep/verify.h"

#include <filesystem>
#include <fstream>
#include <map>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "nn/idx.h"
#include "nn/sha256.h"
#include "tools/lockstep/train_run.h"

namespace lockstep::cli {

int run_verify(const VerifyOptions& v) {
  std::ifstream in(v.manifest);
  LS_CHECK(in.good(), IoError, v.manifest, ": cannot open");
  nlohmann::json m;
  try {
    m = nlohmann::json::parse(in);
  } catch (const nlohmann::json::parse_error& e) {
    throw IoError(v.manifest + ": byte " + std::to_string(e.byte) + ": not valid JSON: " + e.what());
  }
  LS_CHECK(m.contains("recipe") && m.contains("step_fingerprints"), IoError, v.manifest,
           ": not a lockstep run manifest (no recipe or step_fingerprints)");
  TrainOptions o = options_from_json(m.at("recipe"), v.manifest + ": recipe");
  if (!v.data.empty()) o.data = v.data;
  o.threads = v.threads;
  o.quiet = true;
  o.checkpoint_dir.clear();
  o.manifest.clear();
  o.resume.clear();
  o.fingerprint_every = m.value("fingerprint_every", 1);

  std::map<i64, std::string> recorded;
  for (auto it = m["step_fingerprints"].begin(); it != m["step_fingerprints"].end(); ++it)
    recorded[std::stoll(it.key())] = it.value().get<std::string>();
  LS_CHECK(!recorded.empty(), Error, "verify: ", v.manifest, " records no step fingerprints");
  const i64 last_recorded = recorded.rbegin()->first;
  const i64 target = v.steps > 0 ? std::min<i64>(v.steps, last_recorded) : last_recorded;
  o.max_steps = target;

  // The data must be the same bytes as recorded.
  const nn::MnistDataset ds = nn::load_mnist_dir(o.data);
  const auto& want = m["data"]["sha256"];
  for (const std::string& p : {ds.train.images_path, ds.train.labels_path, ds.test.images_path, ds.test.labels_path}) {
    const std::string have = nn::sha256_file(p);
    bool found = false;
    for (auto it = want.begin(); it != want.end(); ++it)
      if (std::filesystem::path(it.key()).filename() == std::filesystem::path(p).filename()) {
        found = true;
        LS_CHECK(it.value() == have, Error, "verify: ", p, " has sha256 ", have, ", the recorded run used ",
                 it.value().get<std::string>());
      }
    LS_CHECK(found, Error, "verify: the manifest records no data file named like ", p);
  }

  const i64 steps_per_epoch = (ds.train.count + o.recipe.batch_size - 1) / o.recipe.batch_size;
  i64 compared = 0, first_bad = -1, last_good = 0;
  std::string got_bad;
  const auto observer = [&](i64 step, const std::string& fp) {
    auto it = recorded.find(step);
    if (it == recorded.end()) return true;
    ++compared;
    if (it->second != fp) {
      first_bad = step;
      got_bad = fp;
      return false;
    }
    last_good = step;
    return step < target;
  };
  fmt::print("verify: re-running {} step(s) of {} ({} mode)\n", target, v.manifest, mode_name(o.mode));
  run_training(o, nullptr, observer);
  if (first_bad >= 0) {
    const i64 epoch = (first_bad - 1) / steps_per_epoch + 1, batch = (first_bad - 1) % steps_per_epoch + 1;
    fmt::print("verify: MISMATCH first at step {} (epoch {}, batch {}): recorded {}, got {}\n", first_bad, epoch, batch,
               recorded[first_bad], got_bad);
    fmt::print("verify: last matching step {}\n", last_good);
    return 1;
  }
  LS_CHECK(compared > 0, Error, "verify: no recorded fingerprint fell within the re-run steps");
  fmt::print("verify: OK, {} fingerprint(s) match up to step {}: {}\n", compared, last_good, recorded[last_good]);
  return 0;
}

}  // namespace lockstep::cli

#include "tools/lockstep/verify.h"

#include <charconv>
#include <filesystem>
#include <limits>
#include <map>
#include <utility>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "nn/communicator.h"
#include "nn/idx.h"
#include "nn/recipe.h"
#include "nn/sha256.h"
#include "tools/lockstep/train_run.h"
#include "tools/lockstep/user_input.h"

namespace lockstep::cli {

namespace {

using nlohmann::json;

// step_fingerprints: {"<step>": "sha256:..."}, steps integers >= 1.
std::map<i64, std::string> recorded_fingerprints(const json& m, const std::string& path) {
  const json& steps = field_value(m, "step_fingerprints", path);
  LS_CHECK(steps.is_object(), IoError, path, ": step_fingerprints: expected an object, got ", steps.dump());
  std::map<i64, std::string> recorded;
  for (auto it = steps.begin(); it != steps.end(); ++it) {
    const std::string& key = it.key();
    i64 step = 0;
    const auto [end, ec] = std::from_chars(key.data(), key.data() + key.size(), step);
    LS_CHECK(ec == std::errc() && end == key.data() + key.size() && step >= 1, IoError, path,
             ": step_fingerprints: key '", key, "': expected a step number (an integer >= 1)");
    LS_CHECK(it.value().is_string(), IoError, path, ": step_fingerprints: key '", key,
             "': expected a fingerprint string, got ", it.value().dump());
    recorded[step] = it.value().get<std::string>();
  }
  LS_CHECK(!recorded.empty(), IoError, path, ": step_fingerprints: records no step fingerprints");
  return recorded;
}

// data.sha256: {"<file path>": "<hex>"}; the data set's four files must have those bytes.
void check_data_hashes(const json& m, const std::string& path, const nn::MnistDataset& ds) {
  const json& data = field_value(m, "data", path);
  const json& want = field_value(data, "sha256", path + ": data");
  LS_CHECK(want.is_object(), IoError, path, ": data: field 'sha256': expected an object, got ", want.dump());
  for (auto it = want.begin(); it != want.end(); ++it)
    LS_CHECK(it.value().is_string(), IoError, path, ": data.sha256: key '", it.key(), "': expected a string, got ",
             it.value().dump());
  for (const std::string& p : {ds.train.images_path, ds.train.labels_path, ds.test.images_path, ds.test.labels_path}) {
    const std::string have = nn::sha256_file(p);
    bool found = false;
    for (auto it = want.begin(); it != want.end(); ++it)
      if (std::filesystem::path(it.key()).filename() == std::filesystem::path(p).filename()) {
        found = true;
        LS_CHECK(it.value() == have, Error, "verify: ", p, " has sha256 ", have, ", the recorded run used ",
                 it.value().get<std::string>());
      }
    LS_CHECK(found, Error, "verify: ", path, " records no data file named like ", p);
  }
}

}  // namespace

// Only rank 0 prints when several processes replay the run.
template <class... Args>
void print_lead(fmt::format_string<Args...> format, Args&&... args) {
  if (nn::world().rank() == 0) fmt::print(format, std::forward<Args>(args)...);
}

int run_verify(const VerifyOptions& v) {
  check_input_file(v.manifest, "a manifest.json written by lockstep train");
  const json m = read_json_file(v.manifest);
  LS_CHECK(m.is_object() && m.contains("recipe") && m.contains("step_fingerprints"), IoError, v.manifest,
           ": not a lockstep run manifest (no recipe or step_fingerprints)");
  TrainOptions o = options_from_json(m.at("recipe"), v.manifest + ": recipe");
  if (!v.data.empty()) o.data = v.data;
  o.threads = v.threads;
  o.quiet = true;
  o.checkpoint_dir.clear();
  o.manifest.clear();
  o.resume.clear();
  o.fingerprint_every = m.contains("fingerprint_every")
                            ? int_field(m, "fingerprint_every", v.manifest, 1, std::numeric_limits<i64>::max())
                            : 1;

  const std::map<i64, std::string> recorded = recorded_fingerprints(m, v.manifest);
  const i64 last_recorded = recorded.rbegin()->first;
  const i64 target = v.steps > 0 ? std::min<i64>(v.steps, last_recorded) : last_recorded;
  o.max_steps = target;

  // The data must be the same bytes as recorded.
  const nn::MnistDataset ds = nn::load_mnist_dir(o.data);
  check_data_hashes(m, v.manifest, ds);

  const i64 steps_per_epoch = nn::batches_per_epoch(ds.train.count, o.recipe.batch_size);
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
  print_lead("verify: re-running {} step(s) of {} ({} mode)\n", target, v.manifest, mode_name(o.mode));
  run_training(o, nullptr, observer);
  if (first_bad >= 0) {
    const i64 epoch = (first_bad - 1) / steps_per_epoch + 1, batch = (first_bad - 1) % steps_per_epoch + 1;
    print_lead("verify: MISMATCH first at step {} (epoch {}, batch {}): recorded {}, got {}\n", first_bad, epoch, batch,
               recorded.at(first_bad), got_bad);
    print_lead("verify: last matching step {}\n", last_good);
    return 1;
  }
  LS_CHECK(compared > 0, Error, "verify: no recorded fingerprint fell within the re-run steps");
  print_lead("verify: OK, {} fingerprint(s) match up to step {}: {}\n", compared, last_good, recorded.at(last_good));
  return 0;
}

}  // namespace lockstep::cli

// The training driver behind `lockstep train` and `verify`, in process, on a tiny IDX data
// set: recipes read back from manifests and checkpoints reject garbage numbers, and a run
// leaves the process mode and thread count as it found them on every exit path.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "core/mode.h"
#include "core/registry.h"
#include "cpu/parallel.h"
#include "nn/checkpoint.h"
#include "tests/cli/tiny_mnist.h"
#include "tools/lockstep/device_record.h"
#include "tools/lockstep/recipe_io.h"
#include "tools/lockstep/train_run.h"
#include "tools/lockstep/verify.h"

namespace lockstep::cli {
namespace {

namespace fs = std::filesystem;

// Expects `f` to throw a lockstep::Error whose message contains every fragment.
template <class F>
void expect_error_naming(F&& f, std::initializer_list<std::string> fragments) {
  try {
    f();
    ADD_FAILURE() << "expected an error naming " << *fragments.begin();
  } catch (const Error& e) {
    for (const std::string& s : fragments) EXPECT_NE(std::string(e.what()).find(s), std::string::npos) << e.what();
  }
}

// Expects `f` to throw an IoError (the class `lockstep` exits 2 for) naming every fragment;
// any other exception fails the test.
template <class F>
void expect_io_error_naming(F&& f, std::initializer_list<std::string> fragments) {
  try {
    f();
    ADD_FAILURE() << "expected an IoError naming " << *fragments.begin();
  } catch (const IoError& e) {
    for (const std::string& s : fragments) EXPECT_NE(std::string(e.what()).find(s), std::string::npos) << e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "expected an IoError naming " << *fragments.begin() << ", got: " << e.what();
  }
}

std::string read_bytes(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}
void write_bytes(const std::string& p, const std::string& bytes) { std::ofstream(p, std::ios::binary) << bytes; }

// The header of a safetensors file's bytes, and the file offset of tensor `name`'s first data byte.
nlohmann::json header_of(const std::string& bytes, std::uint64_t* header_len = nullptr) {
  std::uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(bytes[static_cast<size_t>(i)]);
  if (header_len) *header_len = n;
  return nlohmann::json::parse(bytes.substr(8, n));
}
size_t data_byte_of(const std::string& bytes, const std::string& name) {
  std::uint64_t n = 0;
  const nlohmann::json h = header_of(bytes, &n);
  return 8 + n + h.at(name).at("data_offsets")[0].get<size_t>();
}

// A checkpoint as written before checkpoints carried digests: the tensors and metadata only.
void write_undigested(const std::string& path, const nn::Checkpoint& c) {
  nlohmann::json h = nlohmann::json::object(), meta(c.metadata);
  meta["model"] = c.model;
  h["__metadata__"] = meta;
  std::string data;
  for (const auto& t : c.tensors) {
    const size_t b = data.size(), n = static_cast<size_t>(t.tensor.numel()) * 4;
    data.append(reinterpret_cast<const char*>(t.tensor.data<float>()), n);
    h[t.name] = {{"dtype", "F32"}, {"shape", t.tensor.shape().dims()}, {"data_offsets", {b, b + n}}};
  }
  const std::string text = h.dump();
  std::string out;
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((text.size() >> (8 * i)) & 0xff));
  write_bytes(path, out + text + data);
}

bool all_finite(const nn::Checkpoint& c) {
  for (const auto& t : c.tensors)
    for (float v : t.tensor.to_vector())
      if (!std::isfinite(v)) return false;
  return true;
}

TEST(TrainRunRecipe, HexFloatReadsWhatItWroteAndNothingElse) {
  for (double v : {0.5, -3.0, 0.01f + 0.0, 1e-300, 0.0})
    EXPECT_EQ(parse_hex_float(hex_float(v), "x"), v) << hex_float(v);
  EXPECT_EQ(parse_hex_float("0.25", "x"), 0.25);  // decimal is read as strtod reads it
  for (const char* bad : {"", " 0x1p-1", "0x1p-1 ", "0x1p-1,", "abc", "--1"})
    expect_error_naming([&] { parse_hex_float(bad, "manifest.json: field 'lr'"); },
                        {"manifest.json: field 'lr'", std::string("got '") + bad + "'"});
}

TEST(TrainRunRecipe, ManifestRecipeRoundTripsBitForBit) {
  TrainOptions o;
  o.recipe.lr = 0.0123f;
  o.recipe.momentum = 0.77f;
  o.recipe.norm_std = 0.3f;
  o.recipe.fc_dropout_p = 0.3f;
  const TrainOptions r = options_from_json(options_to_json(o));
  EXPECT_EQ(r.recipe.lr, o.recipe.lr);
  EXPECT_EQ(r.recipe.momentum, o.recipe.momentum);
  EXPECT_EQ(r.recipe.norm_mean, o.recipe.norm_mean);
  EXPECT_EQ(r.recipe.norm_std, o.recipe.norm_std);
  EXPECT_EQ(r.recipe.conv_dropout_p, o.recipe.conv_dropout_p);
  EXPECT_EQ(r.recipe.fc_dropout_p, o.recipe.fc_dropout_p);
  EXPECT_EQ(r.recipe.model, "mnist_net");
  EXPECT_EQ(r.recipe.input, o.recipe.input);
}

TEST(TrainRunRecipe, GarbageHexFloatIsAnErrorNamingFieldAndText) {
  for (const char* field : {"lr", "momentum", "norm_mean", "norm_std", "conv_dropout_p", "fc_dropout_p"})
    for (const char* bad : {"0x1.47aeZZ", "zero", "", "0x1p-7 ", "1e-2x"}) {
      nlohmann::json j = options_to_json(TrainOptions{});
      j[field] = bad;
      std::string quoted = "'";
      quoted.append(bad).append("'");
      expect_error_naming([&] { options_from_json(j); }, {field, quoted});
    }
}

// Manifests written before the recipe recorded its model, input and dropout p's.
TEST(TrainRunRecipe, ManifestWithoutTheLaterFieldsReadsAsTheReferenceRecipe) {
  nlohmann::json j = options_to_json(TrainOptions{});
  for (const char* later : {"model", "input", "conv_dropout_p", "fc_dropout_p"}) j.erase(later);
  const nn::Recipe r = options_from_json(j).recipe, ref = nn::reference_mnist();
  EXPECT_EQ(r.model, ref.model);
  EXPECT_EQ(r.input, ref.input);
  EXPECT_EQ(r.conv_dropout_p, ref.conv_dropout_p);
  EXPECT_EQ(r.fc_dropout_p, ref.fc_dropout_p);
}

TEST(TrainRunRecipe, MissingOrMistypedFieldIsAnErrorNamingIt) {
  nlohmann::json j = options_to_json(TrainOptions{});
  j.erase("batch_size");
  expect_error_naming([&] { options_from_json(j, "m.json: recipe"); }, {"m.json: recipe", "batch_size"});
  j = options_to_json(TrainOptions{});
  j["seed"] = "one";
  expect_error_naming([&] { options_from_json(j, "m.json: recipe"); }, {"m.json: recipe", "seed"});
}

// Counts from a manifest are integers in range before any arithmetic: a float, a value
// past int or a negative seed is an error naming the field, not a wrapped value.
TEST(TrainRunRecipe, OutOfRangeCountsInAManifestAreErrorsNamingTheField) {
  const nlohmann::json good = options_to_json(TrainOptions{});
  const std::vector<std::pair<const char*, nlohmann::json>> cases = {
      {"epochs", 9e14},          {"epochs", 1e300},   {"epochs", 2147483648LL},
      {"epochs", 0},             {"epochs", 2.5},     {"batch_size", 9223372036854775807LL},
      {"batch_size", -1},        {"seed", -1},        {"seed", 1.5},
      {"test_batch_size", 1e19}, {"max_steps", 1e30}, {"input", nlohmann::json::array({1, 28.5, 28})}};
  for (const auto& [key, value] : cases) {
    nlohmann::json j = good;
    j[key] = value;
    expect_io_error_naming([&] { options_from_json(j, "m.json: recipe"); }, {"m.json: recipe", key});
  }
}

class TrainRunOnTinyData : public ::testing::Test {
 protected:
  void SetUp() override {
    saved_threads_ = num_threads();
    set_num_threads(2);
    set_default_mode(Mode::Deterministic);
    work_ = fs::temp_directory_path() / ("lockstep_train_run_" + std::to_string(::getpid()));
    fs::create_directories(work_);
  }
  void TearDown() override {
    fs::remove_all(work_);
    set_default_mode(Mode::Deterministic);
    set_num_threads(saved_threads_);
  }
  // A run that changes both process settings: one thread, fast mode.
  TrainOptions options() const {
    TrainOptions o;
    o.data = data_.path();
    o.threads = 1;
    o.mode = Mode::Fast;
    o.max_steps = 2;
    o.checkpoint_dir.clear();
    o.quiet = true;
    return o;
  }
  void expect_settings_restored() const {
    EXPECT_EQ(num_threads(), 2);
    EXPECT_EQ(current_mode(), Mode::Deterministic);
  }

  // A deterministic run of `steps` steps that checkpoints after every step; its last.safetensors.
  std::string checkpoint_after(i64 steps) {
    TrainOptions o = options();
    o.mode = Mode::Deterministic;
    o.max_steps = steps;
    o.checkpoint_dir = (work_ / "ckpt").string();
    o.checkpoint_every = 1;
    run_training(o);
    return o.checkpoint_dir + "/last.safetensors";
  }
  // Resumes `path` deterministically for two more steps.
  TrainResult resume_from(const std::string& path, i64 to_step = 4) {
    TrainOptions o = options();
    o.mode = Mode::Deterministic;
    o.resume = path;
    o.max_steps = to_step;
    return run_training(o);
  }

  test::TinyMnistDir data_{"train_run"};
  fs::path work_;
  int saved_threads_ = 1;
};

TEST_F(TrainRunOnTinyData, SettingsRestoredAfterACompleteRun) {
  run_training(options());
  expect_settings_restored();
}

TEST_F(TrainRunOnTinyData, SettingsRestoredAfterAnInterruptedRun) {
  const std::atomic<bool> stop{true};
  EXPECT_TRUE(run_training(options(), &stop).interrupted);
  expect_settings_restored();
}

TEST_F(TrainRunOnTinyData, SettingsRestoredAfterAFailedRun) {
  TrainOptions o = options();
  o.data = (work_ / "no-such-dir").string();
  EXPECT_THROW(run_training(o), IoError);
  expect_settings_restored();
}

TEST_F(TrainRunOnTinyData, GarbageLossSumInACheckpointIsAnErrorNamingFileFieldAndText) {
  TrainOptions o = options();
  o.mode = Mode::Deterministic;
  o.checkpoint_dir = (work_ / "ckpt").string();
  o.checkpoint_every = 1;
  run_training(o);
  const std::string good = o.checkpoint_dir + "/last.safetensors", bad = (work_ / "bad.safetensors").string();
  nn::Checkpoint c = nn::load_checkpoint(good);
  c.metadata["epoch_loss_sum"] = "0x1.8p+1garbage";
  nn::save_checkpoint(bad, c);
  o.resume = bad;
  o.max_steps = 3;
  o.checkpoint_dir.clear();
  expect_error_naming([&] { run_training(o); }, {bad, "epoch_loss_sum", "'0x1.8p+1garbage'"});
}

// A checkpoint as written before checkpoints named their model and recorded the dropout p's
// and input shape resumes, and ends where the uninterrupted run ends.
TEST_F(TrainRunOnTinyData, CheckpointFromBeforeTheModelKeyResumesToTheSameBits) {
  TrainOptions o = options();
  o.mode = Mode::Deterministic;  // fast mode promises no equality between runs
  o.max_steps = 4;
  const std::string uninterrupted = run_training(o).fingerprint;
  o.max_steps = 2;
  o.checkpoint_dir = (work_ / "ckpt").string();
  o.checkpoint_every = 2;
  run_training(o);
  nn::Checkpoint c = nn::load_checkpoint(o.checkpoint_dir + "/last.safetensors");
  EXPECT_EQ(c.model, "mnist_net");
  c.model.clear();
  for (const char* later : {"conv_dropout_p", "fc_dropout_p", "input"}) EXPECT_EQ(c.metadata.erase(later), 1u);
  const std::string old = (work_ / "old.safetensors").string();
  nn::save_checkpoint(old, c);
  o.resume = old;
  o.max_steps = 4;
  o.checkpoint_dir.clear();
  EXPECT_EQ(run_training(o).fingerprint, uninterrupted);
}

TEST_F(TrainRunOnTinyData, CheckpointOfAnotherModelIsRefusedNamingFileAndModels) {
  TrainOptions o = options();
  o.checkpoint_dir = (work_ / "ckpt").string();
  o.checkpoint_every = 1;
  run_training(o);
  nn::Checkpoint c = nn::load_checkpoint(o.checkpoint_dir + "/last.safetensors");
  c.model = "lenet";
  const std::string other = (work_ / "other.safetensors").string();
  nn::save_checkpoint(other, c);
  o.resume = other;
  o.checkpoint_dir.clear();
  expect_error_naming([&] { run_training(o); }, {other, "'lenet'", "expected 'mnist_net'"});
  expect_settings_restored();
}

TEST_F(TrainRunOnTinyData, FlippedBitInAnyTensorIsRefusedNamingFileAndTensor) {
  const std::string good = checkpoint_after(2), bad = (work_ / "bad.safetensors").string();
  for (const char* name : {"conv1.weight", "fc2.bias", "momentum.fc1.weight"}) {
    std::string bytes = read_bytes(good);
    bytes[data_byte_of(bytes, name) + 1] ^= 0x01;
    write_bytes(bad, bytes);
    expect_io_error_naming([&] { resume_from(bad); }, {bad, std::string("'") + name + "'"});
  }
}

TEST_F(TrainRunOnTinyData, ChangedMetadataValueIsRefusedNamingFileAndKey) {
  const std::string good = checkpoint_after(2), bad = (work_ / "bad.safetensors").string();
  for (const char* key : {"fingerprint", "epoch_loss_sum"}) {
    std::string bytes = read_bytes(good);
    const std::string value = header_of(bytes).at("__metadata__").at(key).get<std::string>();
    // A mantissa digit of the hex float, the last digit of the fingerprint: the value stays well formed.
    const size_t dot = value.find('.');
    const size_t at = bytes.find(value) + (dot != std::string::npos ? dot + 1 : value.size() - 1);
    bytes[at] = bytes[at] == '1' ? '2' : '1';
    write_bytes(bad, bytes);
    expect_io_error_naming([&] { resume_from(bad); }, {bad, std::string("'") + key + "'"});
  }
}

// Positions that contradict the recipe (3 batches of 32 per epoch, 4 epochs; the
// checkpoint is at epoch 0, batch 2, step 2), written as a consistent file.
TEST_F(TrainRunOnTinyData, PositionContradictingTheRecipeIsRefusedNamingTheField) {
  const std::string good = checkpoint_after(2), bad = (work_ / "bad.safetensors").string();
  const std::vector<std::tuple<const char*, const char*, const char*>> cases = {
      {"epoch", "99", "epochs"},         {"batch", "1000", "batches per epoch"}, {"step", "7", "epoch 0, batch 2"},
      {"epoch_loss_sum", "inf", "finite"}, {"epoch_loss_sum", "nan", "finite"}, {"epoch_batches", "5", "batch"}};
  for (const auto& [key, value, why] : cases) {
    nn::Checkpoint c = nn::load_checkpoint(good);
    c.metadata[key] = value;
    nn::save_checkpoint(bad, c);
    expect_io_error_naming([&] { resume_from(bad); }, {bad, std::string("'") + key + "'", value, why});
  }
}

// A consistent file (digests intact) that lacks a tensor of the model, or holds one more.
TEST_F(TrainRunOnTinyData, CheckpointWithoutATensorOrWithAnExtraOneIsRefusedNamingTheFile) {
  const std::string good = checkpoint_after(2), bad = (work_ / "bad.safetensors").string();
  nn::Checkpoint c = nn::load_checkpoint(good);
  const nn::NamedTensor last = c.tensors.back();
  c.tensors.pop_back();
  nn::save_checkpoint(bad, c);
  expect_io_error_naming([&] { resume_from(bad); }, {bad, "'" + last.name + "'"});
  c.tensors.push_back(last);
  c.tensors.push_back({"extra", last.tensor});
  nn::save_checkpoint(bad, c);
  expect_io_error_naming([&] { resume_from(bad); }, {bad, "tensors, expected"});
}

TEST_F(TrainRunOnTinyData, CheckpointDirectoryThatIsAFileIsAnIoErrorNamingIt) {
  TrainOptions o = options();
  o.checkpoint_dir = (work_ / "a-file").string();
  write_bytes(o.checkpoint_dir, "x");
  expect_io_error_naming([&] { run_training(o); }, {o.checkpoint_dir, "checkpoint directory"});
}

// A checkpoint without the digests still has its weights checked against its fingerprint.
TEST_F(TrainRunOnTinyData, CheckpointWithoutDigestsIsCheckedAgainstItsFingerprint) {
  const std::string good = checkpoint_after(2), old = (work_ / "old.safetensors").string();
  TrainOptions o = options();
  o.mode = Mode::Deterministic;
  o.max_steps = 4;
  const std::string uninterrupted = run_training(o).fingerprint;
  nn::Checkpoint c = nn::load_checkpoint(good);
  write_undigested(old, c);
  EXPECT_EQ(resume_from(old).fingerprint, uninterrupted);
  Tensor fc1 = c.get("fc1.weight");  // shares the checkpoint's storage
  fc1.data<float>()[3] += 1.0f;
  write_undigested(old, c);
  expect_io_error_naming([&] { resume_from(old); }, {old, "fingerprint"});
}

// Interrupted after an epoch's last batch, before its evaluation: batch = batches per epoch
// is a position to resume from (the epoch is then evaluated and checkpointed).
TEST_F(TrainRunOnTinyData, InterruptedAfterTheLastBatchOfAnEpochResumesToTheSameBits) {
  TrainOptions o = options();
  o.mode = Mode::Deterministic;
  o.max_steps = 5;
  const std::string uninterrupted = run_training(o).fingerprint;
  o.checkpoint_dir = (work_ / "ckpt").string();
  std::atomic<bool> stop{false};
  const auto stop_after_step_3 = [&](i64 step, const std::string&) {
    if (step == 3) stop.store(true);  // the tiny data has 3 batches per epoch
    return true;
  };
  EXPECT_TRUE(run_training(o, &stop, stop_after_step_3).interrupted);
  const std::string last = o.checkpoint_dir + "/last.safetensors";
  EXPECT_EQ(nn::load_checkpoint(last).metadata.at("batch"), "3");
  EXPECT_EQ(resume_from(last, 5).fingerprint, uninterrupted);
}

TEST_F(TrainRunOnTinyData, MaxStepsLeavesAResumableCheckpoint) {
  TrainOptions o = options();
  o.mode = Mode::Deterministic;
  o.max_steps = 4;
  const std::string uninterrupted = run_training(o).fingerprint;
  o.max_steps = 2;
  o.checkpoint_dir = (work_ / "ckpt").string();
  run_training(o);
  ASSERT_TRUE(fs::exists(o.checkpoint_dir + "/last.safetensors"));
  EXPECT_EQ(resume_from(o.checkpoint_dir + "/last.safetensors").fingerprint, uninterrupted);
}

// lr 1000 drives the tiny data's loss to NaN within the first epoch.
TEST_F(TrainRunOnTinyData, NonFiniteLossStopsTheRunAndNoCheckpointHoldsIt) {
  TrainOptions o = options();
  o.recipe.lr = 1000.0f;
  o.max_steps = -1;
  o.checkpoint_dir = (work_ / "ckpt").string();
  o.checkpoint_every = 1;
  expect_error_naming([&] { run_training(o); }, {"non-finite", "at step "});
  expect_settings_restored();
  for (const auto& e : fs::directory_iterator(o.checkpoint_dir))
    if (e.path().extension() == ".safetensors") {
      EXPECT_TRUE(all_finite(nn::load_checkpoint(e.path().string()))) << e.path();
    }
  const nlohmann::json m = nlohmann::json::parse(read_bytes(o.checkpoint_dir + "/manifest.json"));
  ASSERT_TRUE(m.contains("stopped")) << m.dump();
  EXPECT_NE(m["stopped"].dump().find("non-finite"), std::string::npos) << m["stopped"].dump();
}

// The manifest names the device; only a CUDA run has a "gpu" section (GPU model, driver and
// library versions), and the build section says what CUDA the binary was built with.
TEST_F(TrainRunOnTinyData, ManifestOfACpuRunNamesTheDeviceAndHasNoGpuSection) {
  TrainOptions o = options();
  o.manifest = (work_ / "manifest.json").string();
  run_training(o);
  const nlohmann::json m = nlohmann::json::parse(read_bytes(o.manifest));
  EXPECT_EQ(m.value("device", ""), "cpu") << m.dump();
  EXPECT_FALSE(m.contains("gpu")) << m["gpu"].dump();
  ASSERT_EQ(m["world"]["ranks"].size(), 1u);
  EXPECT_EQ(m["world"]["ranks"][0]["device"], "cpu");
  EXPECT_FALSE(m["world"]["ranks"][0].contains("gpu"));
  const bool cuda_built = registry().has(OpKind::Conv2dFwd, Device::CUDA, Mode::Deterministic);
  const std::string cuda = m["build"]["cuda"], cudnn = m["build"]["cudnn"];
  EXPECT_EQ(cuda == "not built", !cuda_built) << "build.cuda is '" << cuda << "'";
  EXPECT_EQ(cudnn == "not built", !cuda_built) << "build.cudnn is '" << cudnn << "'";
}

TEST(DeviceRecord, GpuSectionHasEveryFact) {
  cuda::DeviceFacts f{"NVIDIA Test", 132, "9.0", 139.8, "580.1.2", "13.0", "13.0", "9.13.0", "13.1.0"};
  const nlohmann::json g = gpu_json(f);
  EXPECT_EQ(g, nlohmann::json::parse(R"({"model": "NVIDIA Test", "sm_count": 132, "compute_capability": "9.0",
      "memory_gib": 139.8, "driver": "580.1.2", "driver_cuda": "13.0", "cuda_runtime": "13.0", "cudnn": "9.13.0",
      "cublas": "13.1.0"})"));
  EXPECT_EQ(device_record(Device::CPU), nlohmann::json::parse(R"({"device": "cpu"})"));
}

// Watching every op output changes no bit of the run, and names the op where lr 1000 fails.
TEST_F(TrainRunOnTinyData, DetectAnomalyChangesNoBitsAndNamesTheOp) {
  TrainOptions o = options();
  o.mode = Mode::Deterministic;
  o.max_steps = 3;
  const std::string plain = run_training(o).fingerprint;
  o.detect_anomaly = true;
  EXPECT_EQ(run_training(o).fingerprint, plain);
  o.recipe.lr = 1000.0f;
  o.max_steps = -1;
  expect_error_naming([&] { run_training(o); }, {"non-finite", "at step ", "op output: "});
}

TEST_F(TrainRunOnTinyData, StaleTemporaryFilesAreRemovedWhenARunStarts) {
  TrainOptions o = options();
  o.checkpoint_dir = (work_ / "ckpt").string();
  fs::create_directories(o.checkpoint_dir);
  // Names write_file_atomically gives its temporaries, of a process that no longer exists.
  for (const char* name : {".last.safetensors.tmp.2147483646", ".manifest.json.tmp.2147483645", "notes.tmp"})
    write_bytes(o.checkpoint_dir + "/" + name, "x");
  run_training(o);
  EXPECT_FALSE(fs::exists(o.checkpoint_dir + "/.last.safetensors.tmp.2147483646"));
  EXPECT_FALSE(fs::exists(o.checkpoint_dir + "/.manifest.json.tmp.2147483645"));
  EXPECT_TRUE(fs::exists(o.checkpoint_dir + "/notes.tmp"));
}

// Manifests that `lockstep verify` cannot use: errors name the file and the key.
TEST_F(TrainRunOnTinyData, MalformedManifestIsAnIoErrorNamingFileAndKey) {
  TrainOptions o = options();
  o.mode = Mode::Deterministic;
  o.checkpoint_dir = (work_ / "ckpt").string();
  run_training(o);
  const std::string text = read_bytes(o.checkpoint_dir + "/manifest.json"), bad = (work_ / "bad.json").string();
  const auto expect_refused = [&](const std::string& manifest, std::initializer_list<std::string> fragments) {
    write_bytes(bad, manifest);
    VerifyOptions v;
    v.manifest = bad;
    expect_io_error_naming([&] { run_verify(v); }, fragments);
  };
  const nlohmann::json m = nlohmann::json::parse(text);
  nlohmann::json j = m;
  j["step_fingerprints"]["abc"] = "sha256:00";
  expect_refused(j.dump(), {bad, "step_fingerprints", "'abc'"});
  j = m;
  j["step_fingerprints"]["1"] = 7;
  expect_refused(j.dump(), {bad, "step_fingerprints", "'1'"});
  j = m;
  j["fingerprint_every"] = "x";
  expect_refused(j.dump(), {bad, "fingerprint_every"});
  j = m;
  j.erase("data");
  expect_refused(j.dump(), {bad, "data"});
  j = m;
  j["recipe"]["epochs"] = 12345;
  std::string huge = j.dump();
  huge.replace(huge.find("12345"), 5, "1e999");
  expect_refused(huge, {bad, "out of range"});
  j = m;
  j["recipe"]["lr"] = "0x1p+200";  // a double, but no float
  expect_refused(j.dump(), {bad, "lr"});
}

}  // namespace
}  // namespace lockstep::cli

// The training driver behind `lockstep train` and `verify`, in process, on a tiny IDX data
// set: recipes read back from manifests and checkpoints reject garbage numbers, and a run
// leaves the process mode and thread count as it found them on every exit path.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>

#include "core/mode.h"
#include "cpu/parallel.h"
#include "nn/checkpoint.h"
#include "tests/cli/tiny_mnist.h"
#include "tools/lockstep/recipe_io.h"
#include "tools/lockstep/train_run.h"

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

}  // namespace
}  // namespace lockstep::cli

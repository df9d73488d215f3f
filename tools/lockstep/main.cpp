// The lockstep command line: `lockstep train` (the reference MNIST CNN),
// `lockstep verify MANIFEST` (re-run a recorded run and compare fingerprints) and
// `lockstep study sum|kernels|training` (floating-point order experiments, tools/study/).
// Only this file catches exceptions: it prints one line `error: …` and exits non-zero with
// the code of the error's class (kExitCodes, also in `lockstep train --help`).
#include <csignal>
#include <cstdio>
#include <fstream>
#include <limits>
#include <string>
#include <tuple>
#include <utility>

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include "core/error.h"
#include "nn/communicator.h"
#include "tools/lockstep/flag_checks.h"
#include "tools/lockstep/train_run.h"
#include "tools/lockstep/verify.h"
#include "tools/study/study.h"

namespace {

// Exit codes: 0 success (verify: all fingerprints match), 1 usage, recipe or other error
// (verify: a mismatch), 2 a file (data, checkpoint, manifest) missing or invalid, 3 device
// unavailable, 4 training stopped at a non-finite loss or parameter, 130 interrupted.
constexpr const char* kExitCodes =
    "Exit codes: 0 done; 1 bad flag, recipe or other error; 2 a data, checkpoint or manifest file missing or "
    "invalid; 3 device unavailable; 4 stopped at a non-finite loss or parameter (last good checkpoint kept); "
    "130 interrupted by SIGINT/SIGTERM (checkpoint written).";
constexpr int kExitNonFinite = 4;

std::atomic<bool> g_stop{false};

using lockstep::cli::integer_in;
using lockstep::cli::non_negative_float;
constexpr long long kIntMax = std::numeric_limits<int>::max();
constexpr long long kI64Max = std::numeric_limits<long long>::max();
extern "C" void on_signal(int) { g_stop.store(true); }

std::string join_args(int argc, char** argv) {
  std::string s;
  for (int i = 0; i < argc; ++i) {
    if (i) s += ' ';
    s += argv[i];
  }
  return s;
}

void add_train_options(CLI::App& cmd, lockstep::cli::TrainOptions& o, std::string& mode) {
  cmd.add_option("--data", o.data, "Directory with the four MNIST-layout IDX files (plain or .gz)")
      ->capture_default_str();
  cmd.add_option("--epochs", o.recipe.epochs, "Training epochs")->capture_default_str()->check(integer_in(1, kIntMax));
  cmd.add_option("--batch-size", o.recipe.batch_size, "Training batch size")
      ->capture_default_str()
      ->check(integer_in(1, lockstep::nn::kMaxBatchSize));
  cmd.add_option("--test-batch-size", o.recipe.test_batch_size, "Evaluation batch size")
      ->capture_default_str()
      ->check(integer_in(1, lockstep::nn::kMaxBatchSize));
  cmd.add_option("--lr", o.recipe.lr, "SGD learning rate")->capture_default_str()->check(non_negative_float());
  cmd.add_option("--momentum", o.recipe.momentum, "SGD momentum")->capture_default_str()->check(non_negative_float());
  cmd.add_option("--seed", o.recipe.seed, "Seed of every random stream (init, dropout, data order)")
      ->capture_default_str()
      ->check(lockstep::cli::uint64_value());
  cmd.add_option("--mode", mode, "deterministic (same bits everywhere) or fast")
      ->capture_default_str()
      ->check(CLI::IsMember({"deterministic", "fast"}));
  cmd.add_option("--device", o.device, "cpu or cuda")->capture_default_str()->check(CLI::IsMember({"cpu", "cuda"}));
  cmd.add_option("--threads", o.threads, "CPU threads (default: LOCKSTEP_THREADS or all cores)")
      ->check(integer_in(1, kIntMax));
  cmd.add_option("--max-steps", o.max_steps, "Stop after N training steps (quick checks)")
      ->check(integer_in(0, kI64Max));
  cmd.add_flag("!--no-dropout", o.recipe.dropout, "Train the network without its dropout layers");
}


CLI::App* add_train_command(CLI::App& app, lockstep::cli::TrainOptions& train, std::string& mode) {
  CLI::App* cmd = app.add_subcommand(
      "train", "Train the reference MNIST CNN (PyTorch's classic example recipe); the last line printed is its "
               "weight fingerprint");
  add_train_options(*cmd, train, mode);
  cmd->add_option("--checkpoint-dir", train.checkpoint_dir,
                  "Where checkpoints (epoch-N.safetensors, last.safetensors) and manifest.json go; '' for none")
      ->capture_default_str();
  cmd->add_option("--checkpoint-every", train.checkpoint_every, "Also checkpoint every N steps (0: epoch ends only)")
      ->check(integer_in(0, kI64Max));
  cmd->add_option("--resume", train.resume, "Continue from a checkpoint written by lockstep train");
  cmd->add_option("--manifest", train.manifest, "Run manifest path (default: <checkpoint-dir>/manifest.json)");
  cmd->add_option("--fingerprint-every", train.fingerprint_every,
                  "Record the weight fingerprint every N steps in the manifest (for verify)")
      ->capture_default_str()
      ->check(integer_in(1, kI64Max));
  cmd->add_flag("--quiet,-q", train.quiet, "Print only the final fingerprint line");
  cmd->add_flag("--detect-anomaly", train.detect_anomaly,
                "On a non-finite loss or parameter, also name the first op whose output was non-finite "
                "(checks every op output: slower)");
  cmd->footer(std::string(kExitCodes) +
              "\nSeveral processes: mpirun -np N lockstep train [flags] trains data-parallel with the one-process "
              "bits at any N (--batch-size is the global batch; rank 0 prints and writes; README.md, 'Training "
              "with several processes').");
  return cmd;
}

CLI::App* add_verify_command(CLI::App& app, lockstep::cli::VerifyOptions& verify) {
  CLI::App* cmd =
      app.add_subcommand("verify", "Re-run a recorded run (or its first K steps) and compare its fingerprints");
  cmd->add_option("manifest", verify.manifest, "manifest.json written by lockstep train")->required();
  cmd->add_option("--steps", verify.steps, "Only the first K steps")->check(integer_in(1, kI64Max));
  cmd->add_option("--threads", verify.threads, "CPU threads for the re-run")->check(integer_in(1, kIntMax));
  cmd->add_option("--data", verify.data, "Data directory, if it moved since the recorded run");
  return cmd;
}

struct StudyCommand {
  CLI::App *cmd = nullptr, *sum = nullptr, *kernels = nullptr, *training = nullptr;
  lockstep::study::StudyOptions options;
  std::string threads;  // "1,2,4"
  std::string device = "cpu";
};

void add_study_command(CLI::App& app, StudyCommand& s) {
  lockstep::study::StudyOptions& study = s.options;
  s.cmd = app.add_subcommand(
      "study", "Measure how the order of floating-point operations changes results (CSV, PNG plots, report.md)");
  s.cmd->require_subcommand(1);
  s.sum = s.cmd->add_subcommand("sum", "One float32 sum in many orders against the exact sum");
  s.kernels = s.cmd->add_subcommand(
      "kernels", "Each op and pass of the reference network, deterministic and fast, against a float64 reference");
  s.training = s.cmd->add_subcommand(
      "training", "Training runs across modes and thread counts: divergence, first differing step, accuracy; one-bit flip");
  for (CLI::App* sub : {s.sum, s.kernels, s.training}) {
    sub->add_option("--out", study.out, "Output directory (default: study/<experiment>)");
    sub->add_flag("--quick", study.quick, "Small sizes: finishes in seconds (what the tests run)");
    sub->add_option("--seed", study.seed, "Seed of the data and of every random order")
        ->capture_default_str()
        ->check(lockstep::cli::uint64_value());
    sub->add_option("--threads", s.threads, "Comma-separated CPU thread counts, e.g. 1,2,3,4");
    sub->add_option("--runs", study.runs,
                    "sum: random permutations; kernels: repeats per fast configuration; training: runs per mode")
        ->check(integer_in(1, kIntMax));
  }
  for (CLI::App* sub : {s.kernels, s.training})
    sub->add_option("--device", s.device,
                    "cpu, or cuda: also run on the GPU (CUDA det compared bitwise with CPU det; CUDA fast against it)")
        ->capture_default_str()
        ->check(CLI::IsMember({"cpu", "cuda"}));
  s.training->add_option("--steps", study.steps, "Training steps per run")->check(integer_in(1, kIntMax));
  s.training->add_option("--data", study.data, "MNIST-layout directory (synthetic data when absent)")
      ->capture_default_str();
}

int run_train(lockstep::cli::TrainOptions& train, const std::string& mode, const std::string& command_line) {
  train.mode = lockstep::parse_mode(mode);
  train.command_line = command_line;
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  const auto result = lockstep::cli::run_training(train, &g_stop);
  if (lockstep::nn::world().rank() == 0) std::printf("fingerprint: %s\n", result.fingerprint.c_str());
  return result.interrupted ? 130 : 0;
}

// Prints the error (with the rank, when several processes run) and ends the process. An error
// under MPI may be this rank's alone, with the others waiting in a collective: it ends the
// whole job (MPI_Abort with the exit code) rather than leave them waiting.
int end_process(int rc, const std::string& error) {
  using lockstep::nn::world;
  const bool several = lockstep::nn::world_opened() && world().size() > 1;
  if (!error.empty()) {
    if (several)
      std::fprintf(stderr, "error: rank %d of %d: %s\n", world().rank(), world().size(), error.c_str());
    else
      std::fprintf(stderr, "error: %s\n", error.c_str());
  }
  if (several && rc != 0 && rc != 130) {
    std::fflush(nullptr);
    world().abort(rc);
  }
  lockstep::nn::close_world();
  return rc;
}

int run_study(StudyCommand& s, const std::string& command_line) {
  lockstep::study::StudyOptions& study = s.options;
  study.command_line = command_line;
  if (!s.threads.empty()) study.threads = lockstep::study::parse_int_list(s.threads);
  study.device = s.device == "cuda" ? lockstep::Device::CUDA : lockstep::Device::CPU;
  const std::string name = *s.sum ? "sum" : *s.kernels ? "kernels" : "training";
  if (study.out.empty()) study.out = "study/" + name;
  if (*s.sum) return lockstep::study::run_sum(study);
  if (*s.kernels) return lockstep::study::run_kernels(study);
  return lockstep::study::run_training(study);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"lockstep: a deterministic tensor and autograd engine.\n"
               "Same seed, same bits: at any thread count, on any CPU level, on CPU or GPU."};
  app.require_subcommand(1);
  app.set_version_flag("--version", "lockstep 0.1.0");
  lockstep::cli::TrainOptions train;
  std::string train_mode = "deterministic";
  CLI::App* train_cmd = add_train_command(app, train, train_mode);
  lockstep::cli::VerifyOptions verify;
  CLI::App* verify_cmd = add_verify_command(app, verify);
  StudyCommand study;
  add_study_command(app, study);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    std::string what = e.what();
    for (char& c : what)
      if (c == '\n') c = ' ';
    std::fprintf(stderr, "error: %s (see lockstep --help)\n", what.c_str());
    return 1;
  }

  int rc = 0;
  std::string error;
  try {
    if (*train_cmd) rc = run_train(train, train_mode, join_args(argc, argv));
    if (*verify_cmd) rc = lockstep::cli::run_verify(verify);
    if (*study.cmd) rc = run_study(study, join_args(argc, argv));
  } catch (const lockstep::cli::NonFiniteError& e) {
    std::tie(rc, error) = std::pair{kExitNonFinite, e.what()};
  } catch (const lockstep::IoError& e) {
    std::tie(rc, error) = std::pair{2, e.what()};
  } catch (const lockstep::DeviceError& e) {
    std::tie(rc, error) = std::pair{3, e.what()};
  } catch (const std::exception& e) {
    std::tie(rc, error) = std::pair{1, e.what()};
  }
  return end_process(rc, error);
}

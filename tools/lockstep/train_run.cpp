#include "tools/lockstep/train_run.h"

#include <chrono>
#include <cmath>
#include <filesystem>
#include <limits>
#include <memory>

#include <fmt/core.h>

#include "core/op_observer.h"
#include "core/random.h"
#include "core/transfer.h"
#include "cpu/parallel.h"
#include "nn/checkpoint.h"
#include "nn/communicator.h"
#include "nn/data_parallel.h"
#include "nn/idx.h"
#include "nn/models.h"
#include "nn/sha256.h"
#include "nn/training.h"
#include "tools/lockstep/build_facts.h"
#include "tools/lockstep/device_record.h"
#include "tools/lockstep/process_settings.h"
#include "tools/lockstep/progress.h"
#include "tools/lockstep/rank_agreement.h"
#include "tools/lockstep/recipe_io.h"
#include "tools/lockstep/run_manifest.h"
#include "tools/lockstep/training_checkpoint.h"
#include "tools/lockstep/user_input.h"

namespace lockstep::cli {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// Checks what the recipe cannot: the device and the run's own options. Returns the device.
Device validate(const TrainOptions& o) {
  nn::check_recipe(o.recipe);
  LS_CHECK(o.device == "cpu" || o.device == "cuda", Error, "train: expected --device cpu or cuda, got '", o.device,
           "'");
  const Device device = o.device == "cuda" ? Device::CUDA : Device::CPU;
  if (const std::string why = device_unavailable_reason(device); !why.empty())
    throw DeviceError("train: --device " + o.device + ": " + why + "; use --device cpu");
  LS_CHECK(o.fingerprint_every >= 1, Error, "train: --fingerprint-every must be >= 1");
  if (!o.resume.empty()) check_input_file(o.resume, "a checkpoint file written by lockstep train");
  return device;
}

// The data set, normalised on the host (the same bits everywhere), then uploaded once.
struct TrainingData {
  std::string dir;
  i64 train_count = 0, test_count = 0;
  Tensor train_x, train_y, test_x, test_y;
  json files;  // for the manifest: directory, counts, SHA-256 of each file
  json sha256_by_name;  // the same hashes by file name, for the ranks to compare
  std::string train_images_sha256;
};

TrainingData load_training_data(const TrainOptions& o, Device device) {
  const nn::MnistDataset ds = nn::load_mnist_dir(o.data);
  const nn::ImageShape& in = o.recipe.input;
  LS_CHECK(in.channels == 1 && ds.train.rows == in.height && ds.train.cols == in.width, ShapeError,
           "train: the recipe's model takes ", nn::shape_text(in), " images, ", ds.dir, " has 1x", ds.train.rows, "x",
           ds.train.cols);
  auto images = [&](const nn::MnistSplit& s) {
    return nn::normalize_images(s.images.data(), s.count, s.rows, s.cols, o.recipe.norm_mean, o.recipe.norm_std)
        .to(device);
  };
  TrainingData d{ds.dir,
                 ds.train.count,
                 ds.test.count,
                 images(ds.train),
                 nn::labels_tensor(ds.train.labels).to(device),
                 images(ds.test),
                 nn::labels_tensor(ds.test.labels).to(device),
                 json::object(),
                 json::object(),
                 ""};
  json hashes = json::object();
  for (const std::string& p : {ds.train.images_path, ds.train.labels_path, ds.test.images_path, ds.test.labels_path}) {
    hashes[p] = nn::sha256_file(p);
    d.sha256_by_name[std::filesystem::path(p).filename().string()] = hashes[p];
  }
  d.files = {{"dir", ds.dir}, {"train", ds.train.count}, {"test", ds.test.count}, {"sha256", hashes}};
  d.train_images_sha256 = hashes[ds.train.images_path].get<std::string>();
  return d;
}

CheckpointRecipe checkpoint_recipe(const nn::Recipe& r, const std::string& train_images_sha256) {
  CheckpointRecipe c{r.model, recipe_metadata(r)};
  c.fields["data_train_images_sha256"] = train_images_sha256;
  return c;
}

// What every rank of a run on several processes must share (tools/lockstep/rank_agreement.h):
// the recipe and its options less the device and the data directory, the data's bytes, and
// the build's version and floating-point flags.
json agreement_facts(const TrainOptions& o, const TrainingData& d) {
  json recipe = options_to_json(o);
  recipe.erase("device");
  recipe.erase("data");
  const json build = build_facts();
  return {{"recipe", recipe},
          {"resume", o.resume.empty() ? "" : nn::sha256_file(o.resume)},
          {"data_sha256", d.sha256_by_name},
          {"build", {{"lockstep_version", build["lockstep_version"]},
                     {"git_commit", build["git_commit"]},
                     {"host_flags", build["host_flags"]}}}};
}

// --detect-anomaly: the first op of a step whose output held a NaN or infinity. One run
// watches at a time (the observer is process-wide); the watch ends with the run.
class AnomalyWatch {
 public:
  explicit AnomalyWatch(bool on) : on_(on) {
    first_op().clear();
    if (on_) set_op_output_observer(&observe);
  }
  ~AnomalyWatch() {
    if (on_) set_op_output_observer(nullptr);
  }
  AnomalyWatch(const AnomalyWatch&) = delete;
  AnomalyWatch& operator=(const AnomalyWatch&) = delete;

  bool on() const { return on_; }
  void next_step() const { first_op().clear(); }
  // The op name, or "" when every op output of the step so far was finite.
  const std::string& first_non_finite_op() const { return first_op(); }

 private:
  static std::string& first_op() {
    static std::string name;
    return name;
  }
  static void observe(const char* op, const Tensor& output) {
    if (first_op().empty() && !nn::first_non_finite({{op, output}}).empty()) first_op() = op;
  }
  bool on_;
};

std::string manifest_path(const TrainOptions& o) {
  if (!o.manifest.empty()) return o.manifest;
  return o.checkpoint_dir.empty() ? "" : o.checkpoint_dir + "/manifest.json";
}

// One run's state from start to end: the model, optimiser and position, the manifest and
// the result. Each method is one step of the run.
class TrainingRun {
 public:
  TrainingRun(const TrainOptions& o, Device device, const std::atomic<bool>* stop, const StepObserver& observer);
  TrainResult train();

 private:
  enum class EpochEnd { Complete, Stopped, Interrupted };
  void resume();
  void remove_stale_temporaries();
  void check_finite(float loss);
  EpochEnd run_epoch();
  bool record_fingerprint();  // false when the observer stops the run
  void show_progress(float loss);
  void end_epoch(bool complete);
  void checkpoint(const std::string& name, const Position& at);
  [[noreturn]] void stop_non_finite(const std::string& what);
  TrainResult interrupted();
  TrainResult finish();

  const TrainOptions& o_;
  nn::Communicator& comm_;
  const bool lead_;      // rank 0 (or the only process): the one that prints and writes files
  const bool parallel_;  // several processes: data-parallel steps (nn/data_parallel.h)
  const Device device_;
  const std::atomic<bool>* stop_;
  const StepObserver& observer_;
  Progress progress_;
  std::unique_ptr<nn::Module> model_;
  TrainingData data_;
  nn::SGD opt_;
  CheckpointRecipe checkpoint_recipe_;
  Position pos_;
  RunManifest manifest_;
  TrainResult result_;
  i64 steps_per_epoch_;
  Clock::time_point epoch_start_;
  i64 epoch_samples_ = 0;
  double epoch_exchange_seconds_ = 0;  // several processes: in the collectives of the steps
  std::string last_checkpoint_;  // the last checkpoint written; "" before the first
  AnomalyWatch anomaly_;
};

TrainingRun::TrainingRun(const TrainOptions& o, Device device, const std::atomic<bool>* stop,
                         const StepObserver& observer)
    : o_(o),
      comm_(nn::world()),
      lead_(comm_.rank() == 0),
      parallel_(comm_.size() > 1),
      device_(device),
      stop_(stop),
      observer_(observer),
      progress_(o.quiet || !lead_),
      model_(nn::make_model(o.recipe)),
      data_(load_training_data(o, device)),
      opt_(model_->parameters(), o.recipe.lr, o.recipe.momentum),
      checkpoint_recipe_(checkpoint_recipe(o.recipe, data_.train_images_sha256)),
      manifest_(lead_ ? manifest_path(o) : "", o.command_line, options_to_json(o), o.resume, data_.files,
                o.fingerprint_every),
      steps_per_epoch_(nn::batches_per_epoch(data_.train_count, o.recipe.batch_size)),
      anomaly_(o.detect_anomaly) {
  check_ranks_agree(comm_, agreement_facts(o, data_));
  manifest_.record_device(device_record(device_));
  manifest_.record_world(comm_.size(), describe_ranks(comm_, o.device), comm_.description());
  if (!o.resume.empty()) resume();
  // Initialised (or restored) on the host, then moved: the same starting bits on every device.
  nn::move_to_device(model_->parameters(), device_);
  nn::move_to_device(opt_.momentum_buffers(), device_);
  if (!o.checkpoint_dir.empty() && lead_) {
    std::error_code ec;
    std::filesystem::create_directories(o.checkpoint_dir, ec);
    LS_CHECK(!ec && std::filesystem::is_directory(o.checkpoint_dir), IoError, o.checkpoint_dir,
             ": cannot create the checkpoint directory (--checkpoint-dir): ", ec ? ec.message() : "not a directory");
  }
  if (lead_) remove_stale_temporaries();
  progress_.line(fmt::format("lockstep train: {} train / {} test images from {}, {} mode, {} thread(s), seed {}{}",
                             data_.train_count, data_.test_count, data_.dir, mode_name(o.mode), num_threads(),
                             o.recipe.seed,
                             parallel_ ? fmt::format(", {} processes ({})", comm_.size(), comm_.description()) : ""));
}

void TrainingRun::resume() {
  pos_ = load_training_checkpoint(o_.resume, *model_, opt_, checkpoint_recipe_,
                                  PositionLimits{o_.recipe.epochs, steps_per_epoch_});
  progress_.line(fmt::format("resumed from {} at epoch {}, batch {} (step {})", o_.resume, pos_.epoch + 1, pos_.batch,
                             pos_.step));
}

// Writes of a run killed mid-write (kill -9) leave temporaries in the checkpoint and
// manifest directories; no later write reuses their names (they carry the dead pid).
void TrainingRun::remove_stale_temporaries() {
  std::vector<std::string> dirs;
  if (!o_.checkpoint_dir.empty()) dirs.push_back(o_.checkpoint_dir);
  if (const std::string m = manifest_path(o_); !m.empty()) {
    const std::filesystem::path parent = std::filesystem::path(m).parent_path();
    dirs.push_back(parent.empty() ? "." : parent.string());
  }
  if (dirs.size() == 2 && std::filesystem::path(dirs[0]) == std::filesystem::path(dirs[1])) dirs.pop_back();
  for (const std::string& dir : dirs)
    for (const std::string& removed : nn::remove_stale_temporaries(dir))
      progress_.line("removed " + removed + ", left by an interrupted write");
}

TrainResult TrainingRun::train() {
  bool stopped = false;
  for (; pos_.epoch < o_.recipe.epochs && !stopped; ++pos_.epoch) {
    const EpochEnd end = run_epoch();
    if (end == EpochEnd::Interrupted) return interrupted();
    stopped = end == EpochEnd::Stopped;
    if (stopped) checkpoint("last.safetensors", pos_);  // --max-steps: a run to resume
    if (stopped && pos_.epoch_batches == 0) break;  // nothing trained in this epoch: nothing to evaluate
    end_epoch(!stopped);
  }
  return finish();
}

// The batches of epoch pos_.epoch from pos_.batch on, in that epoch's data order.
TrainingRun::EpochEnd TrainingRun::run_epoch() {
  const i64 n = data_.train_count, batch_size = o_.recipe.batch_size;
  const std::vector<i64> order = random::data_order(o_.recipe.seed, static_cast<std::uint64_t>(pos_.epoch), n);
  const Tensor order_on_device = device_ == Device::CPU ? Tensor() : Tensor::from_ints(order, {n}).to(device_);
  epoch_start_ = Clock::now();
  epoch_samples_ = 0;
  epoch_exchange_seconds_ = 0;
  for (; pos_.batch < steps_per_epoch_; ++pos_.batch) {
    if (o_.max_steps >= 0 && pos_.step >= o_.max_steps) return EpochEnd::Stopped;
    const i64 begin = pos_.batch * batch_size, end = std::min(n, begin + batch_size);
    const auto gather = [&](i64 first, i64 last) {
      return device_ == Device::CPU ? nn::gather_batch(data_.train_x, data_.train_y, order, first, last)
                                    : nn::gather_batch(data_.train_x, data_.train_y, order_on_device, first, last);
    };
    anomaly_.next_step();
    float loss = 0;
    if (parallel_) {  // this rank's whole chunks of the global batch [begin, end)
      const BatchShard shard = nn::shard_of_batch(end - begin, comm_.rank(), comm_.size());
      const i64 first = begin + shard.first_row;
      const nn::Batch local = shard.rows > 0 ? gather(first, first + shard.rows) : nn::Batch{};
      nn::StepTimes times;
      loss = nn::data_parallel_step(*model_, opt_, local, shard, pos_.step, comm_, &times);
      epoch_exchange_seconds_ += times.exchange_seconds;
    } else {
      loss = nn::train_step(*model_, opt_, gather(begin, end), pos_.step);
    }
    ++pos_.step;
    check_finite(loss);
    pos_.epoch_loss_sum += loss;
    ++pos_.epoch_batches;
    epoch_samples_ += end - begin;
    const Position after_batch{pos_.epoch, pos_.batch + 1, pos_.step, pos_.epoch_loss_sum, pos_.epoch_batches};
    if (!record_fingerprint()) {
      pos_ = after_batch;
      return EpochEnd::Stopped;
    }
    show_progress(loss);
    if (o_.checkpoint_every > 0 && pos_.step % o_.checkpoint_every == 0) checkpoint("last.safetensors", after_batch);
    // Several processes stop together: a signal seen by any rank stops every rank here.
    const bool stop_seen = stop_ && stop_->load();
    if (parallel_ ? comm_.any(stop_seen) : stop_seen) {
      pos_ = after_batch;
      return EpochEnd::Interrupted;
    }
  }
  return EpochEnd::Complete;
}

// Only for a manifest that is written or an observer: hashing the weights after every step
// cost 6% of a batch-32 epoch, spent for nothing with --checkpoint-dir '' and no --manifest.
bool TrainingRun::record_fingerprint() {
  if (pos_.step % o_.fingerprint_every != 0 || (!manifest_.writes() && !observer_)) return true;
  const std::string fp = nn::fingerprint(*model_);
  manifest_.record_step(pos_.step, fp);
  return !observer_ || observer_(pos_.step, fp);
}

void TrainingRun::show_progress(float loss) {
  const double secs = seconds_since(epoch_start_);
  progress_.update(static_cast<int>(pos_.epoch + 1), o_.recipe.epochs, pos_.batch + 1, steps_per_epoch_, loss,
                   secs > 0 ? epoch_samples_ / secs : 0.0);
}

// Evaluates, reports and records the epoch; a complete one is checkpointed as the start of the next.
void TrainingRun::end_epoch(bool complete) {
  const double train_secs = seconds_since(epoch_start_);
  const nn::EvalResult ev =
      parallel_ ? nn::evaluate(*model_, data_.test_x, data_.test_y, o_.recipe.test_batch_size, comm_)
                : nn::evaluate(*model_, data_.test_x, data_.test_y, o_.recipe.test_batch_size);
  EpochRecord rec;
  rec.epoch = static_cast<int>(pos_.epoch + 1);
  rec.train_loss = pos_.epoch_batches ? pos_.epoch_loss_sum / static_cast<double>(pos_.epoch_batches) : 0.0;
  rec.test_loss = ev.mean_loss();
  rec.correct = ev.correct;
  rec.total = ev.total;
  rec.seconds = train_secs;
  rec.samples_per_second = train_secs > 0 ? epoch_samples_ / train_secs : 0.0;
  rec.fingerprint = nn::fingerprint(*model_);
  result_.epochs.push_back(rec);
  progress_.line(fmt::format("epoch {}/{}{}: train loss {:.4f}, test loss {:.4f}, accuracy {}/{} ({:.2f}%), {:.1f} s, "
                             "{:.0f} samples/s",
                             rec.epoch, o_.recipe.epochs, complete ? "" : " (stopped early)", rec.train_loss,
                             rec.test_loss, rec.correct, rec.total, 100.0 * ev.accuracy(), rec.seconds,
                             rec.samples_per_second));
  if (parallel_)  // rank 0's wait in the collectives: the exchange itself and any slower rank
    progress_.line(fmt::format("epoch {}/{}: {} processes; rank 0 spent {:.2f} s of {:.2f} s exchanging partials",
                               rec.epoch, o_.recipe.epochs, comm_.size(), epoch_exchange_seconds_, rec.seconds));
  manifest_.record_epoch(rec, complete, pos_.step, ev.accuracy());
  if (complete) {
    const Position next{pos_.epoch + 1, 0, pos_.step, 0.0, 0};
    checkpoint(fmt::format("epoch-{}.safetensors", rec.epoch), next);
    checkpoint("last.safetensors", next);
    pos_.batch = 0;
    pos_.epoch_loss_sum = 0;
    pos_.epoch_batches = 0;
  }
  manifest_.write();
}

void TrainingRun::checkpoint(const std::string& name, const Position& at) {
  if (o_.checkpoint_dir.empty()) return;
  last_checkpoint_ = o_.checkpoint_dir + "/" + name;
  if (lead_) save_training_checkpoint(last_checkpoint_, *model_, opt_, at, checkpoint_recipe_);
}

// After each step: a non-finite loss or parameter ends the run before anything records it.
void TrainingRun::check_finite(float loss) {
  if (!std::isfinite(loss)) stop_non_finite(fmt::format("loss {}", loss));
  if (const std::string p = nn::first_non_finite(model_->parameters()); !p.empty())
    stop_non_finite(fmt::format("parameter '{}' (loss {})", p, loss));
}

// Records in the manifest why the run stopped, keeps every checkpoint as it is, and throws
// NonFiniteError (exit code 4) naming the step and, with --detect-anomaly, the first op.
void TrainingRun::stop_non_finite(const std::string& what) {
  std::string message = fmt::format("train: non-finite {} at step {} (epoch {}, batch {}); stopped", what, pos_.step,
                                    pos_.epoch + 1, pos_.batch + 1);
  if (anomaly_.on()) {
    const std::string& op = anomaly_.first_non_finite_op();
    message += op.empty() ? fmt::format("; every op output of step {}'s forward was finite (the backward or the "
                                        "update made it non-finite)", pos_.step)
                          : fmt::format("; first non-finite op output: {} in step {}'s forward", op, pos_.step);
  }
  message += last_checkpoint_.empty() ? "; no checkpoint written"
                                      : "; last good checkpoint: " + last_checkpoint_;
  manifest_.record_stop("non-finite", pos_.step, message);
  manifest_.write();
  throw NonFiniteError(message);
}

// SIGINT/SIGTERM: a checkpoint to resume from, the manifest so far, and a line saying where.
TrainResult TrainingRun::interrupted() {
  checkpoint("last.safetensors", pos_);
  manifest_.record_stop("interrupted", pos_.step, "SIGINT or SIGTERM");
  manifest_.write();
  progress_.line(fmt::format("interrupted at epoch {}, batch {} (step {}); checkpoint {}", pos_.epoch + 1, pos_.batch,
                             pos_.step,
                             o_.checkpoint_dir.empty() ? std::string("not written (no --checkpoint-dir)")
                                                       : o_.checkpoint_dir + "/last.safetensors"));
  result_.interrupted = true;
  result_.steps = pos_.step;
  result_.fingerprint = nn::fingerprint(*model_);
  return result_;
}

TrainResult TrainingRun::finish() {
  result_.steps = pos_.step;
  result_.fingerprint = nn::fingerprint(*model_);
  manifest_.record_final(result_.steps, result_.fingerprint);
  const bool complete = pos_.epoch >= o_.recipe.epochs && pos_.batch == 0;
  manifest_.record_stop(complete ? "complete" : "max_steps", result_.steps,
                        complete ? "all epochs trained" : "--max-steps reached");
  manifest_.write();
  return result_;
}

}  // namespace

json options_to_json(const TrainOptions& o) {
  json j = recipe_to_json(o.recipe);
  j["data"] = o.data;
  j["mode"] = std::string(mode_name(o.mode));
  j["device"] = o.device;
  j["max_steps"] = o.max_steps;
  return j;
}

TrainOptions options_from_json(const json& r, const std::string& where) {
  TrainOptions o;
  o.recipe = recipe_from_json(r, where);
  o.data = string_field(r, "data", where);
  const std::string mode = string_field(r, "mode", where);
  LS_CHECK(mode == "deterministic" || mode == "fast", IoError, where,
           ": field 'mode': expected deterministic or fast, got '", mode, "'");
  o.mode = parse_mode(mode);
  o.device = string_field(r, "device", where);
  o.max_steps = int_field(r, "max_steps", where, -1, std::numeric_limits<i64>::max());
  try {
    nn::check_recipe(o.recipe);
  } catch (const Error& e) {
    const std::string what = e.what();
    throw IoError(where + ": " + (what.rfind("recipe: ", 0) == 0 ? what.substr(8) : what));
  }
  return o;
}

TrainResult run_training(const TrainOptions& o, const std::atomic<bool>* stop, const StepObserver& observer) {
  const ProcessSettingsGuard restore_settings;  // the caller's mode and threads again, however the run ends
  const Device device = validate(o);
  // Ranks on one host take GPUs in turn: rank r on the host uses GPU r modulo its GPUs.
  if (nn::world().size() > 1) select_device_unit(device, nn::world().local_rank());
  if (o.threads > 0) set_num_threads(o.threads);
  set_default_mode(o.mode);
  ModeGuard mode_guard(o.mode);
  TrainingRun run(o, device, stop, observer);
  return run.train();
}

}  // namespace lockstep::cli

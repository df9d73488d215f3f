#include "tools/lockstep/train_run.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include <fmt/core.h>

#include "core/random.h"
#include "core/transfer.h"
#include "cpu/parallel.h"
#include "nn/checkpoint.h"
#include "nn/idx.h"
#include "nn/mnist_net.h"
#include "nn/sha256.h"
#include "nn/training.h"
#include "tools/lockstep/build_facts.h"
#include "tools/lockstep/progress.h"

namespace lockstep::cli {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

// Float hyperparameters travel through JSON and checkpoints as hex floats, so a recipe
// read back is the same float bit for bit.
std::string hex(double v) { return fmt::format("{:a}", v); }
double unhex(const std::string& s) { return std::strtod(s.c_str(), nullptr); }

struct Position {
  i64 epoch = 0;  // 0-based epoch being run
  i64 batch = 0;  // next batch within it
  i64 step = 0;   // steps done so far
  double epoch_loss_sum = 0;
  i64 epoch_batches = 0;
};

// The recipe fields a checkpoint must agree with to be resumed by this run.
const char* const kRecipeKeys[] = {"seed", "batch_size", "lr", "momentum", "dropout", "norm_mean", "norm_std",
                                   "data_train_images_sha256"};

std::map<std::string, std::string> recipe_metadata(const TrainOptions& o, const std::string& train_images_sha) {
  return {{"seed", std::to_string(o.seed)},
          {"batch_size", std::to_string(o.batch_size)},
          {"lr", hex(o.lr)},
          {"momentum", hex(o.momentum)},
          {"dropout", o.dropout ? "1" : "0"},
          {"norm_mean", hex(o.norm_mean)},
          {"norm_std", hex(o.norm_std)},
          {"data_train_images_sha256", train_images_sha}};
}

void save_training_checkpoint(const std::string& path, const nn::Module& model, nn::SGD& opt, const Position& pos,
                              const std::map<std::string, std::string>& recipe) {
  nn::Checkpoint ckpt;
  for (const auto& p : model.parameters()) ckpt.tensors.push_back({p.name, p.tensor.to(Device::CPU)});
  for (const auto& b : opt.momentum_buffers())
    ckpt.tensors.push_back({"momentum." + b.name, b.tensor.to(Device::CPU)});
  ckpt.metadata = recipe;
  ckpt.metadata["format"] = "lockstep-train-v1";
  ckpt.metadata["epoch"] = std::to_string(pos.epoch);
  ckpt.metadata["batch"] = std::to_string(pos.batch);
  ckpt.metadata["step"] = std::to_string(pos.step);
  ckpt.metadata["epoch_loss_sum"] = hex(pos.epoch_loss_sum);
  ckpt.metadata["epoch_batches"] = std::to_string(pos.epoch_batches);
  ckpt.metadata["fingerprint"] = nn::fingerprint(model);
  nn::save_checkpoint(path, ckpt);
}

i64 metadata_int(const nn::Checkpoint& c, const std::string& path, const std::string& key) {
  auto it = c.metadata.find(key);
  LS_CHECK(it != c.metadata.end(), IoError, path, ": not a lockstep training checkpoint (no '", key, "' metadata)");
  try {
    size_t used = 0;
    const long long v = std::stoll(it->second, &used);
    LS_CHECK(used == it->second.size() && v >= 0, IoError, path, ": metadata '", key, "' is not a count: '",
             it->second, "'");
    return v;
  } catch (const std::logic_error&) {
    throw IoError(path + ": metadata '" + key + "' is not a count: '" + it->second + "'");
  }
}

Position load_training_checkpoint(const std::string& path, nn::Module& model, nn::SGD& opt,
                                  const std::map<std::string, std::string>& recipe) {
  const nn::Checkpoint c = nn::load_checkpoint(path);
  auto fmt_it = c.metadata.find("format");
  LS_CHECK(fmt_it != c.metadata.end() && fmt_it->second == "lockstep-train-v1", IoError, path,
           ": not a lockstep training checkpoint (format metadata missing or unknown)");
  for (const char* key : kRecipeKeys) {
    auto it = c.metadata.find(key);
    const std::string have = it == c.metadata.end() ? "(missing)" : it->second;
    LS_CHECK(have == recipe.at(key), Error, "resume: ", path, " was written with ", key, " = ", have,
             ", this run has ", recipe.at(key), "; resume with the same recipe");
  }
  auto restore = [&](const std::string& name, Tensor& into) {
    const Tensor& t = c.get(name);
    LS_CHECK(t.shape() == into.shape(), IoError, path, ": tensor '", name, "' has shape ", t.shape(),
             ", the model expects ", into.shape());
    std::copy(t.data<float>(), t.data<float>() + t.numel(), into.data<float>());
  };
  for (auto& p : model.parameters()) restore(p.name, p.tensor);
  for (auto& b : opt.momentum_buffers()) restore("momentum." + b.name, b.tensor);
  Position pos;
  pos.epoch = metadata_int(c, path, "epoch");
  pos.batch = metadata_int(c, path, "batch");
  pos.step = metadata_int(c, path, "step");
  pos.epoch_batches = metadata_int(c, path, "epoch_batches");
  pos.epoch_loss_sum = unhex(c.metadata.at("epoch_loss_sum"));
  return pos;
}

json data_json(const nn::MnistDataset& ds) {
  json files = json::object();
  for (const std::string& p : {ds.train.images_path, ds.train.labels_path, ds.test.images_path, ds.test.labels_path})
    files[p] = nn::sha256_file(p);
  return {{"dir", ds.dir}, {"train", ds.train.count}, {"test", ds.test.count}, {"sha256", files}};
}

}  // namespace

json options_to_json(const TrainOptions& o) {
  return {{"data", o.data},
          {"epochs", o.epochs},
          {"batch_size", o.batch_size},
          {"test_batch_size", o.test_batch_size},
          {"lr", hex(o.lr)},
          {"momentum", hex(o.momentum)},
          {"seed", o.seed},
          {"mode", std::string(mode_name(o.mode))},
          {"device", o.device},
          {"max_steps", o.max_steps},
          {"dropout", o.dropout},
          {"norm_mean", hex(o.norm_mean)},
          {"norm_std", hex(o.norm_std)}};
}

TrainOptions options_from_json(const json& r) {
  TrainOptions o;
  o.data = r.at("data").get<std::string>();
  o.epochs = r.at("epochs").get<int>();
  o.batch_size = r.at("batch_size").get<i64>();
  o.test_batch_size = r.at("test_batch_size").get<i64>();
  o.lr = static_cast<float>(unhex(r.at("lr").get<std::string>()));
  o.momentum = static_cast<float>(unhex(r.at("momentum").get<std::string>()));
  o.seed = r.at("seed").get<std::uint64_t>();
  o.mode = parse_mode(r.at("mode").get<std::string>());
  o.device = r.at("device").get<std::string>();
  o.max_steps = r.at("max_steps").get<i64>();
  o.dropout = r.at("dropout").get<bool>();
  o.norm_mean = static_cast<float>(unhex(r.at("norm_mean").get<std::string>()));
  o.norm_std = static_cast<float>(unhex(r.at("norm_std").get<std::string>()));
  return o;
}

TrainResult run_training(const TrainOptions& o, const std::atomic<bool>* stop, const StepObserver& observer) {
  LS_CHECK(o.device == "cpu" || o.device == "cuda", Error, "train: expected --device cpu or cuda, got '", o.device,
           "'");
  const Device device = o.device == "cuda" ? Device::CUDA : Device::CPU;
  if (const std::string why = device_unavailable_reason(device); !why.empty())
    throw DeviceError("train: --device " + o.device + ": " + why + "; use --device cpu");
  LS_CHECK(o.epochs >= 1 && o.batch_size >= 1 && o.test_batch_size >= 1, Error,
           "train: epochs, batch sizes must be >= 1 (got epochs=", o.epochs, ", batch-size=", o.batch_size,
           ", test-batch-size=", o.test_batch_size, ")");
  LS_CHECK(std::isfinite(o.lr) && o.lr >= 0 && std::isfinite(o.momentum) && o.momentum >= 0, Error,
           "train: expected finite lr >= 0 and momentum >= 0");
  LS_CHECK(o.fingerprint_every >= 1, Error, "train: --fingerprint-every must be >= 1");
  if (o.threads > 0) set_num_threads(o.threads);
  set_default_mode(o.mode);
  ModeGuard mode_guard(o.mode);

  Progress progress(o.quiet);
  const nn::MnistDataset ds = nn::load_mnist_dir(o.data);
  LS_CHECK(ds.train.rows == 28 && ds.train.cols == 28, ShapeError, "train: the reference network needs 28x28 images, ",
           ds.dir, " has ", ds.train.rows, "x", ds.train.cols);
  // Normalised on the host (the same bits everywhere), then uploaded once.
  const Tensor train_x =
      nn::normalize_images(ds.train.images.data(), ds.train.count, 28, 28, o.norm_mean, o.norm_std).to(device);
  const Tensor train_y = nn::labels_tensor(ds.train.labels).to(device);
  const Tensor test_x =
      nn::normalize_images(ds.test.images.data(), ds.test.count, 28, 28, o.norm_mean, o.norm_std).to(device);
  const Tensor test_y = nn::labels_tensor(ds.test.labels).to(device);
  const json data = data_json(ds);
  const auto recipe = recipe_metadata(o, nn::sha256_file(ds.train.images_path));

  nn::MnistNet model({o.seed, o.dropout, 0.5f});
  nn::SGD opt(model.parameters(), o.lr, o.momentum);
  Position pos;
  if (!o.resume.empty()) {
    pos = load_training_checkpoint(o.resume, model, opt, recipe);
    progress.line(fmt::format("resumed from {} at epoch {}, batch {} (step {})", o.resume, pos.epoch + 1, pos.batch,
                              pos.step));
  }
  // Initialised (or restored) on the host, then moved: the same starting bits on every device.
  nn::move_to_device(model.parameters(), device);
  nn::move_to_device(opt.momentum_buffers(), device);

  const std::string manifest_path =
      !o.manifest.empty() ? o.manifest : (o.checkpoint_dir.empty() ? "" : o.checkpoint_dir + "/manifest.json");
  if (!o.checkpoint_dir.empty()) fs::create_directories(o.checkpoint_dir);
  json manifest = {{"lockstep_manifest", 1},
                   {"command_line", o.command_line},
                   {"recipe", options_to_json(o)},
                   {"threads", num_threads()},
                   {"resumed_from", o.resume},
                   {"data", data},
                   {"build", build_facts()},
                   {"epochs", json::array()},
                   {"step_fingerprints", json::object()},
                   {"fingerprint_every", o.fingerprint_every}};
  auto write_manifest = [&] {
    if (!manifest_path.empty()) nn::write_file_atomically(manifest_path, manifest.dump(2) + "\n");
  };
  if (!o.quiet)
    progress.line(fmt::format("lockstep train: {} train / {} test images from {}, {} mode, {} thread(s), seed {}",
                              ds.train.count, ds.test.count, ds.dir, mode_name(o.mode), num_threads(), o.seed));

  TrainResult result;
  const i64 steps_per_epoch = (ds.train.count + o.batch_size - 1) / o.batch_size;
  auto checkpoint = [&](const std::string& name) {
    if (o.checkpoint_dir.empty()) return;
    save_training_checkpoint(o.checkpoint_dir + "/" + name, model, opt, pos, recipe);
  };
  bool done = false;
  for (; pos.epoch < o.epochs && !done; ++pos.epoch) {
    const std::vector<i64> order = random::data_order(o.seed, static_cast<std::uint64_t>(pos.epoch), ds.train.count);
    const Tensor order_on_device =
        device == Device::CPU ? Tensor() : Tensor::from_ints(order, {ds.train.count}).to(device);
    const auto t0 = std::chrono::steady_clock::now();
    i64 samples = 0;
    for (; pos.batch < steps_per_epoch; ++pos.batch) {
      if (o.max_steps >= 0 && pos.step >= o.max_steps) {
        done = true;
        break;
      }
      const i64 begin = pos.batch * o.batch_size, end = std::min(ds.train.count, begin + o.batch_size);
      const nn::Batch batch = device == Device::CPU ? nn::gather_batch(train_x, train_y, order, begin, end)
                                                    : nn::gather_batch(train_x, train_y, order_on_device, begin, end);
      const float loss = nn::train_step(model, opt, batch, pos.step);
      ++pos.step;
      pos.epoch_loss_sum += loss;
      ++pos.epoch_batches;
      samples += end - begin;
      if (pos.step % o.fingerprint_every == 0) {
        const std::string fp = nn::fingerprint(model);
        manifest["step_fingerprints"][std::to_string(pos.step)] = fp;
        result.step_fingerprints.emplace_back(pos.step, fp);
        if (observer && !observer(pos.step, fp)) {
          done = true;
          ++pos.batch;
          break;
        }
      }
      const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      progress.update(static_cast<int>(pos.epoch + 1), o.epochs, pos.batch + 1, steps_per_epoch, loss,
                      secs > 0 ? samples / secs : 0.0);
      if (o.checkpoint_every > 0 && pos.step % o.checkpoint_every == 0) {
        ++pos.batch;
        checkpoint("last.safetensors");
        --pos.batch;
      }
      if (stop && stop->load()) {
        ++pos.batch;
        checkpoint("last.safetensors");
        write_manifest();
        progress.line(fmt::format("interrupted at epoch {}, batch {} (step {}); checkpoint {}", pos.epoch + 1,
                                  pos.batch, pos.step,
                                  o.checkpoint_dir.empty() ? std::string("not written (no --checkpoint-dir)")
                                                           : o.checkpoint_dir + "/last.safetensors"));
        result.interrupted = true;
        result.steps = pos.step;
        result.fingerprint = nn::fingerprint(model);
        return result;
      }
    }
    if (done && pos.epoch_batches == 0) break;
    const double train_secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const nn::EvalResult ev = nn::evaluate(model, test_x, test_y, o.test_batch_size);
    EpochRecord rec;
    rec.epoch = static_cast<int>(pos.epoch + 1);
    rec.train_loss = pos.epoch_batches ? pos.epoch_loss_sum / static_cast<double>(pos.epoch_batches) : 0.0;
    rec.test_loss = ev.mean_loss();
    rec.correct = ev.correct;
    rec.total = ev.total;
    rec.seconds = train_secs;
    rec.samples_per_second = train_secs > 0 ? samples / train_secs : 0.0;
    rec.fingerprint = nn::fingerprint(model);
    result.epochs.push_back(rec);
    progress.line(fmt::format("epoch {}/{}{}: train loss {:.4f}, test loss {:.4f}, accuracy {}/{} ({:.2f}%), {:.1f} s, "
                              "{:.0f} samples/s",
                              rec.epoch, o.epochs, done ? " (stopped early)" : "", rec.train_loss, rec.test_loss,
                              rec.correct, rec.total, 100.0 * ev.accuracy(), rec.seconds, rec.samples_per_second));
    manifest["epochs"].push_back({{"epoch", rec.epoch},
                                  {"complete", !done},
                                  {"steps", pos.step},
                                  {"train_loss", rec.train_loss},
                                  {"test_loss", rec.test_loss},
                                  {"correct", rec.correct},
                                  {"total", rec.total},
                                  {"accuracy", ev.accuracy()},
                                  {"seconds", rec.seconds},
                                  {"samples_per_second", rec.samples_per_second},
                                  {"fingerprint", rec.fingerprint}});
    if (!done) {
      Position next{pos.epoch + 1, 0, pos.step, 0.0, 0};
      std::swap(pos, next);
      checkpoint(fmt::format("epoch-{}.safetensors", rec.epoch));
      checkpoint("last.safetensors");
      std::swap(pos, next);
      pos.batch = 0;
      pos.epoch_loss_sum = 0;
      pos.epoch_batches = 0;
    }
    write_manifest();
  }
  result.steps = pos.step;
  result.fingerprint = nn::fingerprint(model);
  manifest["final"] = {{"steps", result.steps}, {"fingerprint", result.fingerprint}};
  write_manifest();
  return result;
}

}  // namespace lockstep::cli

// `lockstep study training`: R runs of the reference recipe (nn::reference_mnist()) in fast
// mode across thread counts and R runs in deterministic mode, stepped side by side on the same
// batches, each compared after every step with the reference run (the first deterministic
// one): loss, L2 and max-abs parameter distance, bitwise equality. Plus the one-bit
// experiment: the reference run with the lowest mantissa bit of one fc1 weight flipped before
// step 0, trained deterministically. With --device cuda the reference stays a deterministic
// CPU run and every other run trains on the GPU (tools/study/training_runs.h).
#include <algorithm>
#include <bit>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <set>

#include <fmt/core.h>

#include "core/mode.h"
#include "core/random.h"
#include "cpu/parallel.h"
#include "nn/idx.h"
#include "nn/models.h"
#include "nn/training.h"
#include "tools/lockstep/process_settings.h"
#include "tools/study/report.h"
#include "tools/study/study.h"
#include "tools/study/training_runs.h"

namespace lockstep::study {
namespace {

namespace fs = std::filesystem;

std::uint64_t mix64(std::uint64_t z) {
  z += 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// Synthetic, learnable data (as tests/nn/mnist_net_test.cpp): class c lights a c-dependent band
// of rows on top of hash noise. Used when no MNIST directory is found.
nn::Batch synthetic_batch(std::uint64_t first_id, i64 batch) {
  std::vector<float> x(static_cast<size_t>(batch * 784));
  std::vector<i64> y(static_cast<size_t>(batch));
  for (i64 n = 0; n < batch; ++n) {
    const std::uint64_t id = first_id + static_cast<std::uint64_t>(n);
    const i64 label = static_cast<i64>(mix64(id) % 10);
    y[static_cast<size_t>(n)] = label;
    for (i64 i = 0; i < 784; ++i) {
      const i64 row = i / 28;
      const float band = (row >= 2 * label + 4 && row < 2 * label + 8) ? 2.0f : 0.0f;
      const double u = static_cast<double>(mix64(id * 0x100000001B3ull + static_cast<std::uint64_t>(i)) >> 40) / 16777216.0;
      x[static_cast<size_t>(n * 784 + i)] = band + static_cast<float>(u - 0.5);
    }
  }
  return {Tensor::from_vector(x, {batch, 1, 28, 28}), Tensor::from_ints(y, {batch})};
}

// The experiment's sizes: thread counts, runs per mode, steps, test images (-1: all).
struct Sizes {
  std::vector<int> threads;
  int runs = 0;
  i64 steps = 0, test_limit = -1;
};

Sizes sizes_of(const StudyOptions& o) {
  Sizes s;
  s.threads = !o.threads.empty() ? o.threads : (o.quick ? std::vector<int>{1, 2} : std::vector<int>{1, 2, 3, 4});
  s.runs = o.runs > 0 ? o.runs : (o.quick ? 2 : 4);
  s.steps = o.steps > 0 ? o.steps : (o.quick ? 30 : 500);
  s.test_limit = o.quick ? 512 : -1;
  return s;
}

// MNIST when the directory holds it (normalised as the recipe says), else synthetic data.
struct StudyData {
  bool synthetic = false;
  std::string note;  // for the report
  Tensor train_x, train_y, test_x, test_y;
  i64 train_count = 0;
};

StudyData load_data(const StudyOptions& o, const nn::Recipe& recipe, i64 test_limit) {
  StudyData d;
  try {
    const nn::MnistDataset ds = nn::load_mnist_dir(o.data);
    const i64 rows = recipe.input.height, cols = recipe.input.width;
    LS_CHECK(recipe.input.channels == 1 && ds.train.rows == rows && ds.train.cols == cols, ShapeError,
             "study training: the recipe's model takes ", nn::shape_text(recipe.input), " images, ", ds.dir, " has 1x",
             ds.train.rows, "x", ds.train.cols);
    d.train_x = nn::normalize_images(ds.train.images.data(), ds.train.count, rows, cols, recipe.norm_mean, recipe.norm_std);
    d.train_y = nn::labels_tensor(ds.train.labels);
    const i64 nt = test_limit > 0 ? std::min(test_limit, ds.test.count) : ds.test.count;
    d.test_x = nn::normalize_images(ds.test.images.data(), nt, rows, cols, recipe.norm_mean, recipe.norm_std);
    d.test_y = nn::labels_tensor(std::vector<std::uint8_t>(ds.test.labels.begin(), ds.test.labels.begin() + nt));
    d.train_count = ds.train.count;
    d.note = fmt::format("MNIST from `{}`: {} training images, the first {} of {} test images for accuracy", ds.dir,
                         ds.train.count, nt, ds.test.count);
  } catch (const IoError& e) {
    d.synthetic = true;
    const nn::Batch test = synthetic_batch(1ull << 40, 512);
    d.test_x = test.x;
    d.test_y = test.y;
    d.note = fmt::format(
        "**synthetic data** (no MNIST found at `{}`: {}): class c lights a band of rows on hash noise, as in "
        "tests/nn/mnist_net_test.cpp; accuracy is on 512 held-out synthetic images",
        o.data, e.what());
  }
  return d;
}

// The batch of each step, as `lockstep train` forms it: the recipe's batch size, each
// epoch's data order. The order is this source's own, so every study draws its seed's.
class BatchSource {
 public:
  BatchSource(const StudyData& data, const nn::Recipe& recipe)
      : data_(data), batch_(recipe.batch_size), seed_(recipe.seed) {}

  nn::Batch at(i64 step) {
    if (data_.synthetic) return synthetic_batch(static_cast<std::uint64_t>(step * batch_), batch_);
    const i64 n = data_.train_count, per_epoch = (n + batch_ - 1) / batch_, epoch = step / per_epoch;
    const i64 b = step % per_epoch;
    if (order_epoch_ != epoch) {
      order_ = random::data_order(seed_, static_cast<std::uint64_t>(epoch), n);
      order_epoch_ = epoch;
    }
    return nn::gather_batch(data_.train_x, data_.train_y, order_, b * batch_, std::min(n, (b + 1) * batch_));
  }

 private:
  const StudyData& data_;
  i64 batch_;
  std::uint64_t seed_;
  std::vector<i64> order_;
  i64 order_epoch_ = -1;
};

// Each run's model and optimiser, initialised on the host from the recipe's seed.
void build_models(std::vector<Run>& runs, const nn::Recipe& recipe) {
  for (Run& r : runs) {
    r.net = nn::make_model(recipe);
    r.opt = std::make_unique<nn::SGD>(r.net->parameters(), recipe.lr, recipe.momentum);
  }
}

// Moves each run's parameters and momentum buffers to its device, as `lockstep train` does:
// initialised (and the one bit flipped) on the host, then moved, so every device starts from
// the same bits.
void move_to_devices(std::vector<Run>& runs) {
  for (Run& r : runs) {
    nn::move_to_device(r.net->parameters(), r.device);
    nn::move_to_device(r.opt->momentum_buffers(), r.device);
  }
}

struct BitFlip {
  float from = 0, to = 0;
};

// Flips the lowest mantissa bit of fc1.weight[0] in `r`.
BitFlip flip_lowest_bit(Run& r) {
  BitFlip flip;
  for (auto& p : r.net->parameters())
    if (p.name == "fc1.weight") {
      float& w = p.tensor.data<float>()[0];
      flip.from = w;
      w = std::bit_cast<float>(std::bit_cast<std::uint32_t>(w) ^ 1u);
      flip.to = w;
    }
  return flip;
}

// Every parameter's values on the host (copied back from a device).
std::vector<float> flat_params(const nn::Module& m) {
  std::vector<float> v;
  for (const auto& p : m.parameters()) {
    const Tensor host = p.tensor.to(Device::CPU);  // the tensor itself when already there
    v.insert(v.end(), host.data<float>(), host.data<float>() + host.numel());
  }
  return v;
}

std::uint64_t hash_of(const std::vector<float>& v) {
  std::uint64_t h = 1469598103934665603ull;
  for (float f : v) h = (h ^ std::bit_cast<std::uint32_t>(f)) * 1099511628211ull;
  return h;
}

// After step `step`: each run's distance to the reference, written to the steps CSV.
void compare_with_reference(std::vector<Run>& runs, i64 step, Csv& csv, Agreement& agreement) {
  const std::vector<float> ref = flat_params(*runs[0].net);
  double ref_norm = 0;
  for (float f : ref) ref_norm += double(f) * double(f);
  ref_norm = std::sqrt(ref_norm);
  std::set<std::uint64_t> det_h, fast_h;
  for (Run& r : runs) {
    const std::vector<float> p = flat_params(*r.net);
    double s2 = 0, mx = 0;
    bool equal = true;
    for (size_t i = 0; i < p.size(); ++i) {
      const double d = double(p[i]) - double(ref[i]);
      s2 += d * d;
      mx = std::max(mx, std::fabs(d));
      equal = equal && std::bit_cast<std::uint32_t>(p[i]) == std::bit_cast<std::uint32_t>(ref[i]);
    }
    r.l2 = std::sqrt(s2);
    r.maxabs = mx;
    r.l2_history.push_back(r.l2);
    if (!equal && r.first_diff < 0) r.first_diff = step + 1;
    if (r.first_loss_diff < 0 && std::bit_cast<std::uint32_t>(r.loss) != std::bit_cast<std::uint32_t>(runs[0].loss))
      r.first_loss_diff = step;
    if (r.kind == "fast") fast_h.insert(hash_of(p));
    if (r.kind == "ref" || r.kind == "det") det_h.insert(hash_of(p));
    csv << r.name << r.kind << std::string(mode_name(r.mode)) << std::string(device_name(r.device)) << r.threads
        << static_cast<std::int64_t>(step + 1)
        << static_cast<double>(r.loss) << r.l2 << r.maxabs << (ref_norm > 0 ? r.l2 / ref_norm : 0.0)
        << static_cast<std::int64_t>(equal);
    csv.end_row();
  }
  if (fast_h.size() > 1) {
    ++agreement.fast_disagree_steps;
    if (agreement.fast_first_disagree < 0) agreement.fast_first_disagree = step + 1;
  }
  if (det_h.size() > 1) ++agreement.det_disagree_steps;
}

// A batch (or the test set) on the host, and a copy on the GPU made when a run there needs it.
class OnDevices {
 public:
  explicit OnDevices(nn::Batch host) : host_(std::move(host)) {}
  const nn::Batch& on(Device d) {
    if (d == Device::CPU) return host_;
    if (!device_.x.defined()) device_ = {host_.x.to(d), host_.y.to(d)};
    return device_;
  }

 private:
  nn::Batch host_, device_;
};

// One training step of one run, on its device: the one place a run trains.
void step_run(Run& r, OnDevices& batch, i64 step) {
  ModeGuard g(r.mode);
  if (r.device == Device::CPU) set_num_threads(r.threads);  // the host's thread count plays no part on a GPU
  r.loss = nn::train_step(*r.net, *r.opt, batch.on(r.device), step);
}

Agreement train_runs(std::vector<Run>& runs, BatchSource& batches, i64 steps, Csv& csv) {
  Agreement agreement;
  for (i64 step = 0; step < steps; ++step) {
    OnDevices batch(batches.at(step));
    for (Run& r : runs) step_run(r, batch, step);
    compare_with_reference(runs, step, csv, agreement);
  }
  return agreement;
}

void evaluate_runs(std::vector<Run>& runs, const StudyData& data, i64 batch_size, Csv& csv) {
  OnDevices test({data.test_x, data.test_y});
  for (Run& r : runs) {
    if (r.device == Device::CPU) set_num_threads(r.threads);
    ModeGuard g(r.mode);
    const nn::Batch& t = test.on(r.device);
    r.eval = nn::evaluate(*r.net, t.x, t.y, batch_size);
    csv << r.name << r.kind << std::string(mode_name(r.mode)) << std::string(device_name(r.device)) << r.threads
        << static_cast<std::int64_t>(r.first_diff)
        << static_cast<std::int64_t>(r.first_loss_diff) << r.l2 << r.maxabs << static_cast<double>(r.loss)
        << static_cast<std::int64_t>(r.eval.correct) << static_cast<std::int64_t>(r.eval.total) << r.eval.accuracy()
        << nn::fingerprint(*r.net);
    csv.end_row();
  }
}

template <class T, class F>
std::string join_each(const std::vector<T>& items, F text) {
  std::vector<std::string> s;
  for (const T& item : items) s.push_back(text(item));
  return join(s, ", ");
}

// What a report needs beyond the runs: the sizes, the agreement counts, the bit flip, the data.
struct Outcome {
  const Sizes& sizes;
  const Agreement& agreement;
  BitFlip flip;
  const StudyData& data;
  const nn::Recipe& recipe;
};

void report_accuracy_and_bit_flip(Report& rep, const std::vector<Run>& runs, const Outcome& out) {
  std::vector<double> acc_det, acc_fast;
  for (const Run* r : runs_of(runs, {"ref", "det"})) acc_det.push_back(r->eval.accuracy());
  for (const Run* r : runs_of(runs, {"fast"})) acc_fast.push_back(r->eval.accuracy());
  const Stats sd = stats_of(acc_det), sf = stats_of(acc_fast);
  rep.line(fmt::format("- Final test accuracy: deterministic {} .. {}, fast {} .. {} (spread {} and {} percentage points).",
                       fmt_pct(sd.min), fmt_pct(sd.max), fmt_pct(sf.min), fmt_pct(sf.max),
                       fmt::format("{:.2f}", 100 * (sd.max - sd.min)), fmt::format("{:.2f}", 100 * (sf.max - sf.min))));
  const Run& onebit = runs.back();
  auto distance_at = [&](i64 s) {
    return fmt::format("{} after step {}", fmt_g(onebit.l2_history[static_cast<size_t>(s - 1)]), s);
  };
  const BitFlip& f = out.flip;
  rep.line(fmt::format("- One bit: flipping the lowest mantissa bit of fc1.weight[0] ({:a} -> {:a}, a change of {}) "
                       "before step 0 moved the deterministic run's parameters away from the reference by {}; its final "
                       "accuracy was {} against the reference's {}.",
                       f.from, f.to, fmt_g(std::fabs(double(f.to) - double(f.from))),
                       join_each(mark_steps(out.sizes.steps), distance_at), fmt_pct(onebit.eval.accuracy()),
                       fmt_pct(runs[0].eval.accuracy())));
}

void report_setup(Report& rep, const StudyOptions& o, const std::vector<Run>& runs, const Outcome& out) {
  rep.para(fmt::format("Machine: {}. Command: `{}`. Seed {}{}.", machine_summary(), o.command_line, o.seed,
                       o.quick ? ", quick variant" : ""));
  rep.para(fmt::format(
      "The reference CNN (PyTorch's MNIST example: batch {}, lr {}, momentum {}, dropout {}) trained for {} steps on {}. "
      "{} (L2 and max-abs distance over all {} parameters, and bitwise equality).",
      out.recipe.batch_size, out.recipe.lr, out.recipe.momentum, out.recipe.dropout ? "on" : "off", out.sizes.steps,
      out.data.note, runs_description(runs, out.sizes.threads, out.sizes.runs), flat_params(*runs[0].net).size()));
  rep.para(training_gpu_paragraph(runs, cuda_available()));
}

void report_runs_table(Report& rep, const std::vector<Run>& runs) {
  std::vector<std::vector<std::string>> rows;
  for (const Run& r : runs)
    rows.push_back({"`" + r.name + "`", r.kind, where(r),
                    r.first_diff < 0 ? "never" : std::to_string(r.first_diff), fmt_g(r.l2), fmt_g(r.maxabs),
                    fmt::format("{:.4f}", r.loss),
                    fmt::format("{}/{} ({})", r.eval.correct, r.eval.total, fmt_pct(r.eval.accuracy()))});
  rep.heading("Runs");
  rep.table({"run", "kind", "device, threads", "first step differing from reference", "final L2 to reference", "final max-abs",
             "last loss", "test accuracy"},
            rows);
}

// The plots (made from the closed CSV files), their links and the list of files.
void report_plots_and_files(Report& rep, const std::string& out_dir, const std::string& plots) {
  rep.heading("Plots");
  if (!plots.empty()) rep.para("Plots skipped: " + plots + ".");
  rep.image(out_dir, "training_divergence.png", "L2 parameter distance to the reference run against step (log scale); runs at distance 0 are listed in the legend");
  rep.image(out_dir, "training_loss.png", "Training loss per step, every run");
  rep.image(out_dir, "training_accuracy.png", "Final test accuracy per run");
  rep.image(out_dir, "training_onebit.png", "One flipped bit: distance to the reference against step (log scale)");
  rep.heading("Files");
  rep.para("`training_steps.csv` (per run and step: loss, distances, bitwise equality), `training_runs.csv` (per run: "
           "first differing step, final distance, accuracy, fingerprint).");
}

}  // namespace

int run_training(const StudyOptions& o) {
  require_device(o, "training");  // before anything is written: no partial report
  const auto t0 = std::chrono::steady_clock::now();
  const cli::ProcessSettingsGuard restore_settings;  // the thread count changes run by run
  nn::Recipe recipe = nn::reference_mnist();
  recipe.seed = o.seed;
  const Sizes sizes = sizes_of(o);
  fs::create_directories(o.out);
  const StudyData data = load_data(o, recipe, sizes.test_limit);
  BatchSource batches(data, recipe);
  std::vector<Run> runs = plan_runs(sizes.threads, sizes.runs, o.device);
  build_models(runs, recipe);
  const BitFlip flip = flip_lowest_bit(runs.back());
  move_to_devices(runs);

  Csv steps_csv(o.out + "/training_steps.csv",
                {"run", "kind", "mode", "device", "threads", "step", "loss", "l2_to_ref", "maxabs_to_ref", "rel_l2_to_ref", "bits_equal_ref"});
  const Agreement agreement = train_runs(runs, batches, sizes.steps, steps_csv);
  Csv runs_csv(o.out + "/training_runs.csv", {"run", "kind", "mode", "device", "threads", "first_diff_step", "first_loss_diff_step",
                                              "final_l2_to_ref", "final_maxabs_to_ref", "final_loss", "test_correct",
                                              "test_total", "accuracy", "fingerprint"});
  evaluate_runs(runs, data, recipe.test_batch_size, runs_csv);
  steps_csv.close();
  runs_csv.close();

  // The report: every sentence from the numbers above.
  const Outcome out{sizes, agreement, flip, data, recipe};
  Report rep("lockstep study training: how far do runs drift apart?");
  report_setup(rep, o, runs, out);
  rep.heading("Findings");
  for (const std::string& line : mode_findings(runs, sizes.steps, agreement)) rep.line(line);
  report_accuracy_and_bit_flip(rep, runs, out);
  rep.line("");
  report_runs_table(rep, runs);
  const std::string plots = make_plots("training", o.out);
  report_plots_and_files(rep, o.out, plots);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  rep.para(fmt::format("Run time {:.1f} s.", secs));
  rep.write(o.out + "/report.md");
  std::printf("study training: wrote %s/report.md (%.1f s)%s\n", o.out.c_str(), secs, data.synthetic ? " [synthetic data]" : "");
  for (const std::string& line : training_console_lines(runs, sizes.steps)) std::printf("  %s\n", line.c_str());
  if (!plots.empty()) std::printf("  plots skipped: %s\n", plots.c_str());
  return 0;
}

}  // namespace lockstep::study

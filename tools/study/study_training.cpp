// `lockstep study training`: R runs of the reference CNN in fast mode across thread counts and
// R runs in deterministic mode, stepped side by side on the same batches, each compared after
// every step with the reference run (the first deterministic one): loss, L2 and max-abs
// parameter distance, bitwise equality. Plus the one-bit experiment: the reference run with
// the lowest mantissa bit of one fc1 weight flipped before step 0, trained deterministically.
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
#include "nn/mnist_net.h"
#include "nn/training.h"
#include "tools/study/report.h"
#include "tools/study/study.h"

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

struct Run {
  std::string name, kind;  // kind: ref | det | fast | onebit
  Mode mode = Mode::Deterministic;
  int threads = 1;
  std::unique_ptr<nn::MnistNet> net;
  std::unique_ptr<nn::SGD> opt;
  i64 first_diff = -1, first_loss_diff = -1;
  float loss = 0;
  double l2 = 0, maxabs = 0;
  std::vector<double> l2_history;
  nn::EvalResult eval;
};

std::vector<float> flat_params(const nn::Module& m) {
  std::vector<float> v;
  for (const auto& p : m.parameters()) v.insert(v.end(), p.tensor.data<float>(), p.tensor.data<float>() + p.tensor.numel());
  return v;
}

std::uint64_t hash_of(const std::vector<float>& v) {
  std::uint64_t h = 1469598103934665603ull;
  for (float f : v) h = (h ^ std::bit_cast<std::uint32_t>(f)) * 1099511628211ull;
  return h;
}

}  // namespace

int run_training(const StudyOptions& o) {
  const auto t0 = std::chrono::steady_clock::now();
  const std::vector<int> threads = !o.threads.empty() ? o.threads : (o.quick ? std::vector<int>{1, 2} : std::vector<int>{1, 2, 3, 4});
  const int R = o.runs > 0 ? o.runs : (o.quick ? 2 : 4);
  const i64 S = o.steps > 0 ? o.steps : (o.quick ? 30 : 500);
  const i64 B = 32, test_limit = o.quick ? 512 : -1;
  const float lr = 0.01f, momentum = 0.5f;
  fs::create_directories(o.out);
  const int saved_threads = num_threads();

  // Data: MNIST when the directory holds it, else synthetic.
  bool synthetic = false;
  std::string data_note;
  Tensor train_x, train_y, test_x, test_y;
  i64 train_count = 0;
  try {
    const nn::MnistDataset ds = nn::load_mnist_dir(o.data);
    train_x = nn::normalize_images(ds.train.images.data(), ds.train.count, 28, 28, 0.1307f, 0.3081f);
    train_y = nn::labels_tensor(ds.train.labels);
    i64 nt = test_limit > 0 ? std::min(test_limit, ds.test.count) : ds.test.count;
    test_x = nn::normalize_images(ds.test.images.data(), nt, 28, 28, 0.1307f, 0.3081f);
    std::vector<std::uint8_t> tl(ds.test.labels.begin(), ds.test.labels.begin() + nt);
    test_y = nn::labels_tensor(tl);
    train_count = ds.train.count;
    data_note = fmt::format("MNIST from `{}`: {} training images, the first {} of {} test images for accuracy",
                            ds.dir, ds.train.count, nt, ds.test.count);
  } catch (const IoError& e) {
    synthetic = true;
    const nn::Batch test = synthetic_batch(1ull << 40, 512);
    test_x = test.x;
    test_y = test.y;
    data_note = fmt::format(
        "**synthetic data** (no MNIST found at `{}`: {}): class c lights a band of rows on hash noise, as in "
        "tests/nn/mnist_net_test.cpp; accuracy is on 512 held-out synthetic images",
        o.data, e.what());
  }
  auto batch_at = [&](i64 step) {
    if (synthetic) return synthetic_batch(static_cast<std::uint64_t>(step * B), B);
    const i64 per_epoch = (train_count + B - 1) / B, epoch = step / per_epoch, b = step % per_epoch;
    static std::vector<i64> order;
    static i64 order_epoch = -1;
    if (order_epoch != epoch) order = random::data_order(o.seed, static_cast<std::uint64_t>(epoch), train_count), order_epoch = epoch;
    return nn::gather_batch(train_x, train_y, order, b * B, std::min(train_count, (b + 1) * B));
  };

  // The runs: det run 1 is the reference; run r uses threads[(r-1) % T].
  std::vector<Run> runs;
  auto add = [&](std::string name, std::string kind, Mode m, int t) {
    Run r;
    r.name = std::move(name);
    r.kind = std::move(kind);
    r.mode = m;
    r.threads = t;
    r.net = std::make_unique<nn::MnistNet>(nn::MnistNetOptions{o.seed, true, 0.5f});
    r.opt = std::make_unique<nn::SGD>(r.net->parameters(), lr, momentum);
    runs.push_back(std::move(r));
  };
  for (int r = 0; r < R; ++r) {
    const int t = threads[static_cast<size_t>(r) % threads.size()];
    add(fmt::format("det-{}-{}t", r + 1, t), r == 0 ? "ref" : "det", Mode::Deterministic, t);
  }
  for (int r = 0; r < R; ++r) {
    const int t = threads[static_cast<size_t>(r) % threads.size()];
    add(fmt::format("fast-{}-{}t", r + 1, t), "fast", Mode::Fast, t);
  }
  add(fmt::format("onebit-{}t", threads[0]), "onebit", Mode::Deterministic, threads[0]);
  // Flip the lowest mantissa bit of fc1.weight[0] in the one-bit run.
  float flipped_from = 0, flipped_to = 0;
  for (auto& p : runs.back().net->parameters())
    if (p.name == "fc1.weight") {
      float& w = p.tensor.data<float>()[0];
      flipped_from = w;
      w = std::bit_cast<float>(std::bit_cast<std::uint32_t>(w) ^ 1u);
      flipped_to = w;
    }

  Csv steps_csv(o.out + "/training_steps.csv",
                {"run", "kind", "mode", "threads", "step", "loss", "l2_to_ref", "maxabs_to_ref", "rel_l2_to_ref", "bits_equal_ref"});
  i64 fast_disagree_steps = 0, det_disagree_steps = 0;  // steps after which runs of one mode were not all equal
  i64 fast_first_disagree = -1;
  for (i64 step = 0; step < S; ++step) {
    const nn::Batch batch = batch_at(step);
    for (Run& r : runs) {
      set_num_threads(r.threads);
      ModeGuard g(r.mode);
      r.loss = nn::train_step(*r.net, *r.opt, batch, step);
    }
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
      steps_csv << r.name << r.kind << std::string(mode_name(r.mode)) << r.threads << static_cast<std::int64_t>(step + 1)
                << static_cast<double>(r.loss) << r.l2 << r.maxabs << (ref_norm > 0 ? r.l2 / ref_norm : 0.0)
                << static_cast<std::int64_t>(equal);
      steps_csv.end_row();
    }
    if (fast_h.size() > 1) {
      ++fast_disagree_steps;
      if (fast_first_disagree < 0) fast_first_disagree = step + 1;
    }
    if (det_h.size() > 1) ++det_disagree_steps;
  }
  Csv runs_csv(o.out + "/training_runs.csv", {"run", "kind", "mode", "threads", "first_diff_step", "first_loss_diff_step",
                                              "final_l2_to_ref", "final_maxabs_to_ref", "final_loss", "test_correct",
                                              "test_total", "accuracy", "fingerprint"});
  for (Run& r : runs) {
    set_num_threads(r.threads);
    ModeGuard g(r.mode);
    r.eval = nn::evaluate(*r.net, test_x, test_y, 64);
    runs_csv << r.name << r.kind << std::string(mode_name(r.mode)) << r.threads << static_cast<std::int64_t>(r.first_diff)
             << static_cast<std::int64_t>(r.first_loss_diff) << r.l2 << r.maxabs << static_cast<double>(r.loss)
             << static_cast<std::int64_t>(r.eval.correct) << static_cast<std::int64_t>(r.eval.total) << r.eval.accuracy()
             << nn::fingerprint(*r.net);
    runs_csv.end_row();
  }
  set_num_threads(saved_threads);

  // The report: every sentence from the numbers above.
  Report rep("lockstep study training: how far do runs drift apart?");
  rep.para(fmt::format("Machine: {}. Command: `{}`. Seed {}{}.", machine_summary(), o.command_line, o.seed,
                       o.quick ? ", quick variant" : ""));
  rep.para(fmt::format(
      "The reference CNN (PyTorch's MNIST example: batch {}, lr {}, momentum {}, dropout on) trained for {} steps on {}. "
      "{} deterministic and {} fast runs, thread counts cycling through {{{}}}, all from the same seed and fed the same "
      "batches; the first deterministic run (`{}`) is the reference every run is compared with after every step "
      "(L2 and max-abs distance over all {} parameters, and bitwise equality). GPU: {}.",
      B, lr, momentum, S, data_note, R, R,
      join([&] { std::vector<std::string> s; for (int t : threads) s.push_back(std::to_string(t)); return s; }(), ", "),
      runs[0].name, flat_params(*runs[0].net).size(),
      cuda_available() ? "a CUDA backend is registered but this study trains on the CPU only"
                       : "not measured (this build has no CUDA backend)"));

  std::vector<std::vector<std::string>> rows;
  for (const Run& r : runs)
    rows.push_back({"`" + r.name + "`", r.kind, std::to_string(r.threads),
                    r.first_diff < 0 ? "never" : std::to_string(r.first_diff), fmt_g(r.l2), fmt_g(r.maxabs),
                    fmt::format("{:.4f}", r.loss), fmt::format("{}/{} ({})", r.eval.correct, r.eval.total, fmt_pct(r.eval.accuracy()))});
  auto runs_of = [&](std::initializer_list<const char*> kinds) {
    std::vector<const Run*> v;
    for (const Run& r : runs)
      for (const char* k : kinds)
        if (r.kind == k) v.push_back(&r);
    return v;
  };
  const auto det = runs_of({"ref", "det"}), fast = runs_of({"fast"});
  const Run& onebit = runs.back();
  rep.heading("Findings");
  {
    int det_same = 0;
    for (const Run* r : det) det_same += r->first_diff < 0;
    rep.line(fmt::format("- Deterministic mode: {} of {} runs (thread counts {}) had bitwise the same parameters as the "
                         "reference after every one of the {} steps{}.",
                         det_same, det.size(),
                         join([&] { std::vector<std::string> s; for (auto* r : det) s.push_back(std::to_string(r->threads)); return s; }(), ", "),
                         S, det_disagree_steps ? fmt::format("; deterministic runs disagreed after {} steps", det_disagree_steps) : ""));
    int fast_diff = 0;
    i64 earliest = -1;
    double max_l2 = 0;
    for (const Run* r : fast) {
      if (r->first_diff >= 0) {
        ++fast_diff;
        earliest = earliest < 0 ? r->first_diff : std::min(earliest, r->first_diff);
      }
      max_l2 = std::max(max_l2, r->l2);
    }
    if (fast_diff == 0)
      rep.line(fmt::format("- Fast mode: all {} fast runs stayed bitwise equal to the reference for all {} steps (in this "
                           "build fast mode ran the same arithmetic as deterministic mode for this network).",
                           fast.size(), S));
    else
      rep.line(fmt::format("- Fast mode: {} of {} fast runs left the reference, the earliest after step {}; the largest "
                           "final L2 distance was {}. The fast runs differed from each other after {} of {} steps{}.",
                           fast_diff, fast.size(), earliest, fmt_g(max_l2), fast_disagree_steps, S,
                           fast_first_disagree > 0 ? fmt::format(" (first after step {})", fast_first_disagree) : ""));
    // Growth: the largest fast distance at a few steps.
    std::vector<i64> marks;  // steps 1, 10, 100, S/2, S that exist, in order, once each
    for (i64 s : {i64(1), i64(10), i64(100), S / 2, S})
      if (s >= 1 && s <= S && (marks.empty() || s > marks.back())) marks.push_back(s);
    std::vector<std::string> growth;
    for (i64 s : marks) {
      double m = 0;
      for (const Run* r : fast) m = std::max(m, r->l2_history[static_cast<size_t>(s - 1)]);
      growth.push_back(fmt::format("{} after step {}", fmt_g(m), s));
    }
    if (fast_diff > 0) rep.line("- Largest fast-run L2 distance to the reference: " + join(growth, ", ") + ".");
    std::vector<double> acc_det, acc_fast;
    for (const Run* r : det) acc_det.push_back(r->eval.accuracy());
    for (const Run* r : fast) acc_fast.push_back(r->eval.accuracy());
    const Stats sd = stats_of(acc_det), sf = stats_of(acc_fast);
    rep.line(fmt::format("- Final test accuracy: deterministic {} .. {}, fast {} .. {} (spread {} and {} percentage points).",
                         fmt_pct(sd.min), fmt_pct(sd.max), fmt_pct(sf.min), fmt_pct(sf.max),
                         fmt::format("{:.2f}", 100 * (sd.max - sd.min)), fmt::format("{:.2f}", 100 * (sf.max - sf.min))));
    std::vector<std::string> ob;
    for (i64 s : marks) ob.push_back(fmt::format("{} after step {}", fmt_g(onebit.l2_history[static_cast<size_t>(s - 1)]), s));
    rep.line(fmt::format("- One bit: flipping the lowest mantissa bit of fc1.weight[0] ({:a} -> {:a}, a change of {}) "
                         "before step 0 moved the deterministic run's parameters away from the reference by {}; its final "
                         "accuracy was {} against the reference's {}.",
                         flipped_from, flipped_to, fmt_g(std::fabs(double(flipped_to) - double(flipped_from))),
                         join(ob, ", "), fmt_pct(onebit.eval.accuracy()), fmt_pct(runs[0].eval.accuracy())));
  }
  rep.line("");
  rep.heading("Runs");
  rep.table({"run", "kind", "threads", "first step differing from reference", "final L2 to reference", "final max-abs",
             "last loss", "test accuracy"},
            rows);
  rep.heading("Plots");
  steps_csv.close();
  runs_csv.close();
  const std::string plots = make_plots("training", o.out);
  if (!plots.empty()) rep.para("Plots skipped: " + plots + ".");
  rep.image(o.out, "training_divergence.png", "L2 parameter distance to the reference run against step (log scale); runs at distance 0 are listed in the legend");
  rep.image(o.out, "training_loss.png", "Training loss per step, every run");
  rep.image(o.out, "training_accuracy.png", "Final test accuracy per run");
  rep.image(o.out, "training_onebit.png", "One flipped bit: distance to the reference against step (log scale)");
  rep.heading("Files");
  rep.para("`training_steps.csv` (per run and step: loss, distances, bitwise equality), `training_runs.csv` (per run: "
           "first differing step, final distance, accuracy, fingerprint).");
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  rep.para(fmt::format("Run time {:.1f} s.", secs));
  rep.write(o.out + "/report.md");
  std::printf("study training: wrote %s/report.md (%.1f s)%s\n", o.out.c_str(), secs, synthetic ? " [synthetic data]" : "");
  if (!plots.empty()) std::printf("  plots skipped: %s\n", plots.c_str());
  return 0;
}

}  // namespace lockstep::study

// `lockstep study kernels`: every op and pass of the reference network, run through the
// kernel registry in deterministic and fast mode at several thread counts (and repeats),
// compared element by element with the float64 references of reference/ and with the
// deterministic single-thread result. Inputs are seeded and have the network's shapes and
// realistic scales (normalised pixels, PyTorch's init bounds, small upstream gradients).
#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>
#include <set>

#include <fmt/core.h>

#include "core/mode.h"
#include "core/registry.h"
#include "cpu/thread_count_guard.h"
#include "reference/bounds.h"
#include "reference/conv2d_ref.h"
#include "reference/data.h"
#include "reference/digest.h"
#include "reference/linear_ref.h"
#include "reference/log_softmax_ref.h"
#include "reference/max_pool2d_ref.h"
#include "reference/nll_loss_ref.h"
#include "reference/relu_ref.h"
#include "tools/study/exact_sum.h"
#include "tools/study/report.h"
#include "tools/study/study.h"

namespace lockstep::study {
namespace {

using Vec = std::vector<float>;

using test::mix64;
std::vector<double> d64(const Vec& v) { return test::to_double(v); }

// One output of one pass: a kernel call in the current mode and its float64 reference.
struct Pass {
  std::string name;       // e.g. "conv2.bwd_weight dw"
  std::string op;         // registry name
  std::function<Vec()> run;
  std::vector<double> ref;
  std::vector<double> abs_sum;  // empty when no sum bound applies
  std::vector<std::int64_t> terms;
};

const char* const kBins[] = {"0", "1", "2", "3-4", "5-8", "9-16", "17-64", "65-256", ">256"};
constexpr int kBinCount = 9;
int bin_of(std::int64_t u) {
  u = std::abs(u);
  if (u <= 2) return static_cast<int>(u);
  if (u <= 4) return 3;
  if (u <= 8) return 4;
  if (u <= 16) return 5;
  if (u <= 64) return 6;
  if (u <= 256) return 7;
  return 8;
}

// Builds the passes in a fixed order: each input draws the next stream of the seed, so the
// inputs are the same whatever the options.
class PassMaker {
 public:
  PassMaker(i64 N, std::uint64_t seed) : N_(N), seed_(seed) {}
  std::vector<Pass> take() { return std::move(passes_); }

  // conv1 (1->10, 5x5) on normalised pixels, conv2 (10->20, 5x5) on post-relu activations.
  void conv_layers() {
    struct ConvCase {
      const char* name;
      i64 C, H, K;
      float xlo, xhi;
      bool data_grad;
    };
    for (const ConvCase cc : {ConvCase{"conv1", 1, 28, 10, -0.4242f, 2.8215f, false}, ConvCase{"conv2", 10, 12, 20, 0.0f, 1.0f, true}}) {
      const Conv2dGeom g{N_, cc.C, cc.H, cc.H, cc.K, 5, 5, cc.H - 4, cc.H - 4, 1, 0};
      const ref::Conv2dShape s{N_, cc.C, cc.H, cc.H, cc.K, 5, 5, 1, 0};
      const float bound = 1.0f / std::sqrt(static_cast<float>(cc.C * 25));
      const Vec x = U(s.x_size(), cc.xlo, cc.xhi), w = U(s.w_size(), -bound, bound), b = U(cc.K, -bound, bound);
      const Vec dy = U(s.y_size(), -0.01f, 0.01f);
      add_sums(std::string(cc.name) + ".fwd", "conv2d_fwd", [=] {
        Vec y(static_cast<size_t>(s.y_size()));
        kernel<OpKind::Conv2dFwd>(Device::CPU)(x.data(), w.data(), b.data(), y.data(), g);
        return y;
      }, ref::conv2d_fwd(d64(x), d64(w), d64(b), s));
      if (cc.data_grad)
        add_sums(std::string(cc.name) + ".bwd_data", "conv2d_bwd_data", [=] {
          Vec dx(static_cast<size_t>(s.x_size()));
          kernel<OpKind::Conv2dBwdData>(Device::CPU)(dy.data(), w.data(), dx.data(), g);
          return dx;
        }, ref::conv2d_bwd_data(d64(dy), d64(w), s));
      for (int which = 0; which < 2; ++which)
        add_sums(std::string(cc.name) + (which ? ".bwd_weight db" : ".bwd_weight dw"), "conv2d_bwd_weight", [=] {
          Vec dw(static_cast<size_t>(s.w_size())), db(static_cast<size_t>(cc.K));
          kernel<OpKind::Conv2dBwdWeight>(Device::CPU)(dy.data(), x.data(), dw.data(), db.data(), g);
          return which ? db : dw;
        }, which ? ref::conv2d_bwd_bias(d64(dy), s) : ref::conv2d_bwd_weight(d64(dy), d64(x), s));
    }
  }

  // max_pool2d 2x2 on conv1's output shape, relu on the pooled shape.
  void pool_and_relu() {
    const Pool2dGeom g{N_, 10, 24, 24, 2, 2, 12, 12, 2};
    const ref::Pool2dShape s{N_, 10, 24, 24, 2, 2};
    const Vec x = U(N_ * 10 * 24 * 24, -1.0f, 1.0f), dy = U(N_ * 10 * 12 * 12, -0.01f, 0.01f);
    const ref::MaxPool2dResult r = ref::max_pool2d_fwd(d64(x), s);
    add("pool1.fwd", "max_pool2d_fwd", [=] {
      Vec y(r.y.size());
      std::vector<i64> am(r.y.size());
      kernel<OpKind::MaxPool2dFwd>(Device::CPU)(x.data(), y.data(), am.data(), g);
      return y;
    }, r.y);
    add("pool1.bwd", "max_pool2d_bwd", [=] {
      Vec dx(x.size());
      kernel<OpKind::MaxPool2dBwd>(Device::CPU)(dy.data(), r.argmax.data(), dx.data(), g);
      return dx;
    }, ref::max_pool2d_bwd(d64(dy), r.argmax, s));
    const Vec a = U(N_ * 10 * 12 * 12, -1.0f, 1.0f);
    add("relu1.fwd", "relu_fwd", [=] {
      Vec y(a.size());
      kernel<OpKind::ReluFwd>(Device::CPU)(a.data(), y.data(), static_cast<i64>(a.size()));
      return y;
    }, ref::relu_fwd(d64(a)));
    add("relu1.bwd", "relu_bwd", [=] {
      Vec dx(a.size());
      kernel<OpKind::ReluBwd>(Device::CPU)(dy.data(), a.data(), dx.data(), static_cast<i64>(a.size()));
      return dx;
    }, ref::relu_bwd(d64(dy), d64(a)));
  }

  // fc1 (320->50) and fc2 (50->10) on post-relu activations.
  void linear_layers() {
    const i64 N = N_;
    for (const auto& [name, in, out] : {std::tuple{"fc1", i64(320), i64(50)}, std::tuple{"fc2", i64(50), i64(10)}}) {
      const i64 I = in, O = out;  // copies: C++20 lambdas may not capture structured bindings (clang refuses)
      const LinearGeom g{N, I, O};
      const ref::LinearShape s{N, I, O};
      const float bound = 1.0f / std::sqrt(static_cast<float>(I));
      const Vec x = U(N * I, 0.0f, 1.0f), w = U(O * I, -bound, bound), b = U(O, -bound, bound), dy = U(N * O, -0.01f, 0.01f);
      add_sums(std::string(name) + ".fwd", "linear_fwd", [=] {
        Vec y(static_cast<size_t>(N * O));
        kernel<OpKind::LinearFwd>(Device::CPU)(x.data(), w.data(), b.data(), y.data(), g);
        return y;
      }, ref::linear_fwd(d64(x), d64(w), d64(b), s));
      add_sums(std::string(name) + ".bwd_data", "linear_bwd_data", [=] {
        Vec dx(static_cast<size_t>(N * I));
        kernel<OpKind::LinearBwdData>(Device::CPU)(dy.data(), w.data(), dx.data(), g);
        return dx;
      }, ref::linear_bwd_data(d64(dy), d64(w), s));
      for (int which = 0; which < 2; ++which)
        add_sums(std::string(name) + (which ? ".bwd_weight db" : ".bwd_weight dw"), "linear_bwd_weight", [=] {
          Vec dw(static_cast<size_t>(O * I)), db(static_cast<size_t>(O));
          kernel<OpKind::LinearBwdWeight>(Device::CPU)(dy.data(), x.data(), dw.data(), db.data(), g);
          return which ? db : dw;
        }, which ? ref::linear_bwd_bias(d64(dy), s) : ref::linear_bwd_weight(d64(dy), d64(x), s));
    }
  }

  // log_softmax over 10 classes, then nll_loss of its output.
  void log_softmax_and_nll() {
    const i64 rows = N_, cols = 10;
    const Vec x = U(rows * cols, -3.0f, 3.0f), dy = U(rows * cols, -0.05f, 0.05f);
    Vec y(x.size());
    {
      ModeGuard det(Mode::Deterministic);
      kernel<OpKind::LogSoftmaxFwd>(Device::CPU)(x.data(), y.data(), rows, cols);
    }
    add("log_softmax.fwd", "log_softmax_fwd", [=] {
      Vec out(x.size());
      kernel<OpKind::LogSoftmaxFwd>(Device::CPU)(x.data(), out.data(), rows, cols);
      return out;
    }, ref::log_softmax_fwd(d64(x), rows, cols).y);
    add("log_softmax.bwd", "log_softmax_bwd", [=] {
      Vec dx(x.size());
      kernel<OpKind::LogSoftmaxBwd>(Device::CPU)(dy.data(), y.data(), dx.data(), rows, cols);
      return dx;
    }, ref::log_softmax_bwd(d64(dy), d64(y), rows, cols));
    std::vector<i64> target(static_cast<size_t>(rows));
    for (i64 n = 0; n < rows; ++n) target[static_cast<size_t>(n)] = static_cast<i64>(mix64(seed_ + 99 + static_cast<std::uint64_t>(n)) % 10);
    const ref::NllLossResult nl = ref::nll_loss_fwd(d64(y), target, rows, cols);
    add("nll_loss.fwd", "nll_loss_fwd", [=] {
      Vec loss(1);
      kernel<OpKind::NllLossFwd>(Device::CPU)(y.data(), target.data(), loss.data(), rows, cols);
      return loss;
    }, {nl.loss}, {nl.abs_sum / static_cast<double>(rows)}, {rows});
    add("nll_loss.bwd", "nll_loss_bwd", [=] {
      Vec d(static_cast<size_t>(rows * cols));
      const float one = 1.0f;
      kernel<OpKind::NllLossBwd>(Device::CPU)(&one, target.data(), d.data(), rows, cols, rows);
      return d;
    }, ref::nll_loss_bwd(1.0, target, rows, cols));
  }

  // The SGD update of fc1.weight (lr 0.01, momentum 0.5), and a full-tensor sum.
  void sgd_and_sum() {
    const i64 n = 50 * 320;
    const Vec p = U(n, -0.056f, 0.056f), v = U(n, -0.01f, 0.01f), gr = U(n, -0.01f, 0.01f);
    std::vector<double> r(static_cast<size_t>(n));
    for (size_t i = 0; i < r.size(); ++i) r[i] = double(p[i]) - 0.01 * (0.5 * double(v[i]) + double(gr[i]));
    add("sgd_update fc1.weight", "sgd_update", [=] {
      Vec pp = p, vv = v;
      kernel<OpKind::SgdUpdate>(Device::CPU)(pp.data(), vv.data(), gr.data(), 0.01f, 0.5f, n);
      return pp;
    }, r);
    const i64 m = N_ * 10 * 24 * 24;
    const Vec x = U(m, -1.0f, 1.0f);
    const ExactSum ex = exact_sum(x.data(), x.size());
    double abs_sum = 0;
    for (float f : x) abs_sum += std::fabs(double(f));
    add("sum (conv1 output size)", "sum", [=] {
      Vec y(1);
      kernel<OpKind::Sum>(Device::CPU)(x.data(), m, y.data());
      return y;
    }, {ex.to_double()}, {abs_sum}, {m});
  }

 private:
  Vec U(i64 n, float lo, float hi) { return test::stream_values(seed_, ++stream_, n, lo, hi); }
  void add(std::string name, std::string op, std::function<Vec()> run, std::vector<double> ref,
           std::vector<double> abs_sum = {}, std::vector<std::int64_t> terms = {}) {
    passes_.push_back({std::move(name), std::move(op), std::move(run), std::move(ref), std::move(abs_sum), std::move(terms)});
  }
  void add_sums(std::string name, std::string op, std::function<Vec()> run, const ref::RefSums& r) {
    add(std::move(name), std::move(op), std::move(run), r.value, r.abs_sum, r.terms);
  }

  i64 N_;
  std::uint64_t seed_, stream_ = 0;
  std::vector<Pass> passes_;
};

std::vector<Pass> make_passes(i64 N, std::uint64_t seed) {
  PassMaker m(N, seed);
  m.conv_layers();
  m.pool_and_relu();
  m.linear_layers();
  m.log_softmax_and_nll();
  m.sgd_and_sum();
  return m.take();
}

struct Config {
  Mode mode;
  int threads, rep;
  std::string label() const { return fmt::format("{} {}t #{}", mode == Mode::Fast ? "fast" : "det", threads, rep); }
};

struct Outcome {
  Config cfg;
  std::uint64_t hash;
  std::int64_t max_ulp_ref = 0, differ_det = 0, max_ulp_det = 0;
  double mean_ulp_ref = 0, median_ulp_ref = 0, frac_rounded = 0, max_rel = 0;
  double max_over_bound = -1;  // max |y - r| / (2 n u sum|terms|); -1: no bound
  std::int64_t over_bound = 0;  // elements outside 2 n u sum|terms| (-1: no bound)
  std::array<std::int64_t, kBinCount> hist{};
};

// One run of one pass compared element by element with the float64 reference and with the
// deterministic 1-thread result `det1`.
Outcome measure(const Pass& pass, const Config& c, const Vec& y, const Vec& det1) {
  Outcome oc{c, test::bits_digest(y)};
  double sum_ulp = 0, max_ref = 0;
  std::int64_t rounded = 0;
  std::vector<double> ulps(y.size());
  for (size_t i = 0; i < y.size(); ++i) {
    const std::int64_t u = ulp_diff(y[i], static_cast<float>(pass.ref[i]));
    ulps[i] = static_cast<double>(std::abs(u));
    oc.max_ulp_ref = std::max(oc.max_ulp_ref, std::abs(u));
    sum_ulp += static_cast<double>(std::abs(u));
    rounded += u == 0;
    ++oc.hist[static_cast<size_t>(bin_of(u))];
    max_ref = std::max(max_ref, std::fabs(pass.ref[i]));
    oc.max_rel = std::max(oc.max_rel, std::fabs(double(y[i]) - pass.ref[i]));
    const std::int64_t ud = ulp_diff(y[i], det1[i]);
    oc.differ_det += ud != 0;
    oc.max_ulp_det = std::max(oc.max_ulp_det, std::abs(ud));
    if (!pass.abs_sum.empty()) {
      const double bound = test::chain_bound(double(pass.terms[i]), pass.abs_sum[i]);
      const double err = std::fabs(double(y[i]) - pass.ref[i]);
      if (err > bound) ++oc.over_bound;
      if (bound > 0) oc.max_over_bound = std::max(oc.max_over_bound, err / bound);
    }
  }
  oc.median_ulp_ref = stats_of(ulps).median;
  if (pass.abs_sum.empty()) oc.over_bound = -1;
  oc.max_rel = max_ref > 0 ? oc.max_rel / max_ref : 0;
  oc.mean_ulp_ref = sum_ulp / static_cast<double>(y.size());
  oc.frac_rounded = static_cast<double>(rounded) / static_cast<double>(y.size());
  return oc;
}

// The study's CSV files: one results row per pass and run, one histogram row per bin.
struct KernelFiles {
  Csv res, hist;
  explicit KernelFiles(const std::string& out)
      : res(out + "/kernels_results.csv",
            {"pass", "op", "mode", "threads", "rep", "outputs", "max_ulp_vs_ref", "mean_ulp_vs_ref", "median_ulp_vs_ref",
             "frac_correctly_rounded", "max_rel_err", "outside_bound", "max_err_over_bound", "differ_from_det1",
             "max_ulp_vs_det1", "bits_hash"}),
        hist(out + "/kernels_hist.csv", {"pass", "mode", "threads", "rep", "bin", "count"}) {}
  void write(const Pass& pass, const Outcome& oc, size_t outputs) {
    const Config& c = oc.cfg;
    res << pass.name << pass.op << std::string(mode_name(c.mode)) << c.threads << c.rep
        << static_cast<std::int64_t>(outputs) << oc.max_ulp_ref << oc.mean_ulp_ref << oc.median_ulp_ref
        << oc.frac_rounded << oc.max_rel << oc.over_bound << oc.max_over_bound << oc.differ_det << oc.max_ulp_det
        << fmt::format("{:016x}", oc.hash);
    res.end_row();
    for (int b = 0; b < kBinCount; ++b) {
      hist << pass.name << std::string(mode_name(c.mode)) << c.threads << c.rep << kBins[b] << oc.hist[static_cast<size_t>(b)];
      hist.end_row();
    }
  }
  void close() {
    res.close();
    hist.close();
  }
};

// What the findings say, accumulated over the passes.
struct Findings {
  int det_constant = 0, fast_differs_det = 0, fast_varies = 0;
  std::vector<std::string> det_varying, fast_varying_names, fast_diff_names;
  std::int64_t det_worst = 0, fast_worst = 0;
  double det_worst_bound = -1, fast_worst_bound = -1;
};

// Folds every run of one pass into its table row and into the findings.
std::vector<std::string> summarize(const Pass& pass, const std::vector<Outcome>& outs, size_t outputs, Findings& f) {
  std::set<std::uint64_t> det_h, fast_h;
  std::int64_t det_max = 0, fast_max = 0, fast_diff = 0, fast_ulp_det = 0, over = 0;
  double det_med = 0, fast_med = 0, det_bound = -1, fast_bound = -1;
  const bool has_bound = !pass.abs_sum.empty();
  for (const Outcome& oc : outs) {
    if (oc.cfg.mode == Mode::Deterministic) {
      det_h.insert(oc.hash);
      det_max = std::max(det_max, oc.max_ulp_ref);
      det_med = std::max(det_med, oc.median_ulp_ref);
      det_bound = std::max(det_bound, oc.max_over_bound);
    } else {
      fast_h.insert(oc.hash);
      fast_max = std::max(fast_max, oc.max_ulp_ref);
      fast_med = std::max(fast_med, oc.median_ulp_ref);
      fast_bound = std::max(fast_bound, oc.max_over_bound);
      fast_diff = std::max(fast_diff, oc.differ_det);
      fast_ulp_det = std::max(fast_ulp_det, oc.max_ulp_det);
    }
    if (has_bound) over += oc.over_bound;
  }
  f.det_worst = std::max(f.det_worst, det_max);
  f.fast_worst = std::max(f.fast_worst, fast_max);
  f.det_worst_bound = std::max(f.det_worst_bound, det_bound);
  f.fast_worst_bound = std::max(f.fast_worst_bound, fast_bound);
  if (det_h.size() == 1) ++f.det_constant; else f.det_varying.push_back(pass.name);
  if (fast_diff > 0) ++f.fast_differs_det, f.fast_diff_names.push_back(pass.name);
  if (fast_h.size() > 1) ++f.fast_varies, f.fast_varying_names.push_back(pass.name);
  auto ratio = [](double r) { return r < 0 ? std::string("n/a") : fmt_g(r, 2); };
  return {"`" + pass.name + "`", std::to_string(outputs), std::to_string(det_h.size()),
          std::to_string(fast_h.size()), fmt_g(det_med), fmt_g(fast_med), std::to_string(det_max),
          std::to_string(fast_max), ratio(det_bound), ratio(fast_bound), std::to_string(fast_diff),
          std::to_string(fast_ulp_det), has_bound ? (over == 0 ? "all" : fmt::format("{} outside", over)) : "n/a"};
}

// Every run of every pass; returns the per-pass table rows.
std::vector<std::vector<std::string>> run_passes(const std::vector<Pass>& passes, const std::vector<Config>& configs,
                                                 KernelFiles& files, Findings& f) {
  std::vector<std::vector<std::string>> rows;
  for (const Pass& pass : passes) {
    std::vector<Outcome> outs;
    Vec det1;
    for (const Config& c : configs) {
      ThreadCountGuard threads(c.threads);
      ModeGuard mode(c.mode);
      const Vec y = pass.run();
      if (det1.empty()) det1 = y;  // configs start with det at the first thread count, rep 1
      outs.push_back(measure(pass, c, y, det1));
      files.write(pass, outs.back(), y.size());
    }
    rows.push_back(summarize(pass, outs, det1.size(), f));
  }
  return rows;
}

void write_intro(Report& rep, const StudyOptions& o, i64 N, const std::vector<int>& threads, int reps) {
  rep.para(run_header(o));
  std::vector<std::string> counts;
  for (int t : threads) counts.push_back(std::to_string(t));
  rep.para(fmt::format(
      "Every pass of the reference network at batch {} with the network's shapes, seeded inputs at realistic scales, "
      "run through the kernel registry in deterministic and fast mode at {} thread(s) ({}), {} times each. Each "
      "output element is compared with the float64 reference of `reference/` rounded to float32 (`ulp` = "
      "number of float32 values between them; 0 = correctly rounded) and with the deterministic 1-thread result "
      "(`det 1t #1`). For sums the bound `2 n 2^-24 sum|terms|` of the test suite is also checked.",
      N, threads.size(), join(counts, ", "), reps));
  if (cuda_available())
    rep.para("A CUDA backend is registered, but this study runs the CPU kernels only; GPU rows are not included.");
  else
    rep.para("GPU: not measured; this build has no CUDA backend (no CUDA kernels are registered).");
}

void write_findings(Report& rep, const Findings& f, size_t P, size_t thread_counts, int reps) {
  const size_t per_mode = thread_counts * static_cast<size_t>(reps);
  rep.heading("Findings");
  rep.line(fmt::format("- Deterministic mode: {} of {} passes gave one identical result (same bits) across all {} runs "
                       "({} thread counts x {} repeats){}.",
                       f.det_constant, P, per_mode, thread_counts, reps,
                       f.det_varying.empty() ? "" : "; varying: " + join(f.det_varying, ", ")));
  rep.line(fmt::format("- Fast mode: {} of {} passes differed from the deterministic result in at least one run{}; {} of {} "
                       "gave more than one distinct result across its {} runs{}.",
                       f.fast_differs_det, P, f.fast_diff_names.empty() ? "" : " (" + join(f.fast_diff_names, ", ") + ")",
                       f.fast_varies, P, per_mode,
                       f.fast_varying_names.empty() ? "" : " (" + join(f.fast_varying_names, ", ") + ")"));
  rep.line(fmt::format("- Accuracy: the largest distance from the float64 reference was {} ulp in deterministic mode and {} "
                       "ulp in fast mode (any pass, any run; near-zero outputs dominate this); measured against the error "
                       "bound 2 n 2^-24 sum|terms|, the worst error was {} of the bound in deterministic mode and {} in "
                       "fast mode.",
                       f.det_worst, f.fast_worst, fmt_g(f.det_worst_bound, 2), fmt_g(f.fast_worst_bound, 2)));
  if (f.fast_differs_det == 0)
    rep.line("- Fast mode ran exactly the deterministic kernels' arithmetic here: either no fast kernels are registered in "
             "this build (fast mode then falls back to the deterministic ones) or they reproduced the canonical order.");
  rep.line("");
}

}  // namespace

int run_kernels(const StudyOptions& o) {
  const auto t0 = std::chrono::steady_clock::now();
  const i64 N = o.quick ? 16 : 64;
  const std::vector<int> threads = !o.threads.empty() ? o.threads : std::vector<int>{1, 2, 3, 4};
  const int reps = o.runs > 0 ? o.runs : 3;
  std::filesystem::create_directories(o.out);

  std::vector<Config> configs;
  for (Mode m : {Mode::Deterministic, Mode::Fast})
    for (int t : threads)
      for (int r = 1; r <= reps; ++r) configs.push_back({m, t, r});

  KernelFiles files(o.out);
  Report rep("lockstep study kernels: deterministic and fast kernels against float64");
  write_intro(rep, o, N, threads, reps);
  const std::vector<Pass> passes = make_passes(N, o.seed);
  Findings f;
  const auto rows = run_passes(passes, configs, files, f);
  write_findings(rep, f, passes.size(), threads.size(), reps);
  rep.heading("Per pass");
  rep.para("Columns: distinct results over all runs of a mode; median and max ulp from the float64 reference (worst run; "
           "max ulp is dominated by outputs near zero, where cancellation leaves few significant bits); worst error "
           "as a fraction of the bound 2 n 2^-24 sum|terms|; elements differing from `det 1t #1` and by how many ulp.");
  rep.table({"pass", "outputs", "det distinct", "fast distinct", "det median ulp", "fast median ulp", "det max ulp",
             "fast max ulp", "det err/bound", "fast err/bound", "fast elements != det (max)", "fast max ulp vs det",
             "within bound (all runs)"},
            rows);
  files.close();
  const std::string plots = add_plots(
      rep, "kernels", o.out,
      {{"kernels_ulp_hist.png", "Histogram of the ULP distance from the float64 reference, per pass: deterministic (all runs) vs fast (per thread count)"},
       {"kernels_vs_det.png", "Elements differing from the deterministic 1-thread result, per pass and run"}});
  const size_t P = passes.size(), per_mode = threads.size() * static_cast<size_t>(reps);
  finish_report(rep, "kernels", o.out, "`kernels_results.csv` (one row per pass and run), `kernels_hist.csv` (ULP histograms).",
                t0, plots,
                {fmt::format("deterministic: {} of {} passes identical across {} runs; fast: {} of {} differ from det, {} of {} vary",
                             f.det_constant, P, per_mode, f.fast_differs_det, P, f.fast_varies, P)});
  return 0;
}

}  // namespace lockstep::study

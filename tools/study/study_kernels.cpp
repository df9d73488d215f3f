// `lockstep study kernels`: every op and pass of the reference network, run through the
// kernel registry in deterministic and fast mode at several thread counts (and repeats),
// compared element by element with the float64 references of reference/ and with the
// deterministic single-thread result. Inputs are seeded and have the network's shapes and
// realistic scales (normalised pixels, PyTorch's init bounds, small upstream gradients).
// With --device cuda the same passes also run through the CUDA kernels (inputs copied to the
// GPU, outputs back), compared with the same references and bitwise with the CPU's det result.
#include <algorithm>
#include <array>
#include <bit>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>

#include <fmt/core.h>

#include "core/mode.h"
#include "core/registry.h"
#include "core/tensor.h"
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
#include "tools/study/kernel_summary.h"
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
  std::function<Vec(Device)> run;  // the kernels of `device`, inputs copied there, outputs back
  std::vector<double> ref;
  std::vector<double> abs_sum;  // empty when no sum bound applies
  std::vector<std::int64_t> terms;
};

// A pass's buffers on the device its kernels run on: each input copied there, each output
// allocated there, and outputs copied back. The CPU goes through the same copies (a host
// tensor's `to(CPU)` is itself), so the CUDA path differs from the tested one only in the device.
class DeviceBuffers {
 public:
  explicit DeviceBuffers(Device d) : d_(d) {}
  const float* in(const Vec& v) { return keep(Tensor::from_vector(v, {size(v)}).to(d_)).data<float>(); }
  const i64* in(const std::vector<i64>& v) { return keep(Tensor::from_ints(v, {size(v)}).to(d_)).data<i64>(); }
  float* inout(const Vec& v) { return const_cast<float*>(in(v)); }  // a fresh copy, written by the kernel
  float* out(i64 n) { return keep(Tensor::empty({n}, DType::F32, d_)).data<float>(); }
  i64* out_ints(i64 n) { return keep(Tensor::empty({n}, DType::I64, d_)).data<i64>(); }
  // The host copy of the output or in-out buffer `p` (one this object made).
  Vec back(const float* p) const {
    for (const Tensor& t : kept_)
      if (t.dtype() == DType::F32 && t.data<float>() == p) return t.to_vector();
    throw Error("study kernels: back() of a buffer DeviceBuffers did not make");
  }

 private:
  template <class T>
  static i64 size(const std::vector<T>& v) { return static_cast<i64>(v.size()); }
  Tensor& keep(Tensor t) { return kept_.emplace_back(std::move(t)); }
  Device d_;
  std::vector<Tensor> kept_;
};

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
      add_sums(std::string(cc.name) + ".fwd", "conv2d_fwd", [=](Device d) {
        DeviceBuffers io(d);
        float* y = io.out(s.y_size());
        kernel<OpKind::Conv2dFwd>(d)(io.in(x), io.in(w), io.in(b), y, g);
        return io.back(y);
      }, ref::conv2d_fwd(d64(x), d64(w), d64(b), s));
      if (cc.data_grad)
        add_sums(std::string(cc.name) + ".bwd_data", "conv2d_bwd_data", [=](Device d) {
          DeviceBuffers io(d);
          float* dx = io.out(s.x_size());
          kernel<OpKind::Conv2dBwdData>(d)(io.in(dy), io.in(w), dx, g);
          return io.back(dx);
        }, ref::conv2d_bwd_data(d64(dy), d64(w), s));
      for (int which = 0; which < 2; ++which)
        add_sums(std::string(cc.name) + (which ? ".bwd_weight db" : ".bwd_weight dw"), "conv2d_bwd_weight", [=](Device d) {
          DeviceBuffers io(d);
          float *dw = io.out(s.w_size()), *db = io.out(cc.K);
          kernel<OpKind::Conv2dBwdWeight>(d)(io.in(dy), io.in(x), dw, db, g);
          return io.back(which ? db : dw);
        }, which ? ref::conv2d_bwd_bias(d64(dy), s) : ref::conv2d_bwd_weight(d64(dy), d64(x), s));
    }
  }

  // max_pool2d 2x2 on conv1's output shape, relu on the pooled shape.
  void pool_and_relu() {
    const Pool2dGeom g{N_, 10, 24, 24, 2, 2, 12, 12, 2};
    const ref::Pool2dShape s{N_, 10, 24, 24, 2, 2};
    const Vec x = U(N_ * 10 * 24 * 24, -1.0f, 1.0f), dy = U(N_ * 10 * 12 * 12, -0.01f, 0.01f);
    const ref::MaxPool2dResult r = ref::max_pool2d_fwd(d64(x), s);
    const i64 pooled = static_cast<i64>(r.y.size());
    add("pool1.fwd", "max_pool2d_fwd", [=](Device d) {
      DeviceBuffers io(d);
      float* y = io.out(pooled);
      kernel<OpKind::MaxPool2dFwd>(d)(io.in(x), y, io.out_ints(pooled), g);
      return io.back(y);
    }, r.y);
    add("pool1.bwd", "max_pool2d_bwd", [=](Device d) {
      DeviceBuffers io(d);
      float* dx = io.out(static_cast<i64>(x.size()));
      kernel<OpKind::MaxPool2dBwd>(d)(io.in(dy), io.in(r.argmax), dx, g);
      return io.back(dx);
    }, ref::max_pool2d_bwd(d64(dy), r.argmax, s));
    const Vec a = U(N_ * 10 * 12 * 12, -1.0f, 1.0f);
    const i64 na = static_cast<i64>(a.size());
    add("relu1.fwd", "relu_fwd", [=](Device d) {
      DeviceBuffers io(d);
      float* y = io.out(na);
      kernel<OpKind::ReluFwd>(d)(io.in(a), y, na);
      return io.back(y);
    }, ref::relu_fwd(d64(a)));
    add("relu1.bwd", "relu_bwd", [=](Device d) {
      DeviceBuffers io(d);
      float* dx = io.out(na);
      kernel<OpKind::ReluBwd>(d)(io.in(dy), io.in(a), dx, na);
      return io.back(dx);
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
      add_sums(std::string(name) + ".fwd", "linear_fwd", [=](Device d) {
        DeviceBuffers io(d);
        float* y = io.out(N * O);
        kernel<OpKind::LinearFwd>(d)(io.in(x), io.in(w), io.in(b), y, g);
        return io.back(y);
      }, ref::linear_fwd(d64(x), d64(w), d64(b), s));
      add_sums(std::string(name) + ".bwd_data", "linear_bwd_data", [=](Device d) {
        DeviceBuffers io(d);
        float* dx = io.out(N * I);
        kernel<OpKind::LinearBwdData>(d)(io.in(dy), io.in(w), dx, g);
        return io.back(dx);
      }, ref::linear_bwd_data(d64(dy), d64(w), s));
      for (int which = 0; which < 2; ++which)
        add_sums(std::string(name) + (which ? ".bwd_weight db" : ".bwd_weight dw"), "linear_bwd_weight", [=](Device d) {
          DeviceBuffers io(d);
          float *dw = io.out(O * I), *db = io.out(O);
          kernel<OpKind::LinearBwdWeight>(d)(io.in(dy), io.in(x), dw, db, g);
          return io.back(which ? db : dw);
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
    add("log_softmax.fwd", "log_softmax_fwd", [=](Device d) {
      DeviceBuffers io(d);
      float* out = io.out(rows * cols);
      kernel<OpKind::LogSoftmaxFwd>(d)(io.in(x), out, rows, cols);
      return io.back(out);
    }, ref::log_softmax_fwd(d64(x), rows, cols).y);
    add("log_softmax.bwd", "log_softmax_bwd", [=](Device d) {
      DeviceBuffers io(d);
      float* dx = io.out(rows * cols);
      kernel<OpKind::LogSoftmaxBwd>(d)(io.in(dy), io.in(y), dx, rows, cols);
      return io.back(dx);
    }, ref::log_softmax_bwd(d64(dy), d64(y), rows, cols));
    std::vector<i64> target(static_cast<size_t>(rows));
    for (i64 n = 0; n < rows; ++n) target[static_cast<size_t>(n)] = static_cast<i64>(mix64(seed_ + 99 + static_cast<std::uint64_t>(n)) % 10);
    const ref::NllLossResult nl = ref::nll_loss_fwd(d64(y), target, rows, cols);
    add("nll_loss.fwd", "nll_loss_fwd", [=](Device d) {
      DeviceBuffers io(d);
      float* loss = io.out(1);
      kernel<OpKind::NllLossFwd>(d)(io.in(y), io.in(target), loss, rows, cols);
      return io.back(loss);
    }, {nl.loss}, {nl.abs_sum / static_cast<double>(rows)}, {rows});
    add("nll_loss.bwd", "nll_loss_bwd", [=](Device d) {
      DeviceBuffers io(d);
      float* dlogp = io.out(rows * cols);
      kernel<OpKind::NllLossBwd>(d)(io.in(Vec{1.0f}), io.in(target), dlogp, rows, cols, rows);  // dloss: on the device
      return io.back(dlogp);
    }, ref::nll_loss_bwd(1.0, target, rows, cols));
  }

  // The SGD update of fc1.weight (lr 0.01, momentum 0.5), and a full-tensor sum.
  void sgd_and_sum() {
    const i64 n = 50 * 320;
    const Vec p = U(n, -0.056f, 0.056f), v = U(n, -0.01f, 0.01f), gr = U(n, -0.01f, 0.01f);
    std::vector<double> r(static_cast<size_t>(n));
    for (size_t i = 0; i < r.size(); ++i) r[i] = double(p[i]) - 0.01 * (0.5 * double(v[i]) + double(gr[i]));
    add("sgd_update fc1.weight", "sgd_update", [=](Device d) {
      DeviceBuffers io(d);
      float* pp = io.inout(p);  // fresh copies each run: the update writes them
      kernel<OpKind::SgdUpdate>(d)(pp, io.inout(v), io.in(gr), 0.01f, 0.5f, n);
      return io.back(pp);
    }, r);
    const i64 m = N_ * 10 * 24 * 24;
    const Vec x = U(m, -1.0f, 1.0f);
    const ExactSum ex = exact_sum(x.data(), x.size());
    double abs_sum = 0;
    for (float f : x) abs_sum += std::fabs(double(f));
    add("sum (conv1 output size)", "sum", [=](Device d) {
      DeviceBuffers io(d);
      float* y = io.out(1);
      kernel<OpKind::Sum>(d)(io.in(x), m, y);
      return io.back(y);
    }, {ex.to_double()}, {abs_sum}, {m});
  }

 private:
  Vec U(i64 n, float lo, float hi) { return test::stream_values(seed_, ++stream_, n, lo, hi); }
  void add(std::string name, std::string op, std::function<Vec(Device)> run, std::vector<double> ref,
           std::vector<double> abs_sum = {}, std::vector<std::int64_t> terms = {}) {
    passes_.push_back({std::move(name), std::move(op), std::move(run), std::move(ref), std::move(abs_sum), std::move(terms)});
  }
  void add_sums(std::string name, std::string op, std::function<Vec(Device)> run, const ref::RefSums& r) {
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

// One run of one pass compared element by element with the float64 reference and with the
// CPU deterministic result `det1`.
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
    oc.bits_differ_det += std::bit_cast<std::uint32_t>(y[i]) != std::bit_cast<std::uint32_t>(det1[i]);
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
            {"pass", "op", "mode", "device", "threads", "rep", "outputs", "max_ulp_vs_ref", "mean_ulp_vs_ref",
             "median_ulp_vs_ref", "frac_correctly_rounded", "max_rel_err", "outside_bound", "max_err_over_bound",
             "bits_differ_from_det1", "differ_from_det1", "max_ulp_vs_det1", "bits_hash"}),
        hist(out + "/kernels_hist.csv", {"pass", "mode", "device", "threads", "rep", "bin", "count"}) {}
  void write(const Pass& pass, const Outcome& oc, size_t outputs) {
    const Config& c = oc.cfg;
    const std::string mode(mode_name(c.mode)), device(device_name(c.device));
    res << pass.name << pass.op << mode << device << c.threads << c.rep << static_cast<std::int64_t>(outputs)
        << oc.max_ulp_ref << oc.mean_ulp_ref << oc.median_ulp_ref << oc.frac_rounded << oc.max_rel << oc.over_bound
        << oc.max_over_bound << oc.bits_differ_det << oc.differ_det << oc.max_ulp_det << fmt::format("{:016x}", oc.hash);
    res.end_row();
    for (int b = 0; b < kBinCount; ++b) {
      hist << pass.name << mode << device << c.threads << c.rep << kBins[b] << oc.hist[static_cast<size_t>(b)];
      hist.end_row();
    }
  }
  void close() {
    res.close();
    hist.close();
  }
};

// One run of one pass in configuration `c`: the one place a pass runs, on either device.
Vec run_pass(const Pass& pass, const Config& c) {
  ModeGuard mode(c.mode);
  if (c.device != Device::CPU) return pass.run(c.device);  // the host's thread count plays no part
  ThreadCountGuard threads(c.threads);
  return pass.run(Device::CPU);
}

// The configurations: CPU det and fast at every thread count and repeat (det at the first
// thread count, rep 1, first: the `det1` every run is compared with), then on CUDA det and
// fast `reps` times each when the study runs there.
std::vector<Config> make_configs(const std::vector<int>& threads, int reps, Device device) {
  std::vector<Config> configs;
  for (Mode m : {Mode::Deterministic, Mode::Fast})
    for (int t : threads)
      for (int r = 1; r <= reps; ++r) configs.push_back({Device::CPU, m, t, r});
  if (device == Device::CUDA)
    for (Mode m : {Mode::Deterministic, Mode::Fast})
      for (int r = 1; r <= reps; ++r) configs.push_back({Device::CUDA, m, 0, r});
  return configs;
}

struct Tables {
  std::vector<std::vector<std::string>> cpu, cuda;
};

// Every run of every pass; returns the per-pass table rows.
Tables run_passes(const std::vector<Pass>& passes, const std::vector<Config>& configs, KernelFiles& files,
                  Findings& f) {
  Tables tables;
  for (const Pass& pass : passes) {
    std::vector<Outcome> outs;
    Vec det1;
    for (const Config& c : configs) {
      const Vec y = run_pass(pass, c);
      if (det1.empty()) det1 = y;
      LS_CHECK(y.size() == det1.size(), ShapeError, "study kernels: ", pass.name, " gave ", y.size(), " outputs in ",
               c.label(), ", ", det1.size(), " in ", configs[0].label());
      outs.push_back(measure(pass, c, y, det1));
      files.write(pass, outs.back(), y.size());
    }
    PassRows rows = summarize(pass.name, !pass.abs_sum.empty(), outs, det1.size(), f);
    tables.cpu.push_back(std::move(rows.cpu));
    if (!rows.cuda.empty()) tables.cuda.push_back(std::move(rows.cuda));
  }
  return tables;
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
  rep.para(gpu_paragraph(o.device == Device::CUDA, cuda_available(), reps));
}

void write_tables(Report& rep, const Tables& tables) {
  rep.heading("Per pass");
  rep.para("Columns: distinct results over all runs of a mode; median and max ulp from the float64 reference (worst run; "
           "max ulp is dominated by outputs near zero, where cancellation leaves few significant bits); worst error "
           "as a fraction of the bound 2 n 2^-24 sum|terms|; elements differing from `det 1t #1` and by how many ulp.");
  rep.table(cpu_table_header(), tables.cpu);
  if (tables.cuda.empty()) return;
  rep.heading("Per pass on CUDA");
  rep.para("The same inputs through the CUDA kernels. `CUDA det bits = CPU det`: every output element of every CUDA det "
           "run has the bits of the CPU's `det 1t #1`; other columns as above, against the same `det 1t #1`.");
  rep.table(cuda_table_header(), tables.cuda);
}

}  // namespace

int run_kernels(const StudyOptions& o) {
  require_device(o, "kernels");  // before anything is written: no partial report
  const auto t0 = std::chrono::steady_clock::now();
  const i64 N = o.quick ? 16 : 64;
  const std::vector<int> threads = !o.threads.empty() ? o.threads : std::vector<int>{1, 2, 3, 4};
  const int reps = o.runs > 0 ? o.runs : 3;
  const std::vector<Config> configs = make_configs(threads, reps, o.device);
  const std::vector<Pass> passes = make_passes(N, o.seed);
  std::filesystem::create_directories(o.out);

  KernelFiles files(o.out);
  Findings f;
  const Tables tables = run_passes(passes, configs, files, f);
  files.close();
  Report rep("lockstep study kernels: deterministic and fast kernels against float64");
  write_intro(rep, o, N, threads, reps);
  write_findings(rep, f, passes.size(), threads.size(), reps);
  write_tables(rep, tables);
  const std::string plots = add_plots(
      rep, "kernels", o.out,
      {{"kernels_ulp_hist.png", "Histogram of the ULP distance from the float64 reference, per pass: deterministic (all runs) vs fast (per thread count)"},
       {"kernels_vs_det.png", "Elements differing from the deterministic 1-thread result, per pass and run"}});
  const size_t P = passes.size(), per_mode = threads.size() * static_cast<size_t>(reps);
  finish_report(rep, "kernels", o.out, "`kernels_results.csv` (one row per pass and run), `kernels_hist.csv` (ULP histograms).",
                t0, plots, console_lines(f, P, per_mode, reps));
  return 0;
}

}  // namespace lockstep::study

// `lockstep study sum`: n float32 values from several distributions summed in many orders,
// each compared with the exact sum (tools/study/exact_sum.h). Inputs come from an integer
// hash and exact double arithmetic (no libm), so they are the same bits on every machine.
#include <algorithm>
#include <bit>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>

#include <fmt/core.h>

#include "core/mode.h"
#include "core/ops.h"
#include "core/random.h"
#include "core/tensor.h"
#include "cpu/thread_count_guard.h"
#include "reference/data.h"
#include "tools/study/exact_sum.h"
#include "tools/study/report.h"
#include "tools/study/study.h"

namespace lockstep::study {
namespace {

// Counter-based hashes, no state (reference/data.h); stream_u24 is exact in float and double.
using test::mix64;
using test::stream_u24;
// Approximately standard normal (Irwin-Hall: 12 uniforms minus 6); exact in double.
double normal12(std::uint64_t seed, std::uint64_t stream, std::uint64_t i) {
  double s = 0;
  for (std::uint64_t k = 0; k < 12; ++k) s += stream_u24(seed, stream * 16 + k, i);
  return s - 6.0;
}

struct Distribution {
  std::string name, description;
};
const std::vector<Distribution> kDistributions = {
    {"uniform", "uniform in [0, 1)"},
    {"normal", "approximately normal(0, 1): sum of 12 uniforms minus 6"},
    {"mixed", "random sign, magnitude u * 2^e with e uniform in [-20, 20]: mixed magnitudes"},
    {"cancellation", "pairs a, -a + e (a ~ normal * 2^[0,16], |e| < 2^-10), shuffled: heavy cancellation"},
};

std::vector<float> make_values(const std::string& dist, std::uint64_t seed, i64 n) {
  std::vector<float> v(static_cast<size_t>(n));
  for (i64 i = 0; i < n; ++i) {
    const auto u = static_cast<std::uint64_t>(i);
    double x = 0;
    if (dist == "uniform") {
      x = stream_u24(seed, 1, u);
    } else if (dist == "normal") {
      x = normal12(seed, 2, u);
    } else if (dist == "mixed") {
      const int e = static_cast<int>(mix64(seed * 31 + 3 + u * 0x9E37ull) % 41) - 20;
      x = std::ldexp(stream_u24(seed, 4, u), e) * (stream_u24(seed, 5, u) < 0.5 ? -1.0 : 1.0);
    } else {  // cancellation: element 2k is a, element 2k+1 is -a + e, then shuffled
      const std::uint64_t k = u / 2;
      const int e = static_cast<int>(mix64(seed * 37 + 6 + k) % 17);
      const double a = std::ldexp(normal12(seed, 7, k), e);
      x = (u % 2 == 0) ? a : -static_cast<double>(static_cast<float>(a)) + std::ldexp(stream_u24(seed, 8, k) - 0.5, -9);
    }
    v[static_cast<size_t>(i)] = static_cast<float>(x);
  }
  if (dist == "cancellation") {
    const auto p = random::permutation(seed, 1000, n);
    std::vector<float> s(v.size());
    for (size_t i = 0; i < v.size(); ++i) s[i] = v[static_cast<size_t>(p[i])];
    v = s;
  }
  return v;
}

// The summation orders. Each is a plain loop in float32 (the build has -ffp-contract=off and
// no -ffast-math, so the compiler keeps these orders).
float sum_sequential(const float* x, i64 n) {
  float a = 0;
  for (i64 i = 0; i < n; ++i) a += x[i];
  return a;
}
float sum_reverse(const float* x, i64 n) {
  float a = 0;
  for (i64 i = n - 1; i >= 0; --i) a += x[i];
  return a;
}
float sum_pairwise(const float* x, i64 n) {
  if (n == 0) return 0.0f;
  if (n == 1) return x[0];
  const i64 h = n / 2;
  return sum_pairwise(x, h) + sum_pairwise(x + h, n - h);
}
float sum_chunked(const float* x, i64 n, i64 chunk) {
  float total = 0;
  for (i64 b = 0; b < n; b += chunk) total += sum_sequential(x + b, std::min(chunk, n - b));
  return total;
}
// `lanes` interleaved accumulators (what a SIMD loop of that width does), then the lanes
// folded by halving (the usual horizontal reduction).
float sum_lanes(const float* x, i64 n, int lanes) {
  std::vector<float> acc(static_cast<size_t>(lanes), 0.0f);
  for (i64 i = 0; i < n; ++i) acc[static_cast<size_t>(i % lanes)] += x[i];
  for (int w = lanes / 2; w >= 1; w /= 2)
    for (int j = 0; j < w; ++j) acc[static_cast<size_t>(j)] += acc[static_cast<size_t>(j + w)];
  return acc[0];
}
float sum_kahan(const float* x, i64 n) {
  float s = 0, c = 0;
  for (i64 i = 0; i < n; ++i) {
    const float y = x[i] - c;
    const float t = s + y;
    c = (t - s) - y;
    s = t;
  }
  return s;
}
float sum_double(const float* x, i64 n) {
  double a = 0;
  for (i64 i = 0; i < n; ++i) a += x[i];
  return static_cast<float>(a);
}
float sum_sorted(const float* x, i64 n) {
  std::vector<float> v(x, x + n);
  std::stable_sort(v.begin(), v.end(), [](float a, float b) { return std::fabs(a) < std::fabs(b); });
  return sum_sequential(v.data(), n);
}
float lockstep_sum(const std::vector<float>& v, Mode mode, int threads) {
  ModeGuard g(mode);
  ThreadCountGuard t(threads);
  return ops::sum(Tensor::from_vector(v, {static_cast<i64>(v.size())})).item();
}

struct Result {
  std::string method, variant;
  float value;
};

struct Measured {
  std::string method, variant;
  float value;
  std::int64_t ulp;
  double rel_err, err_over_abs;  // (computed - exact) / exact and / sum|x|
};

struct Exact {
  double value;
  float rounded;
  double sum_abs;
};

Measured measure(const Result& r, const ExactSum& exact, const Exact& e) {
  ExactSum diff = exact;
  diff.add(-r.value);  // exact - computed, exactly
  const double d = -diff.to_double();
  return {r.method, r.variant, r.value, ulp_diff(r.value, e.rounded), e.value != 0 ? d / e.value : INFINITY,
          e.sum_abs > 0 ? d / e.sum_abs : 0.0};
}

std::vector<Result> all_orders(const std::vector<float>& v, int permutations, std::uint64_t seed,
                               const std::vector<int>& threads, int fast_repeats) {
  const float* x = v.data();
  const i64 n = static_cast<i64>(v.size());
  std::vector<Result> out = {{"sequential", "", sum_sequential(x, n)},
                             {"reverse", "", sum_reverse(x, n)},
                             {"pairwise", "", sum_pairwise(x, n)},
                             {"sorted_abs", "ascending |x|", sum_sorted(x, n)},
                             {"kahan", "", sum_kahan(x, n)},
                             {"double_acc", "float64 accumulator, rounded once", sum_double(x, n)}};
  for (int lanes : {8, 16}) out.push_back({"simd_lanes", fmt::format("{} lanes", lanes), sum_lanes(x, n, lanes)});
  for (i64 c : {16, 256, 4096, 65536})
    if (c < n) out.push_back({"chunked", fmt::format("chunk {}", c), sum_chunked(x, n, c)});
  std::vector<float> p(v.size());
  for (int k = 0; k < permutations; ++k) {
    const auto perm = random::permutation(seed, static_cast<std::uint64_t>(k), n);
    for (size_t i = 0; i < v.size(); ++i) p[i] = v[static_cast<size_t>(perm[i])];
    out.push_back({"random_perm", fmt::format("perm {}", k), sum_sequential(p.data(), n)});
  }
  for (int t : threads) out.push_back({"lockstep_det", fmt::format("{} threads", t), lockstep_sum(v, Mode::Deterministic, t)});
  for (int t : threads)
    for (int r = 0; r < fast_repeats; ++r)
      out.push_back({"lockstep_fast", fmt::format("{} threads, call {}", t, r + 1), lockstep_sum(v, Mode::Fast, t)});
  return out;
}

std::string hexf(float v) { return fmt::format("{:a}", v); }

// Known-answer checks of the exact accumulator, run before every study (cheap).
std::string self_check() {
  auto check = [](const std::vector<float>& v, double want, const char* what) {
    const double got = exact_sum(v.data(), v.size()).to_double();
    LS_CHECK(got == want, InternalError, "study: exact accumulator self-check failed on ", what, ": got ", got,
             ", want ", want, "; please report");
  };
  check({1e30f, 1.0f, -1e30f}, 1.0, "1e30 + 1 - 1e30");
  std::vector<float> pow2;
  for (int e = -149; e <= 127; ++e) pow2.push_back(std::ldexp(1.0f, e));
  ExactSum all;
  for (float f : pow2) all.add(f);
  ExactSum low = all;  // take away 2^-100 .. 2^127: 2^-100 - 2^-149 remains (49 bits, exact in double)
  for (int e = -100; e <= 127; ++e) low.add(-std::ldexp(1.0f, e));
  LS_CHECK(all.to_float() == INFINITY && all.to_double() == std::ldexp(1.0, 128) &&
               low.to_double() == std::ldexp(1.0, -100) - std::ldexp(1.0, -149),
           InternalError, "study: exact accumulator self-check failed on sums of powers of two; please report");
  check({std::ldexp(1.0f, -149), -std::ldexp(1.0f, -149), 3.0f}, 3.0, "subnormal cancellation");
  return "1e30 + 1 - 1e30 = 1; the sum of all 277 powers of two 2^-149..2^127 rounds to +inf in float32 and "
         "to 2^128 in float64, and after subtracting 2^-100..2^127 again leaves exactly 2^-100 - 2^-149; "
         "subnormals cancel exactly";
}

// The sizes of one run of the study.
struct SumSetup {
  i64 n;
  int permutations;
  std::vector<int> threads;
  int fast_repeats;
};

// The study's CSV files, written while the distributions are measured.
struct SumFiles {
  Csv orders, exact, summary;
  explicit SumFiles(const std::string& out)
      : orders(out + "/sum_orders.csv", {"distribution", "n", "method", "variant", "value", "value_hex", "exact_f32_hex",
                                         "ulp", "rel_err", "err_over_sum_abs"}),
        exact(out + "/sum_exact.csv",
              {"distribution", "n", "exact_f64", "exact_f32", "exact_f32_hex", "sum_abs", "condition_number"}),
        summary(out + "/sum_summary.csv", {"distribution", "method", "results", "distinct_values", "min_ulp", "max_ulp",
                                           "max_abs_ulp", "max_abs_rel_err"}) {}
  void close() {
    orders.close();
    exact.close();
    summary.close();
  }
};

void write_intro(Report& rep, const StudyOptions& o, const SumSetup& setup, const std::string& check) {
  rep.para(run_header(o));
  rep.para(fmt::format(
      "Each data set has n = {} float32 values. Each is summed in float32 in the orders below and compared with the "
      "exact sum. **How the exact sum is exact:** every finite float32 is an integer multiple of 2^-149 and smaller "
      "than 2^128, so the study adds the values as integers in a 384-bit fixed-point accumulator (units of 2^-149, "
      "deferred carries), which never rounds; the result is rounded once, to nearest-even, at the end "
      "(`tools/study/exact_sum.h`). Known-answer self-check passed this run: {}. The difference between a computed "
      "sum and the exact one is also computed in the accumulator, so relative errors are exact up to the final "
      "rounding to float64. `ulp` is the signed number of float32 values between a computed sum and the correctly "
      "rounded exact sum (0 = correctly rounded).",
      setup.n, check));
  rep.para(
      "Orders: `sequential` (i = 0..n-1), `reverse`, `pairwise` (recursive halving), `sorted_abs` (ascending "
      "magnitude), `kahan` (compensated), `double_acc` (float64 accumulator, rounded once), `simd_lanes` (8 or 16 "
      "interleaved accumulators folded by halving, as an AVX2 or AVX-512 loop would), `chunked` (fixed chunks, "
      "partials added in order), `random_perm` (sequential over seeded random permutations), `lockstep_det` "
      "(lockstep's canonical order: `ops::sum` in deterministic mode, chunks of 1024, at each thread count) and "
      "`lockstep_fast` (`ops::sum` in fast mode, called " +
      std::to_string(setup.fast_repeats) + " times at each thread count).");
}

// Every computed sum of one distribution, grouped by method in the order the methods first appear.
struct ByMethod {
  std::map<std::string, std::vector<Measured>> sums;
  std::vector<std::string> order;
  std::set<std::uint32_t> all_bits;
  size_t total = 0;
  const std::vector<Measured>& operator[](const std::string& method) const {
    static const std::vector<Measured> kNone;
    const auto it = sums.find(method);
    return it == sums.end() ? kNone : it->second;
  }
};

std::set<std::uint32_t> distinct_bits(const std::vector<Measured>& ms) {
  std::set<std::uint32_t> bits;
  for (const auto& m : ms) bits.insert(std::bit_cast<std::uint32_t>(m.value));
  return bits;
}

// The smallest and largest signed ulp distance of a group of sums (0 .. 0 when empty).
std::pair<std::int64_t, std::int64_t> ulp_range(const std::vector<Measured>& ms) {
  std::int64_t lo = ms.empty() ? 0 : ms[0].ulp, hi = lo;
  for (const auto& m : ms) lo = std::min(lo, m.ulp), hi = std::max(hi, m.ulp);
  return {lo, hi};
}

// One summary CSV row and one report table row per method; returns the rows.
std::vector<std::vector<std::string>> method_rows(const ByMethod& bm, const std::string& dist, Csv& summary) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& method : bm.order) {
    const auto& ms = bm[method];
    const std::set<std::uint32_t> bits = distinct_bits(ms);
    const auto [lo, hi] = ulp_range(ms);
    std::int64_t amax = 0;
    double rmax = 0;
    for (const auto& m : ms) amax = std::max(amax, std::abs(m.ulp)), rmax = std::max(rmax, std::fabs(m.rel_err));
    summary << dist << method << static_cast<std::int64_t>(ms.size()) << static_cast<std::int64_t>(bits.size()) << lo
            << hi << amax << rmax;
    summary.end_row();
    rows.push_back({"`" + method + "`", std::to_string(ms.size()), std::to_string(bits.size()),
                    lo == hi ? std::to_string(lo) : fmt::format("{} .. {}", lo, hi), fmt_g(rmax)});
  }
  return rows;
}

// The finding sentence for one distribution.
std::string finding(const std::string& dist, const ByMethod& bm, size_t thread_counts) {
  std::int64_t global_min = 0, global_max = 0;
  bool first = true;
  for (const auto& method : bm.order) {
    const auto [lo, hi] = ulp_range(bm[method]);
    global_min = first ? lo : std::min(global_min, lo);
    global_max = first ? hi : std::max(global_max, hi);
    first = false;
  }
  const auto& perm = bm["random_perm"];
  const auto [plo, phi] = ulp_range(perm);
  const size_t det_bits = distinct_bits(bm["lockstep_det"]).size(), fast_bits = distinct_bits(bm["lockstep_fast"]).size();
  return fmt::format(
      "**{}**: all {} computed sums took {} distinct float32 values, from {} to {} ulp away from the exact sum. {} "
      "random permutations alone gave {} distinct values ({} .. {} ulp). Sequential order was {} ulp off, Kahan {} "
      "ulp. lockstep deterministic gave {} at {} thread counts; lockstep fast gave {} distinct value{} over {} "
      "calls.",
      dist, bm.total, bm.all_bits.size(), global_min, global_max, perm.size(), distinct_bits(perm).size(), plo, phi,
      bm["sequential"][0].ulp, bm["kahan"][0].ulp,
      det_bits == 1 ? "the same bits" : fmt::format("{} DIFFERENT values", det_bits), thread_counts, fast_bits,
      fast_bits == 1 ? "" : "s", bm["lockstep_fast"].size());
}

// One distribution: its exact sum, every order measured against it, a report section; returns its finding.
std::string study_distribution(const Distribution& dist, const StudyOptions& o, const SumSetup& setup, SumFiles& files,
                               Report& rep) {
  const i64 n = setup.n;
  const std::vector<float> v = make_values(dist.name, o.seed, n);
  const ExactSum ex = exact_sum(v.data(), v.size());
  double sum_abs = 0;  // condition number only: float64 accuracy is plenty
  for (float f : v) sum_abs += std::fabs(static_cast<double>(f));
  const Exact e{ex.to_double(), ex.to_float(), sum_abs};
  files.exact << dist.name << static_cast<std::int64_t>(n) << fmt::format("{:.17g}", e.value) << e.rounded
              << hexf(e.rounded) << sum_abs << (e.value != 0 ? sum_abs / std::fabs(e.value) : INFINITY);
  files.exact.end_row();

  ByMethod bm;
  for (const Result& r : all_orders(v, setup.permutations, o.seed, setup.threads, setup.fast_repeats)) {
    const Measured m = measure(r, ex, e);
    files.orders << dist.name << static_cast<std::int64_t>(n) << m.method << m.variant << static_cast<double>(m.value)
                 << hexf(m.value) << hexf(e.rounded) << m.ulp << m.rel_err << m.err_over_abs;
    files.orders.end_row();
    if (!bm.sums.count(m.method)) bm.order.push_back(m.method);
    bm.sums[m.method].push_back(m);
    bm.all_bits.insert(std::bit_cast<std::uint32_t>(m.value));
    ++bm.total;
  }
  const auto rows = method_rows(bm, dist.name, files.summary);
  rep.heading(fmt::format("{}: {}", dist.name, dist.description));
  rep.para(fmt::format("Exact sum {:.17g} (correctly rounded float32: {} = `{}`); sum of |x| = {}, so the condition "
                       "number sum|x| / |sum x| is {}.",
                       e.value, fmt_g(e.rounded, 9), hexf(e.rounded), fmt_g(sum_abs, 6),
                       e.value != 0 ? fmt_g(sum_abs / std::fabs(e.value)) : "infinite"));
  rep.table({"order", "results", "distinct float32 values", "ulp vs exact (min .. max)", "max relative error"}, rows);
  const std::string f = finding(dist.name, bm, setup.threads.size());
  rep.para(f);
  return f;
}

// Error against n for a few orders (uniform and normal data): sum_vs_n.csv.
void write_error_vs_n(const StudyOptions& o, int last_threads) {
  Csv vs_n(o.out + "/sum_vs_n.csv", {"distribution", "n", "method", "abs_rel_err"});
  const int max_log = o.quick ? 14 : 20;
  for (const std::string dist : {"uniform", "normal"}) {
    for (int lg = 6; lg <= max_log; lg += 2) {
      const i64 m = i64(1) << lg;
      const std::vector<float> v = make_values(dist, o.seed + 1, m);
      const ExactSum ex = exact_sum(v.data(), v.size());
      const Exact e{ex.to_double(), ex.to_float(), 0};
      auto row = [&](const std::string& method, double abs_rel_err) {
        vs_n << dist << static_cast<std::int64_t>(m) << method << abs_rel_err;
        vs_n.end_row();
      };
      auto err = [&](float value) { return std::fabs(measure({"", "", value}, ex, e).rel_err); };
      row("sequential", err(sum_sequential(v.data(), m)));
      row("pairwise", err(sum_pairwise(v.data(), m)));
      row("kahan", err(sum_kahan(v.data(), m)));
      row("lockstep_det", err(lockstep_sum(v, Mode::Deterministic, last_threads)));
      std::vector<double> errs;
      std::vector<float> p(v.size());
      for (int k = 0; k < 10; ++k) {
        const auto perm = random::permutation(o.seed + 1, static_cast<std::uint64_t>(k), m);
        for (size_t i = 0; i < v.size(); ++i) p[i] = v[static_cast<size_t>(perm[i])];
        errs.push_back(err(sum_sequential(p.data(), m)));
      }
      row("random_perm_median_of_10", stats_of(errs).median);
    }
  }
  vs_n.close();
}

}  // namespace

int run_sum(const StudyOptions& o) {
  const auto t0 = std::chrono::steady_clock::now();
  const SumSetup setup{o.quick ? (1 << 14) : (1 << 20), o.runs > 0 ? o.runs : (o.quick ? 30 : 200),
                       !o.threads.empty() ? o.threads : std::vector<int>{1, 2, 3, 4}, 3};
  std::filesystem::create_directories(o.out);
  const std::string check = self_check();
  SumFiles files(o.out);
  Report rep("lockstep study sum: one sum, many orders");
  write_intro(rep, o, setup, check);
  std::vector<std::string> findings;
  for (const auto& dist : kDistributions) findings.push_back(study_distribution(dist, o, setup, files, rep));
  write_error_vs_n(o, setup.threads.back());
  files.close();
  const std::string plots =
      add_plots(rep, "sum", o.out,
                {{"sum_ulp.png", "Signed ULP distance from the exact sum, per order and distribution (symlog scale)"},
                 {"sum_perm_hist.png", "Random permutations: histogram of the ULP distance from the exact sum"},
                 {"sum_vs_n.png", "Relative error against n for a few orders (log-log)"}});
  finish_report(rep, "sum", o.out,
                "`sum_orders.csv` (every computed sum), `sum_exact.csv` (the exact sums), `sum_summary.csv` (per "
                "order), `sum_vs_n.csv` (error against n).",
                t0, plots, findings);
  return 0;
}

}  // namespace lockstep::study

#include "tools/study/kernel_summary.h"

#include <algorithm>
#include <cstdlib>

#include <fmt/core.h>

namespace lockstep::study {

const char* const kBins[kBinCount] = {"0", "1", "2", "3-4", "5-8", "9-16", "17-64", "65-256", ">256"};

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

std::string Config::label() const {
  const char* m = mode == Mode::Fast ? "fast" : "det";
  if (device == Device::CUDA) return fmt::format("cuda {} #{}", m, rep);
  return fmt::format("{} {}t #{}", m, threads, rep);
}

void Tally::add(const Outcome& oc) {
  ++runs;
  if (std::find(hashes.begin(), hashes.end(), oc.hash) == hashes.end()) hashes.push_back(oc.hash);
  max_ulp_ref = std::max(max_ulp_ref, oc.max_ulp_ref);
  median_ulp_ref = std::max(median_ulp_ref, oc.median_ulp_ref);
  err_over_bound = std::max(err_over_bound, oc.max_over_bound);
  differ_det = std::max(differ_det, oc.differ_det);
  max_ulp_det = std::max(max_ulp_det, oc.max_ulp_det);
  bits_differ_det = std::max(bits_differ_det, oc.bits_differ_det);
  if (oc.over_bound > 0) over_bound += oc.over_bound;
}

namespace {

std::string ratio(double r) { return r < 0 ? std::string("n/a") : fmt_g(r, 2); }

std::string within(bool has_bound, const Tally& a, const Tally& b) {
  if (!has_bound) return "n/a";
  const std::int64_t over = a.over_bound + b.over_bound;
  return over == 0 ? "all" : fmt::format("{} outside", over);
}

// The findings' counts for one device from the tallies of one pass.
void fold(Findings::PerDevice& d, const std::string& pass, const Tally& det, const Tally& fast) {
  d.det_worst = std::max(d.det_worst, det.max_ulp_ref);
  d.fast_worst = std::max(d.fast_worst, fast.max_ulp_ref);
  d.det_worst_bound = std::max(d.det_worst_bound, det.err_over_bound);
  d.fast_worst_bound = std::max(d.fast_worst_bound, fast.err_over_bound);
  if (det.hashes.size() == 1) ++d.det_constant; else d.det_varying.push_back(pass);
  if (fast.differ_det > 0 || fast.bits_differ_det > 0) ++d.fast_differs_det, d.fast_diff_names.push_back(pass);
  if (fast.hashes.size() > 1) ++d.fast_varies, d.fast_varying_names.push_back(pass);
}

// Whether CUDA det reproduced det1's bits in every run: "yes", or loudly how it did not.
std::string cuda_det_verdict(const Tally& cuda_det) {
  if (cuda_det.bits_differ_det == 0) return fmt::format("yes ({} of {} runs)", cuda_det.runs, cuda_det.runs);
  return fmt::format("**NO: {} elements differ (max {} ulp)**", cuda_det.bits_differ_det, cuda_det.max_ulp_det);
}

}  // namespace

PassRows summarize(const std::string& pass, bool has_bound, const std::vector<Outcome>& outs, size_t outputs,
                   Findings& f) {
  Tally cpu_det, cpu_fast, cuda_det, cuda_fast;
  for (const Outcome& oc : outs) {
    const bool cuda = oc.cfg.device == Device::CUDA, det = oc.cfg.mode == Mode::Deterministic;
    (cuda ? (det ? cuda_det : cuda_fast) : (det ? cpu_det : cpu_fast)).add(oc);
  }
  fold(f.cpu, pass, cpu_det, cpu_fast);
  PassRows rows;
  rows.cpu = {"`" + pass + "`", std::to_string(outputs), std::to_string(cpu_det.hashes.size()),
              std::to_string(cpu_fast.hashes.size()), fmt_g(cpu_det.median_ulp_ref), fmt_g(cpu_fast.median_ulp_ref),
              std::to_string(cpu_det.max_ulp_ref), std::to_string(cpu_fast.max_ulp_ref), ratio(cpu_det.err_over_bound),
              ratio(cpu_fast.err_over_bound), std::to_string(cpu_fast.differ_det), std::to_string(cpu_fast.max_ulp_det),
              within(has_bound, cpu_det, cpu_fast)};
  if (cuda_det.runs + cuda_fast.runs == 0) return rows;
  f.cuda_ran = true;
  fold(f.cuda, pass, cuda_det, cuda_fast);
  if (cuda_det.runs > 0 && cuda_det.bits_differ_det == 0)
    ++f.cuda_det_equal;
  else
    f.cuda_det_differs.push_back(cuda_det.runs == 0 ? pass + " (no CUDA det run)"
                                                    : fmt::format("{} ({} elements, max {} ulp)", pass,
                                                                  cuda_det.bits_differ_det, cuda_det.max_ulp_det));
  rows.cuda = {"`" + pass + "`", std::to_string(outputs), cuda_det_verdict(cuda_det),
               std::to_string(cuda_det.hashes.size()), std::to_string(cuda_fast.hashes.size()),
               fmt_g(cuda_fast.median_ulp_ref), std::to_string(cuda_det.max_ulp_ref),
               std::to_string(cuda_fast.max_ulp_ref), ratio(cuda_fast.err_over_bound),
               std::to_string(cuda_fast.differ_det), std::to_string(cuda_fast.max_ulp_det),
               within(has_bound, cuda_det, cuda_fast)};
  return rows;
}

std::vector<std::string> cpu_table_header() {
  return {"pass", "outputs", "det distinct", "fast distinct", "det median ulp", "fast median ulp", "det max ulp",
          "fast max ulp", "det err/bound", "fast err/bound", "fast elements != det (max)", "fast max ulp vs det",
          "within bound (all runs)"};
}

std::vector<std::string> cuda_table_header() {
  return {"pass", "outputs", "CUDA det bits = CPU det", "CUDA det distinct", "CUDA fast distinct",
          "CUDA fast median ulp", "CUDA det max ulp", "CUDA fast max ulp", "CUDA fast err/bound",
          "CUDA fast elements != det (max)", "CUDA fast max ulp vs det", "within bound (CUDA runs)"};
}

std::string gpu_paragraph(bool cuda_ran, bool cuda_backend_registered, int reps) {
  if (cuda_ran)
    return fmt::format(
        "GPU: measured. Every pass also ran through the CUDA kernels (`--device cuda`: the same inputs copied to the "
        "device, the outputs copied back) in deterministic and fast mode, {} times each, compared with the same "
        "float64 reference and with the CPU's `det 1t #1` result. The CUDA rows are in their own table; their thread "
        "count is 0 (the host's thread count does not reach the GPU kernels).",
        reps);
  if (cuda_backend_registered)
    return "GPU: not measured; this run used the CPU kernels only (`--device cuda` adds CUDA det and fast rows).";
  return "GPU: not measured; this build has no CUDA backend (no CUDA kernels are registered).";
}

namespace {

std::string capitalized(std::string s) {
  if (!s.empty() && s[0] >= 'a' && s[0] <= 'z') s[0] = static_cast<char>(s[0] - 'a' + 'A');
  return s;
}

std::string in_parens(const std::vector<std::string>& names) {
  return names.empty() ? "" : " (" + join(names, ", ") + ")";
}

void write_device_findings(Report& rep, const Findings::PerDevice& d, const std::string& where, size_t P,
                           const std::string& runs_text, size_t runs) {
  rep.line(fmt::format("- {}: {} of {} passes gave one identical result (same bits) across all {} runs ({}){}.",
                       capitalized(where + "deterministic mode"), d.det_constant, P, runs, runs_text,
                       d.det_varying.empty() ? "" : "; varying: " + join(d.det_varying, ", ")));
  rep.line(fmt::format("- {}: {} of {} passes differed from the deterministic result in at least one run{}; {} of {} "
                       "gave more than one distinct result across its {} runs{}.",
                       capitalized(where + "fast mode"), d.fast_differs_det, P, in_parens(d.fast_diff_names),
                       d.fast_varies, P, runs, in_parens(d.fast_varying_names)));
  rep.line(fmt::format("- {}: the largest distance from the float64 reference was {} ulp in deterministic mode and {} "
                       "ulp in fast mode (any pass, any run; near-zero outputs dominate this); measured against the error "
                       "bound 2 n 2^-24 sum|terms|, the worst error was {} of the bound in deterministic mode and {} in "
                       "fast mode.",
                       capitalized(where + "accuracy"), d.det_worst, d.fast_worst, fmt_g(d.det_worst_bound, 2),
                       fmt_g(d.fast_worst_bound, 2)));
}

}  // namespace

void write_findings(Report& rep, const Findings& f, size_t P, size_t thread_counts, int reps) {
  const size_t cpu_runs = thread_counts * static_cast<size_t>(reps);
  rep.heading("Findings");
  write_device_findings(rep, f.cpu, f.cuda_ran ? "CPU " : "", P,
                        fmt::format("{} thread counts x {} repeats", thread_counts, reps), cpu_runs);
  if (f.cpu.fast_differs_det == 0)
    rep.line(std::string("- Fast mode") + (f.cuda_ran ? " on the CPU" : "") +
             " ran exactly the deterministic kernels' arithmetic here: either no fast kernels are registered in this "
             "build (fast mode then falls back to the deterministic ones) or they reproduced the canonical order.");
  if (f.cuda_ran) {
    rep.line(fmt::format("- CUDA det equal to CPU det: {} of {} passes (every output element's bits, in every one of "
                         "the {} CUDA det runs, equal to the CPU's `det 1t #1`).",
                         f.cuda_det_equal, P, reps));
    if (!f.cuda_det_differs.empty())
      rep.line("- **CUDA DET DIFFERS FROM CPU DET** in " + std::to_string(f.cuda_det_differs.size()) + " of " +
               std::to_string(P) + " passes: " + join(f.cuda_det_differs, ", ") +
               ". Deterministic mode promises the same bits on every device: this is a defect.");
    write_device_findings(rep, f.cuda, "CUDA ", P, fmt::format("{} repeats", reps), static_cast<size_t>(reps));
  }
  rep.line("");
}

std::vector<std::string> console_lines(const Findings& f, size_t P, size_t cpu_runs, int reps) {
  std::vector<std::string> lines = {
      fmt::format("deterministic: {} of {} passes identical across {} runs; fast: {} of {} differ from det, {} of {} "
                  "vary",
                  f.cpu.det_constant, P, cpu_runs, f.cpu.fast_differs_det, P, f.cpu.fast_varies, P)};
  if (!f.cuda_ran) return lines;
  lines.push_back(fmt::format("CUDA det equal to CPU det: {} of {} passes; CUDA fast: {} of {} differ from det, {} of {} "
                              "vary across {} runs",
                              f.cuda_det_equal, P, f.cuda.fast_differs_det, P, f.cuda.fast_varies, P, reps));
  if (!f.cuda_det_differs.empty())
    lines.push_back("WARNING: CUDA DET DIFFERS FROM CPU DET in " + join(f.cuda_det_differs, ", "));
  return lines;
}

}  // namespace lockstep::study

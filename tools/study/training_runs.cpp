#include "tools/study/training_runs.h"

#include <algorithm>

#include <fmt/core.h>

#include "tools/study/report.h"

namespace lockstep::study {

std::vector<Run> plan_runs(const std::vector<int>& threads, int runs, Device device) {
  std::vector<Run> plan;
  auto add = [&](std::string name, std::string kind, Device d, Mode m, int t) {
    Run r;
    r.name = std::move(name);
    r.kind = std::move(kind);
    r.device = d;
    r.mode = m;
    r.threads = d == Device::CPU ? t : 0;
    plan.push_back(std::move(r));
  };
  auto threads_of = [&](int r) { return threads[static_cast<size_t>(r) % threads.size()]; };
  if (device == Device::CUDA) {
    add(fmt::format("cpu-det-ref-{}t", threads[0]), "ref", Device::CPU, Mode::Deterministic, threads[0]);
    for (int r = 0; r < runs; ++r) add(fmt::format("cuda-det-{}", r + 1), "det", device, Mode::Deterministic, 0);
    for (int r = 0; r < runs; ++r) add(fmt::format("cuda-fast-{}", r + 1), "fast", device, Mode::Fast, 0);
    add("cuda-onebit", "onebit", device, Mode::Deterministic, 0);
    return plan;
  }
  for (int r = 0; r < runs; ++r)
    add(fmt::format("det-{}-{}t", r + 1, threads_of(r)), r == 0 ? "ref" : "det", device, Mode::Deterministic,
        threads_of(r));
  for (int r = 0; r < runs; ++r)
    add(fmt::format("fast-{}-{}t", r + 1, threads_of(r)), "fast", device, Mode::Fast, threads_of(r));
  add(fmt::format("onebit-{}t", threads[0]), "onebit", device, Mode::Deterministic, threads[0]);
  return plan;
}

std::vector<const Run*> runs_of(const std::vector<Run>& runs, std::initializer_list<const char*> kinds) {
  std::vector<const Run*> v;
  for (const Run& r : runs)
    for (const char* k : kinds)
      if (r.kind == k) v.push_back(&r);
  return v;
}

std::vector<i64> mark_steps(i64 steps) {
  std::vector<i64> marks;
  for (i64 s : {i64(1), i64(10), i64(100), steps / 2, steps})
    if (s >= 1 && s <= steps && (marks.empty() || s > marks.back())) marks.push_back(s);
  return marks;
}

std::string where(const Run& r) {
  return r.device == Device::CPU ? fmt::format("cpu {}t", r.threads) : std::string(device_name(r.device));
}

namespace {

template <class T, class F>
std::string join_each(const std::vector<T>& items, F text) {
  std::vector<std::string> s;
  for (const T& item : items) s.push_back(text(item));
  return join(s, ", ");
}

bool on_cuda(const std::vector<Run>& runs) {
  return std::any_of(runs.begin(), runs.end(), [](const Run& r) { return r.device == Device::CUDA; });
}

// The CUDA det runs that left the CPU reference: "cuda-det-2 (first after step 3, final L2 1e-07)".
std::vector<std::string> cuda_det_departures(const std::vector<Run>& runs) {
  std::vector<std::string> out;
  for (const Run* r : runs_of(runs, {"det"}))
    if (r->device == Device::CUDA && r->first_diff >= 0)
      out.push_back(fmt::format("{} (first after step {}, final L2 {})", r->name, r->first_diff, fmt_g(r->l2)));
  return out;
}

std::string det_line(const std::vector<Run>& runs, i64 S, const Agreement& agreement) {
  const std::string disagreed =
      agreement.det_disagree_steps
          ? fmt::format("; deterministic runs disagreed after {} steps", agreement.det_disagree_steps)
          : "";
  if (!on_cuda(runs)) {
    const auto det = runs_of(runs, {"ref", "det"});
    int same = 0;
    for (const Run* r : det) same += r->first_diff < 0;
    return fmt::format("- Deterministic mode: {} of {} runs (thread counts {}) had bitwise the same parameters as the "
                       "reference after every one of the {} steps{}.",
                       same, det.size(), join_each(det, [](const Run* r) { return std::to_string(r->threads); }), S,
                       disagreed);
  }
  int cuda_det = 0, same = 0;
  for (const Run* r : runs_of(runs, {"det"}))
    if (r->device == Device::CUDA) ++cuda_det, same += r->first_diff < 0;
  return fmt::format("- CUDA det equal to CPU det: {} of {} deterministic runs on CUDA had bitwise the same parameters "
                     "as the CPU deterministic reference (`{}`) after every one of the {} steps{}.",
                     same, cuda_det, runs[0].name, S, disagreed);
}

std::string fast_line(const std::vector<Run>& runs, i64 S, const Agreement& agreement) {
  const auto fast = runs_of(runs, {"fast"});
  const std::string label = on_cuda(runs) ? "CUDA fast mode" : "Fast mode";
  int differ = 0;
  i64 earliest = -1;
  double max_l2 = 0;
  for (const Run* r : fast) {
    if (r->first_diff >= 0) {
      ++differ;
      earliest = earliest < 0 ? r->first_diff : std::min(earliest, r->first_diff);
    }
    max_l2 = std::max(max_l2, r->l2);
  }
  if (differ == 0)
    return fmt::format("- {}: all {} fast runs stayed bitwise equal to the reference for all {} steps (in this build "
                       "fast mode ran the same arithmetic as deterministic mode for this network).",
                       label, fast.size(), S);
  return fmt::format("- {}: {} of {} fast runs left the reference, the earliest after step {}; the largest final L2 "
                     "distance was {}. The fast runs differed from each other after {} of {} steps{}.",
                     label, differ, fast.size(), earliest, fmt_g(max_l2), agreement.fast_disagree_steps, S,
                     agreement.fast_first_disagree > 0
                         ? fmt::format(" (first after step {})", agreement.fast_first_disagree)
                         : "");
}

}  // namespace

std::string runs_description(const std::vector<Run>& runs, const std::vector<int>& threads, int per_mode) {
  if (!on_cuda(runs))
    return fmt::format("{} deterministic and {} fast runs, thread counts cycling through {{{}}}, all from the same seed "
                       "and fed the same batches; the first deterministic run (`{}`) is the reference every run is "
                       "compared with after every step",
                       per_mode, per_mode, join_each(threads, [](int t) { return std::to_string(t); }), runs[0].name);
  return fmt::format("One deterministic run on the CPU (`{}`) is the reference; {} deterministic and {} fast runs on "
                     "CUDA, all from the same seed (initialised on the host, then moved to the GPU) and fed the same "
                     "batches, are compared with it after every step",
                     runs[0].name, per_mode, per_mode);
}

std::string training_gpu_paragraph(const std::vector<Run>& runs, bool cuda_backend_registered) {
  if (on_cuda(runs))
    return "GPU: measured. `--device cuda`: every run but the reference trained on the GPU; a CUDA deterministic run is "
           "expected to keep the CPU reference's bits at every step, and the findings say whether each did.";
  if (cuda_backend_registered)
    return "GPU: not measured; every run trained on the CPU (`--device cuda` trains the runs on the GPU against a CPU "
           "deterministic reference).";
  return "GPU: not measured; this build has no CUDA backend.";
}

std::vector<std::string> mode_findings(const std::vector<Run>& runs, i64 S, const Agreement& agreement) {
  std::vector<std::string> lines = {det_line(runs, S, agreement)};
  if (const auto gone = cuda_det_departures(runs); !gone.empty())
    lines.push_back("- **CUDA DET DIFFERS FROM CPU DET**: " + join(gone, ", ") +
                    ". Deterministic mode promises the same bits on every device: this is a defect.");
  lines.push_back(fast_line(runs, S, agreement));
  const auto fast = runs_of(runs, {"fast"});
  const bool any_left = std::any_of(fast.begin(), fast.end(), [](const Run* r) { return r->first_diff >= 0; });
  auto largest_at = [&](i64 s) {  // growth: the largest fast distance at a few steps
    double m = 0;
    for (const Run* r : fast) m = std::max(m, r->l2_history[static_cast<size_t>(s - 1)]);
    return fmt::format("{} after step {}", fmt_g(m), s);
  };
  if (any_left)
    lines.push_back("- Largest fast-run L2 distance to the reference: " + join_each(mark_steps(S), largest_at) + ".");
  return lines;
}

std::vector<std::string> training_console_lines(const std::vector<Run>& runs, i64 S) {
  if (!on_cuda(runs)) return {};
  int cuda_det = 0, same = 0;
  for (const Run* r : runs_of(runs, {"det"}))
    if (r->device == Device::CUDA) ++cuda_det, same += r->first_diff < 0;
  std::vector<std::string> lines = {
      fmt::format("CUDA det equal to CPU det: {} of {} runs, all {} steps", same, cuda_det, S)};
  if (const auto gone = cuda_det_departures(runs); !gone.empty())
    lines.push_back("WARNING: CUDA DET DIFFERS FROM CPU DET: " + join(gone, ", "));
  return lines;
}

}  // namespace lockstep::study

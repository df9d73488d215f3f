// `lockstep study kernels`, the part after the kernels ran: the measurements of one run of one
// pass (Outcome), their fold into the per-pass table rows and the findings, and the report's
// sentences about them. Separate from the runs so it can be tested with results made up in
// the test (tests/study/kernel_summary_test.cpp): in particular the CUDA rows and sentences,
// which a machine without a GPU never produces from real runs.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "core/device.h"
#include "core/mode.h"
#include "tools/study/report.h"

namespace lockstep::study {

constexpr int kBinCount = 9;
extern const char* const kBins[kBinCount];  // "0", "1", "2", "3-4", ... ">256"
int bin_of(std::int64_t ulp);

// One configuration a pass runs in. threads is the CPU thread count; 0 on CUDA, where the
// host's thread count does not reach the kernels.
struct Config {
  Device device = Device::CPU;
  Mode mode = Mode::Deterministic;
  int threads = 1, rep = 1;
  std::string label() const;  // "det 1t #1", "cuda fast #2"
};

// One run of one pass, compared element by element with the float64 reference and with the
// CPU deterministic result at the first thread count, rep 1 ("det1").
struct Outcome {
  Config cfg;
  std::uint64_t hash = 0;
  std::int64_t max_ulp_ref = 0, differ_det = 0, max_ulp_det = 0;
  std::int64_t bits_differ_det = 0;  // elements whose bits differ from det1 (also -0 vs +0, NaNs)
  double mean_ulp_ref = 0, median_ulp_ref = 0, frac_rounded = 0, max_rel = 0;
  double max_over_bound = -1;   // max |y - r| / (2 n u sum|terms|); -1: no bound
  std::int64_t over_bound = 0;  // elements outside 2 n u sum|terms| (-1: no bound)
  std::array<std::int64_t, kBinCount> hist{};
};

// The runs of one pass on one device in one mode, folded.
struct Tally {
  int runs = 0;
  std::vector<std::uint64_t> hashes;  // distinct, in first-seen order
  std::int64_t max_ulp_ref = 0, differ_det = 0, max_ulp_det = 0, bits_differ_det = 0, over_bound = 0;
  double median_ulp_ref = 0, err_over_bound = -1;
  void add(const Outcome& oc);
};

// What the findings say, accumulated over the passes, per device.
struct Findings {
  struct PerDevice {
    int det_constant = 0, fast_differs_det = 0, fast_varies = 0;
    std::vector<std::string> det_varying, fast_varying_names, fast_diff_names;
    std::int64_t det_worst = 0, fast_worst = 0;
    double det_worst_bound = -1, fast_worst_bound = -1;
  };
  PerDevice cpu, cuda;
  bool cuda_ran = false;
  int cuda_det_equal = 0;                    // passes whose every CUDA det run has det1's bits
  std::vector<std::string> cuda_det_differs;  // "pass (k elements, max u ulp)"
};

// The table rows of one pass: the CPU row, and the CUDA row when CUDA outcomes are present.
struct PassRows {
  std::vector<std::string> cpu, cuda;
};

// Folds every run of one pass (any device) into its rows and into the findings.
PassRows summarize(const std::string& pass, bool has_bound, const std::vector<Outcome>& outs, size_t outputs,
                   Findings& f);

// Column headers of PassRows::cpu and PassRows::cuda.
std::vector<std::string> cpu_table_header();
std::vector<std::string> cuda_table_header();

// The introduction's paragraph on the GPU: what was measured on it, or why nothing was.
std::string gpu_paragraph(bool cuda_ran, bool cuda_backend_registered, int reps);

// The "Findings" section; each CPU configuration and each CUDA mode ran `reps` times.
void write_findings(Report& rep, const Findings& f, size_t passes, size_t thread_counts, int reps);

// The lines `study kernels` prints after "wrote report.md": the counts, and loudly any pass
// whose CUDA det result differs from the CPU's.
std::vector<std::string> console_lines(const Findings& f, size_t passes, size_t cpu_runs, int reps);

}  // namespace lockstep::study

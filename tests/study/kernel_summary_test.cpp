// The fold of `study kernels` results into table rows, findings and the report, fed with
// outcomes made up here: the CUDA outcomes a `--device cuda` run produces reach their own
// table row and findings, a CUDA det result whose bits differ from the CPU det one is
// reported loudly, and a CPU-only run says the GPU was not measured.
#include <gtest/gtest.h>

#include "tools/study/kernel_summary.h"

namespace lockstep::study {
namespace {

Outcome outcome(Device d, Mode m, int threads, int rep, std::uint64_t hash) {
  Outcome oc;
  oc.cfg = {d, m, threads, rep};
  oc.hash = hash;
  return oc;
}

// One pass: CPU det and fast at 1 and 2 threads, then CUDA det and fast, 2 repeats each.
// `cuda_det_bits_differ` elements of the second CUDA det run differ from the CPU det result.
std::vector<Outcome> runs_of_one_pass(bool with_cuda, std::int64_t cuda_det_bits_differ) {
  std::vector<Outcome> outs;
  for (int t : {1, 2})
    for (int r : {1, 2}) outs.push_back(outcome(Device::CPU, Mode::Deterministic, t, r, 7));
  for (int t : {1, 2})
    for (int r : {1, 2}) outs.push_back(outcome(Device::CPU, Mode::Fast, t, r, 7));
  if (!with_cuda) return outs;
  outs.push_back(outcome(Device::CUDA, Mode::Deterministic, 0, 1, 7));
  Outcome second = outcome(Device::CUDA, Mode::Deterministic, 0, 2, cuda_det_bits_differ ? 8 : 7);
  second.bits_differ_det = second.differ_det = cuda_det_bits_differ;
  second.max_ulp_det = cuda_det_bits_differ ? 3 : 0;
  outs.push_back(second);
  for (int r : {1, 2}) {  // fast on CUDA: different from det, and from each other (atomics)
    Outcome f = outcome(Device::CUDA, Mode::Fast, 0, r, 100 + static_cast<std::uint64_t>(r));
    f.differ_det = f.bits_differ_det = 5 * r;
    f.max_ulp_det = 2;
    f.max_ulp_ref = 4;
    outs.push_back(f);
  }
  return outs;
}

std::string findings_text(const Findings& f, size_t passes) {
  Report rep("t");
  write_findings(rep, f, passes, 2, 2);
  return rep.text();
}

TEST(KernelSummary, CpuOnlyRunHasNoCudaRowAndSaysTheGpuWasNotMeasured) {
  Findings f;
  const PassRows rows = summarize("p", false, runs_of_one_pass(false, 0), 10, f);
  EXPECT_EQ(rows.cpu.size(), cpu_table_header().size());
  EXPECT_TRUE(rows.cuda.empty());
  EXPECT_FALSE(f.cuda_ran);
  const std::string text = findings_text(f, 1);
  EXPECT_NE(text.find("- Deterministic mode: 1 of 1 passes gave one identical result"), std::string::npos) << text;
  EXPECT_EQ(text.find("CUDA"), std::string::npos) << text;
  EXPECT_EQ(gpu_paragraph(false, true, 2).rfind("GPU: not measured", 0), 0u);
  EXPECT_EQ(gpu_paragraph(false, false, 2).rfind("GPU: not measured", 0), 0u);
  EXPECT_EQ(console_lines(f, 1, 4, 2).size(), 1u);
}

TEST(KernelSummary, CudaOutcomesReachTheirOwnRowAndTheFindings) {
  Findings f;
  const PassRows rows = summarize("conv1.fwd", true, runs_of_one_pass(true, 0), 10, f);
  ASSERT_EQ(rows.cuda.size(), cuda_table_header().size());
  EXPECT_EQ(rows.cpu[2], "1");  // CPU det distinct: the CUDA runs are not folded into the CPU row
  EXPECT_EQ(rows.cpu[3], "1");
  EXPECT_EQ(rows.cuda[0], "`conv1.fwd`");
  EXPECT_EQ(rows.cuda[2], "yes (2 of 2 runs)");
  EXPECT_EQ(rows.cuda[3], "1");   // CUDA det distinct
  EXPECT_EQ(rows.cuda[4], "2");   // CUDA fast distinct
  EXPECT_EQ(rows.cuda[7], "4");   // CUDA fast max ulp from the reference
  EXPECT_EQ(rows.cuda[9], "10");  // CUDA fast elements != det (max over runs)
  EXPECT_TRUE(f.cuda_ran);
  EXPECT_EQ(f.cuda_det_equal, 1);
  const std::string text = findings_text(f, 1);
  EXPECT_NE(text.find("- CUDA det equal to CPU det: 1 of 1 passes"), std::string::npos) << text;
  EXPECT_NE(text.find("- CUDA fast mode: 1 of 1 passes differed from the deterministic result in at least one run "
                      "(conv1.fwd); 1 of 1 gave more than one distinct result across its 2 runs (conv1.fwd)."),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("DIFFERS"), std::string::npos) << text;
  EXPECT_EQ(gpu_paragraph(true, true, 2).rfind("GPU: measured", 0), 0u);
  EXPECT_EQ(console_lines(f, 1, 4, 2).size(), 2u);
}

TEST(KernelSummary, CudaDetDifferingFromCpuDetIsReportedLoudly) {
  Findings f;
  summarize("fc1.fwd", true, runs_of_one_pass(true, 0), 10, f);
  const PassRows rows = summarize("fc2.fwd", true, runs_of_one_pass(true, 6), 10, f);
  EXPECT_EQ(rows.cuda[2], "**NO: 6 elements differ (max 3 ulp)**");
  EXPECT_EQ(f.cuda_det_equal, 1);
  const std::string text = findings_text(f, 2);
  EXPECT_NE(text.find("- CUDA det equal to CPU det: 1 of 2 passes"), std::string::npos) << text;
  EXPECT_NE(text.find("**CUDA DET DIFFERS FROM CPU DET** in 1 of 2 passes: fc2.fwd (6 elements, max 3 ulp)"),
            std::string::npos)
      << text;
  const auto lines = console_lines(f, 2, 4, 2);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[2], "WARNING: CUDA DET DIFFERS FROM CPU DET in fc2.fwd (6 elements, max 3 ulp)");
}

TEST(KernelSummary, BitsDifferingWithoutAnUlpDistanceStillCount) {
  // -0 against +0: ulp distance 0, different bits; a CUDA det run doing that is not "equal".
  Findings f;
  std::vector<Outcome> outs = runs_of_one_pass(true, 0);
  for (Outcome& oc : outs)
    if (oc.cfg.device == Device::CUDA && oc.cfg.mode == Mode::Deterministic) oc.bits_differ_det = 1;
  const PassRows rows = summarize("relu1.fwd", false, outs, 10, f);
  EXPECT_EQ(f.cuda_det_equal, 0);
  EXPECT_EQ(rows.cuda[2], "**NO: 1 elements differ (max 0 ulp)**");
}

TEST(KernelSummary, ConfigLabelsNameTheDevice) {
  EXPECT_EQ((Config{Device::CPU, Mode::Deterministic, 1, 1}).label(), "det 1t #1");
  EXPECT_EQ((Config{Device::CUDA, Mode::Fast, 0, 2}).label(), "cuda fast #2");
}

}  // namespace
}  // namespace lockstep::study

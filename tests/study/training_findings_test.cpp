// The plan and the findings of `study training`, on runs made up here (no model, no training):
// `--device cuda` plans a CPU deterministic reference and the other runs on the GPU, its
// findings count the CUDA det runs that kept the reference's bits and say loudly which did
// not, and a CPU-only study says the GPU was not measured.
#include <gtest/gtest.h>

#include "tools/study/training_runs.h"

namespace lockstep::study {
namespace {

using Runs = std::vector<Run>;  // inside a TEST, `Run` is testing::Test::Run

std::vector<std::string> names_of(const Runs& runs) {
  std::vector<std::string> v;
  for (const Run& r : runs) v.push_back(r.name + " " + r.kind + " " + where(r) + " " + std::string(mode_name(r.mode)));
  return v;
}

// The plan for `device` as if every run had trained `steps` steps; `departed` CUDA det runs
// left the reference after step 2.
std::vector<Run> trained(Device device, i64 steps, int departed) {
  std::vector<Run> runs = plan_runs({1, 2}, 2, device);
  for (Run& r : runs) {
    r.l2_history.assign(static_cast<size_t>(steps), 0.0);
    if (r.kind == "fast" || r.kind == "onebit") {
      r.first_diff = 1;
      r.l2 = 1e-6;
      r.l2_history.assign(static_cast<size_t>(steps), 1e-6);
    }
    if (r.kind == "det" && r.device == Device::CUDA && departed > 0) {
      --departed;
      r.first_diff = 2;
      r.l2 = 3e-7;
    }
  }
  return runs;
}

std::string text_of(const std::vector<std::string>& lines) {
  std::string s;
  for (const auto& l : lines) s += l + "\n";
  return s;
}

TEST(TrainingPlan, CpuStudyKeepsItsRuns) {
  EXPECT_EQ(names_of(plan_runs({1, 2}, 2, Device::CPU)),
            (std::vector<std::string>{"det-1-1t ref cpu 1t deterministic", "det-2-2t det cpu 2t deterministic",
                                      "fast-1-1t fast cpu 1t fast", "fast-2-2t fast cpu 2t fast",
                                      "onebit-1t onebit cpu 1t deterministic"}));
}

TEST(TrainingPlan, CudaStudyHasACpuReferenceAndTheOtherRunsOnTheGpu) {
  EXPECT_EQ(names_of(plan_runs({3, 4}, 2, Device::CUDA)),
            (std::vector<std::string>{"cpu-det-ref-3t ref cpu 3t deterministic", "cuda-det-1 det cuda deterministic",
                                      "cuda-det-2 det cuda deterministic", "cuda-fast-1 fast cuda fast",
                                      "cuda-fast-2 fast cuda fast", "cuda-onebit onebit cuda deterministic"}));
}

TEST(TrainingFindings, CpuStudySaysTheGpuWasNotMeasured) {
  const Runs runs = trained(Device::CPU, 5, 0);
  const std::string text = text_of(mode_findings(runs, 5, {}));
  EXPECT_NE(text.find("- Deterministic mode: 2 of 2 runs (thread counts 1, 2)"), std::string::npos) << text;
  EXPECT_EQ(text.find("CUDA"), std::string::npos) << text;
  EXPECT_TRUE(training_console_lines(runs, 5).empty());
  EXPECT_EQ(training_gpu_paragraph(runs, true).rfind("GPU: not measured", 0), 0u);
  EXPECT_EQ(training_gpu_paragraph(runs, false).rfind("GPU: not measured", 0), 0u);
}

TEST(TrainingFindings, CudaDetRunsAreComparedWithTheCpuReference) {
  const Runs runs = trained(Device::CUDA, 5, 0);
  const std::string text = text_of(mode_findings(runs, 5, {}));
  EXPECT_NE(text.find("- CUDA det equal to CPU det: 2 of 2 deterministic runs on CUDA had bitwise the same parameters "
                      "as the CPU deterministic reference (`cpu-det-ref-1t`) after every one of the 5 steps."),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("- CUDA fast mode: 2 of 2 fast runs left the reference, the earliest after step 1"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("DIFFERS"), std::string::npos) << text;
  EXPECT_EQ(training_console_lines(runs, 5), std::vector<std::string>{"CUDA det equal to CPU det: 2 of 2 runs, all 5 steps"});
  EXPECT_EQ(training_gpu_paragraph(runs, true).rfind("GPU: measured", 0), 0u);
  EXPECT_NE(runs_description(runs, {1, 2}, 2).find("One deterministic run on the CPU (`cpu-det-ref-1t`) is the reference"),
            std::string::npos);
}

TEST(TrainingFindings, ACudaDetRunLeavingTheCpuReferenceIsReportedLoudly) {
  const Runs runs = trained(Device::CUDA, 5, 1);
  const std::string text = text_of(mode_findings(runs, 5, {}));
  EXPECT_NE(text.find("- CUDA det equal to CPU det: 1 of 2 deterministic runs"), std::string::npos) << text;
  EXPECT_NE(text.find("- **CUDA DET DIFFERS FROM CPU DET**: cuda-det-1 (first after step 2, final L2 3e-07)."),
            std::string::npos)
      << text;
  const auto lines = training_console_lines(runs, 5);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[1], "WARNING: CUDA DET DIFFERS FROM CPU DET: cuda-det-1 (first after step 2, final L2 3e-07)");
}

}  // namespace
}  // namespace lockstep::study

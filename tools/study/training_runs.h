// `lockstep study training`: the runs it trains side by side (which device, mode and thread
// count each has) and the findings drawn from them. Separate from the training itself so the
// plan and the sentences can be tested with runs made up in the test
// (tests/study/training_findings_test.cpp): in particular those of `--device cuda`, which a
// machine without a GPU never trains.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/device.h"
#include "core/mode.h"
#include "nn/module.h"
#include "nn/sgd.h"
#include "nn/training.h"

namespace lockstep::study {

struct Run {
  std::string name, kind;  // kind: ref | det | fast | onebit
  Device device = Device::CPU;
  Mode mode = Mode::Deterministic;
  int threads = 1;  // CPU threads; 0 on CUDA, where the host's thread count does not reach the kernels
  std::unique_ptr<nn::Module> net;
  std::unique_ptr<nn::SGD> opt;
  i64 first_diff = -1, first_loss_diff = -1;  // -1: never differed from the reference
  float loss = 0;
  double l2 = 0, maxabs = 0;
  std::vector<double> l2_history;  // L2 distance to the reference after each step
  nn::EvalResult eval;
};

// The runs, without their models. The reference (kind "ref") is first: deterministic on the
// CPU at threads[0]. On the CPU: `runs` det runs (the first is the reference) and `runs` fast
// ones, run r at threads[(r-1) % T]. With device CUDA: the CPU reference, then `runs` det and
// `runs` fast runs on the GPU. Last, the one-bit run: deterministic, on `device`.
std::vector<Run> plan_runs(const std::vector<int>& threads, int runs, Device device);

// How often runs of one mode disagreed with each other.
struct Agreement {
  i64 fast_disagree_steps = 0, det_disagree_steps = 0;  // steps after which runs of one mode were not all equal
  i64 fast_first_disagree = -1;
};

std::vector<const Run*> runs_of(const std::vector<Run>& runs, std::initializer_list<const char*> kinds);

// Steps 1, 10, 100, S/2, S that exist, in order, once each: where the report samples distances.
std::vector<i64> mark_steps(i64 steps);

// The findings' lines on deterministic and fast runs after `steps` steps, each starting "- ".
// With CUDA runs: how many CUDA det runs stayed bitwise equal to the CPU reference, and
// loudly each that did not.
std::vector<std::string> mode_findings(const std::vector<Run>& runs, i64 steps, const Agreement& agreement);

// What `study training` prints after "wrote report.md": with CUDA runs, the CUDA det count
// and a WARNING line for any CUDA det run that left the CPU reference. Empty on the CPU.
std::vector<std::string> training_console_lines(const std::vector<Run>& runs, i64 steps);

// The report's sentence on which runs trained where and which one is the reference.
std::string runs_description(const std::vector<Run>& runs, const std::vector<int>& threads, int per_mode);
// The report's paragraph on the GPU: what ran there, or why nothing did.
std::string training_gpu_paragraph(const std::vector<Run>& runs, bool cuda_backend_registered);

// "cpu 2t" or "cuda": where a run ran, for tables and sentences.
std::string where(const Run& r);

}  // namespace lockstep::study

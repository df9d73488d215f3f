// `lockstep study sum|kernels|training`: experiments that measure how the order of
// floating-point operations changes results, using lockstep's own kernels. Each writes CSV
// files, PNG plots (tools/study/plot.py, when matplotlib is installed) and a report.md into
// its output directory; every sentence of the report is computed from the numbers it wrote.
// Deliberately not here: any claim about what the fast kernels do. The experiments call the
// public API (ModeGuard, set_num_threads, ops::, the registry), so whatever the registered
// fast kernels do is what the report shows.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/device.h"

namespace lockstep::study {

struct StudyOptions {
  std::string out;                 // output directory
  bool quick = false;              // small sizes, for tests (well under a minute)
  std::uint64_t seed = 1;
  std::vector<int> threads;        // empty: the experiment's default list
  int runs = 0;                    // 0: the experiment's default
  long long steps = 0;             // training steps; 0: default
  std::string data = "data/mnist"; // training data; synthetic when absent
  std::string command_line;
  Device device = Device::CPU;     // kernels, training: CUDA adds the GPU's runs to the CPU's
};

// Each returns 0 and prints the report path; errors are thrown as lockstep::Error.
int run_sum(const StudyOptions& o);
int run_kernels(const StudyOptions& o);
int run_training(const StudyOptions& o);

// Parses "1,2,4" into {1,2,4}; throws Error on anything else.
std::vector<int> parse_int_list(const std::string& s);

}  // namespace lockstep::study

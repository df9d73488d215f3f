// Progress display for long runs: a redrawn bar on a terminal, plain periodic lines
// otherwise (logs, CI), nothing when quiet.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace lockstep::cli {

class Progress {
 public:
  explicit Progress(bool quiet);
  // Shows the state after `done` of `total` batches of an epoch.
  void update(int epoch, int epochs, std::int64_t done, std::int64_t total, double loss, double samples_per_second);
  // Prints a full line (clearing any bar first).
  void line(const std::string& text);

 private:
  bool quiet_, tty_;
  bool bar_shown_ = false;
  std::chrono::steady_clock::time_point last_;
};

}  // namespace lockstep::cli

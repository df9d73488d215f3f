#include "tools/lockstep/progress.h"

#include <unistd.h>

#include <cstdio>

#include <fmt/core.h>

namespace lockstep::cli {
namespace {
constexpr auto kPlainInterval = std::chrono::seconds(10);
constexpr auto kBarInterval = std::chrono::milliseconds(100);
}  // namespace

Progress::Progress(bool quiet) : quiet_(quiet), tty_(::isatty(STDOUT_FILENO) != 0), last_() {}

void Progress::update(int epoch, int epochs, std::int64_t done, std::int64_t total, double loss,
                      double samples_per_second) {
  if (quiet_) return;
  const auto now = std::chrono::steady_clock::now();
  const bool last = done == total;
  if (!last && now - last_ < (tty_ ? std::chrono::duration_cast<std::chrono::steady_clock::duration>(kBarInterval)
                                   : std::chrono::duration_cast<std::chrono::steady_clock::duration>(kPlainInterval)))
    return;
  last_ = now;
  if (tty_) {
    constexpr int kWidth = 30;
    const int filled = static_cast<int>(kWidth * done / (total ? total : 1));
    fmt::print("\r\033[Kepoch {}/{} [{}{}] {}/{} loss {:.4f} {:.0f} samples/s", epoch, epochs,
               std::string(static_cast<size_t>(filled), '#'), std::string(static_cast<size_t>(kWidth - filled), '.'),
               done, total, loss, samples_per_second);
    std::fflush(stdout);
    bar_shown_ = true;
  } else if (!last) {
    fmt::print("epoch {}/{} batch {}/{} loss {:.4f} {:.0f} samples/s\n", epoch, epochs, done, total, loss,
               samples_per_second);
    std::fflush(stdout);
  }
}

void Progress::line(const std::string& text) {
  if (quiet_) return;
  if (bar_shown_) fmt::print("\r\033[K");
  bar_shown_ = false;
  fmt::print("{}\n", text);
  std::fflush(stdout);
}

}  // namespace lockstep::cli

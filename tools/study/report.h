// Output helpers shared by the study experiments: CSV files, the markdown report, the call
// to tools/study/plot.py, and a few statistics. Numbers written to CSV keep full precision
// (floats as %.9g plus their hex form where bits matter), so the plots and the report's
// sentences are reproducible from the files alone.
#pragma once

#include <chrono>
#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#include "tools/study/study.h"

namespace lockstep::study {

class Csv {
 public:
  Csv(const std::string& path, const std::vector<std::string>& header);
  Csv& operator<<(const std::string& cell);
  Csv& operator<<(const char* cell) { return *this << std::string(cell); }
  Csv& operator<<(double v);
  Csv& operator<<(std::int64_t v);
  Csv& operator<<(int v) { return *this << static_cast<std::int64_t>(v); }
  void end_row();
  void close() { f_.close(); }  // before plot.py reads the file
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::ofstream f_;
  size_t columns_, cell_ = 0;
};

class Report {
 public:
  explicit Report(std::string title) { text_ = "# " + title + "\n\n"; }
  void line(const std::string& s) { text_ += s + "\n"; }
  void para(const std::string& s) { text_ += s + "\n\n"; }
  void heading(const std::string& s) { text_ += "## " + s + "\n\n"; }
  void table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows);
  // An image link when the PNG exists, else a note that the plot was skipped.
  void image(const std::string& out_dir, const std::string& png, const std::string& caption);
  void write(const std::string& path) const;
  const std::string& text() const { return text_; }

 private:
  std::string text_;
};

// Runs `python3 <source>/tools/study/plot.py <experiment> <dir>`. Returns "" on success, else
// why plots were not made (matplotlib missing, script failed); the report says so.
std::string make_plots(const std::string& experiment, const std::string& out_dir);

// The report's opening paragraph: machine, command line, seed, and whether this is the quick variant.
std::string run_header(const StudyOptions& o);

// One plot of an experiment: the PNG that plot.py writes and its caption in the report.
struct Plot {
  std::string png, caption;
};

// The "Plots" section: runs plot.py on the experiment's (closed) CSV files and links each PNG.
// Returns "" or why the plots were skipped (the section says so too).
std::string add_plots(Report& rep, const std::string& experiment, const std::string& out_dir,
                      const std::vector<Plot>& plots);

// The end of every experiment: the "Files" section (`files`), the run time since t0, report.md
// written, and on stdout "study <experiment>: wrote ..." (plus `suffix`), then `lines`, then
// why plots were skipped if they were.
void finish_report(Report& rep, const std::string& experiment, const std::string& out_dir, const std::string& files,
                   std::chrono::steady_clock::time_point t0, const std::string& plots_skipped,
                   const std::vector<std::string>& lines = {}, const std::string& suffix = "");

// Host facts for the report header: CPU model, hardware threads, build ISA level, commit.
std::string machine_summary();
bool cuda_available();  // true when the registry holds CUDA kernels (a CUDA build)
// Throws DeviceError "study <experiment>: --device cuda: <why>; ..." unless o.device is usable;
// called before an experiment writes anything, so a refused run leaves no partial report.
void require_device(const StudyOptions& o, const std::string& experiment);

std::string fmt_g(double v, int digits = 3);  // "1.23e-07", "0" for 0
std::string fmt_pct(double v);                // 0.9474 -> "94.74%"
std::string join(const std::vector<std::string>& parts, const std::string& sep);

struct Stats {
  double min = 0, max = 0, mean = 0, median = 0, p05 = 0, p95 = 0;
  size_t count = 0;
};
Stats stats_of(std::vector<double> v);

}  // namespace lockstep::study

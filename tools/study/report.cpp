#include "tools/study/report.h"
#include "tools/study/study.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <thread>

#include <fmt/core.h>

#include "core/error.h"
#include "core/registry.h"
#include "core/transfer.h"
#include "tools/lockstep/build_facts.h"

#ifndef LOCKSTEP_SOURCE_DIR
#define LOCKSTEP_SOURCE_DIR "."
#endif

namespace lockstep::study {

namespace fs = std::filesystem;

Csv::Csv(const std::string& path, const std::vector<std::string>& header)
    : path_(path), f_(path), columns_(header.size()) {
  LS_CHECK(f_.good(), IoError, "study: cannot write ", path);
  for (const auto& h : header) *this << h;
  end_row();
}

Csv& Csv::operator<<(const std::string& cell) {
  LS_ASSERT(cell_ < columns_, "study: CSV row of ", path_, " has more cells than its header");
  if (cell_++) f_ << ',';
  if (cell.find_first_of(",\"\n") == std::string::npos) {
    f_ << cell;
  } else {  // RFC 4180 quoting
    f_ << '"';
    for (char c : cell) f_ << (c == '"' ? "\"\"" : std::string(1, c));
    f_ << '"';
  }
  return *this;
}

Csv& Csv::operator<<(double v) { return *this << fmt::format("{:.9g}", v); }
Csv& Csv::operator<<(std::int64_t v) { return *this << std::to_string(v); }

void Csv::end_row() {
  LS_ASSERT(cell_ == columns_, "study: CSV row of ", path_, " has ", cell_, " cells, header has ", columns_);
  f_ << '\n';
  cell_ = 0;
}

void Report::table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows) {
  text_ += "| " + join(header, " | ") + " |\n|";
  for (size_t i = 0; i < header.size(); ++i) text_ += "---|";
  text_ += "\n";
  for (const auto& r : rows) text_ += "| " + join(r, " | ") + " |\n";
  text_ += "\n";
}

void Report::image(const std::string& out_dir, const std::string& png, const std::string& caption) {
  if (fs::exists(fs::path(out_dir) / png))
    text_ += "![" + caption + "](" + png + ")\n\n*" + caption + "*\n\n";
  else
    text_ += "*(plot `" + png + "` skipped: see the note on plots above)*\n\n";
}

void Report::write(const std::string& path) const {
  std::ofstream f(path);
  LS_CHECK(f.good(), IoError, "study: cannot write ", path);
  f << text_;
}

std::string make_plots(const std::string& experiment, const std::string& out_dir) {
  const fs::path script = fs::path(LOCKSTEP_SOURCE_DIR) / "tools" / "study" / "plot.py";
  if (!fs::exists(script)) return "plot script " + script.string() + " not found";
  // Debian's matplotlib lives in /usr/bin/python3's path; a python3 earlier in PATH (pyenv, a
  // venv) may not see it, so the first interpreter that can import it is used.
  std::string python;
  for (const char* candidate : {"python3", "/usr/bin/python3"}) {
    const std::string probe = fmt::format("{} -c 'import matplotlib' >/dev/null 2>&1", candidate);
    if (std::system(probe.c_str()) == 0) {
      python = candidate;
      break;
    }
  }
  if (python.empty())
    return "python3-matplotlib is not installed (./setup.sh installs it); CSV and this report were written without plots";
  const std::string cmd = fmt::format("{} '{}' {} '{}'", python, script.string(), experiment, out_dir);
  const int rc = std::system(cmd.c_str());
  if (rc != 0) return fmt::format("`{}` failed (exit status {})", cmd, rc);
  return "";
}

std::string run_header(const StudyOptions& o) {
  return fmt::format("Machine: {}. Command: `{}`. Seed {}{}.", machine_summary(), o.command_line, o.seed,
                     o.quick ? ", quick variant" : "");
}

std::string add_plots(Report& rep, const std::string& experiment, const std::string& out_dir,
                      const std::vector<Plot>& plots) {
  rep.heading("Plots");
  const std::string skipped = make_plots(experiment, out_dir);
  if (!skipped.empty()) rep.para("Plots skipped: " + skipped + ".");
  for (const Plot& p : plots) rep.image(out_dir, p.png, p.caption);
  return skipped;
}

void finish_report(Report& rep, const std::string& experiment, const std::string& out_dir, const std::string& files,
                   std::chrono::steady_clock::time_point t0, const std::string& plots_skipped,
                   const std::vector<std::string>& lines, const std::string& suffix) {
  rep.heading("Files");
  rep.para(files);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  rep.para(fmt::format("Run time {:.1f} s.", secs));
  rep.write(out_dir + "/report.md");
  std::printf("study %s: wrote %s/report.md (%.1f s)%s\n", experiment.c_str(), out_dir.c_str(), secs, suffix.c_str());
  for (const auto& l : lines) std::printf("  %s\n", l.c_str());
  if (!plots_skipped.empty()) std::printf("  plots skipped: %s\n", plots_skipped.c_str());
}

std::string machine_summary() {
  std::string cpu = "unknown CPU";
  std::ifstream info("/proc/cpuinfo");
  for (std::string l; std::getline(info, l);)
    if (l.rfind("model name", 0) == 0) {
      cpu = l.substr(l.find(':') + 2);
      break;
    }
  const auto facts = cli::build_facts();
  return fmt::format("{}, {} hardware threads; lockstep built for {} ({}), commit {}", cpu,
                     std::thread::hardware_concurrency(), facts.at("isa_level").get<std::string>(),
                     facts.at("compiler").get<std::string>(), facts.at("git_commit").get<std::string>());
}

bool cuda_available() {
  const Registry& r = registry();
  for (int k = 0; k < static_cast<int>(OpKind::Count); ++k)
    if (r.has(static_cast<OpKind>(k), Device::CUDA, Mode::Deterministic)) return true;
  return false;
}

void require_device(const StudyOptions& o, const std::string& experiment) {
  if (const std::string why = device_unavailable_reason(o.device); !why.empty())
    throw DeviceError("study " + experiment + ": --device " + std::string(device_name(o.device)) + ": " + why +
                      "; use --device cpu");
}

std::string fmt_g(double v, int digits) {
  if (v == 0) return "0";
  return fmt::format("{:.{}g}", v, digits);
}

std::string fmt_pct(double v) { return fmt::format("{:.2f}%", 100.0 * v); }

std::string join(const std::vector<std::string>& parts, const std::string& sep) {
  std::string s;
  for (size_t i = 0; i < parts.size(); ++i) s += (i ? sep : "") + parts[i];
  return s;
}

Stats stats_of(std::vector<double> v) {
  Stats s;
  s.count = v.size();
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  auto q = [&](double p) { return v[static_cast<size_t>(std::llround(p * static_cast<double>(v.size() - 1)))]; };
  s.min = v.front();
  s.max = v.back();
  s.median = q(0.5);
  s.p05 = q(0.05);
  s.p95 = q(0.95);
  double t = 0;
  for (double x : v) t += x;
  s.mean = t / static_cast<double>(v.size());
  return s;
}

std::vector<int> parse_int_list(const std::string& s) {
  std::vector<int> out;
  size_t i = 0;
  while (i < s.size()) {
    const size_t j = std::min(s.find(',', i), s.size());
    const std::string item = s.substr(i, j - i);
    try {
      size_t used = 0;
      const int v = std::stoi(item, &used);
      LS_CHECK(used == item.size() && v >= 1, Error, "study: expected a list of positive integers like 1,2,4, got '",
               s, "'");
      out.push_back(v);
    } catch (const std::logic_error&) {
      throw Error("study: expected a list of positive integers like 1,2,4, got '" + s + "'");
    }
    i = j + 1;
  }
  LS_CHECK(!out.empty(), Error, "study: expected a list of positive integers like 1,2,4, got '", s, "'");
  return out;
}

}  // namespace lockstep::study

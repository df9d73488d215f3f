#include "core/mode.h"

#include <atomic>
#include <cstdlib>
#include <string>

#include "core/error.h"

namespace lockstep {
namespace {

Mode mode_from_environment() {
  const char* env = std::getenv("LOCKSTEP_MODE");
  if (env == nullptr || *env == '\0') return Mode::Deterministic;
  return parse_mode(env);
}

std::atomic<int>& default_mode_slot() {
  static std::atomic<int> slot{static_cast<int>(mode_from_environment())};
  return slot;
}

// -1: no guard active on this thread, use the process default.
thread_local int t_scoped_mode = -1;

}  // namespace

std::string_view mode_name(Mode m) { return m == Mode::Deterministic ? "deterministic" : "fast"; }

Mode parse_mode(std::string_view text) {
  if (text == "deterministic") return Mode::Deterministic;
  if (text == "fast") return Mode::Fast;
  throw Error("mode: expected 'deterministic' or 'fast', got '" + std::string(text) + "'");
}

Mode current_mode() {
  if (t_scoped_mode >= 0) return static_cast<Mode>(t_scoped_mode);
  return static_cast<Mode>(default_mode_slot().load());
}

void set_default_mode(Mode m) { default_mode_slot().store(static_cast<int>(m)); }

Mode default_mode() { return static_cast<Mode>(default_mode_slot().load()); }

ModeGuard::ModeGuard(Mode m) : previous_(t_scoped_mode) { t_scoped_mode = static_cast<int>(m); }
ModeGuard::~ModeGuard() { t_scoped_mode = previous_; }

}  // namespace lockstep

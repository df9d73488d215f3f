// The deterministic/fast switch. The process default comes from LOCKSTEP_MODE
// (deterministic|fast, default deterministic) or set_default_mode(); ModeGuard overrides it
// for a scope on the current thread. Autograd records the mode a forward op ran in and
// runs its backward in the same mode.
#pragma once

#include <string_view>

namespace lockstep {

enum class Mode { Deterministic, Fast };
inline constexpr int kModeCount = 2;

std::string_view mode_name(Mode m);
Mode parse_mode(std::string_view text);  // throws Error on anything but the two names

Mode current_mode();
void set_default_mode(Mode m);
/// The process default, whatever ModeGuard is active on this thread.
Mode default_mode();

/// Runs a scope in the given mode: `{ ModeGuard g(Mode::Fast); y = conv2d(x, w, b); }`.
class ModeGuard {
 public:
  explicit ModeGuard(Mode m);
  ~ModeGuard();
  ModeGuard(const ModeGuard&) = delete;
  ModeGuard& operator=(const ModeGuard&) = delete;

 private:
  int previous_;
};

}  // namespace lockstep

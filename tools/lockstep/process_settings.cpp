#include "tools/lockstep/process_settings.h"

#include <thread>

#include "cpu/parallel.h"

namespace lockstep::cli {

Mode process_default_mode() {
  // core/mode.h offers only current_mode(), which a ModeGuard on the calling thread
  // overrides; a new thread holds no guard, so there it is the process default.
  Mode m = Mode::Deterministic;
  std::thread([&m] { m = current_mode(); }).join();
  return m;
}

ProcessSettingsGuard::ProcessSettingsGuard() : threads_(num_threads()), mode_(process_default_mode()) {}

ProcessSettingsGuard::~ProcessSettingsGuard() {
  set_default_mode(mode_);
  set_num_threads(threads_);  // cannot throw: the count was valid when read
}

}  // namespace lockstep::cli

// The two process-wide settings a training run changes: the default Mode and the CPU thread
// count. A run sets them for itself; ProcessSettingsGuard puts back what it found when the
// run ends by any path (return, interruption, exception), so a caller such as `verify`, a
// test or a study sees its own settings afterwards.
#pragma once

#include "core/mode.h"

namespace lockstep::cli {

/// `{ ProcessSettingsGuard restore; set_num_threads(1); set_default_mode(Mode::Fast); ... }`
class ProcessSettingsGuard {
 public:
  ProcessSettingsGuard();
  ~ProcessSettingsGuard();
  ProcessSettingsGuard(const ProcessSettingsGuard&) = delete;
  ProcessSettingsGuard& operator=(const ProcessSettingsGuard&) = delete;

 private:
  int threads_;
  Mode mode_;
};

}  // namespace lockstep::cli

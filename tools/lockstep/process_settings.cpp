#include "tools/lockstep/process_settings.h"

#include "cpu/parallel.h"

namespace lockstep::cli {

ProcessSettingsGuard::ProcessSettingsGuard() : threads_(num_threads()), mode_(default_mode()) {}

ProcessSettingsGuard::~ProcessSettingsGuard() {
  set_default_mode(mode_);
  set_num_threads(threads_);  // cannot throw: the count was valid when read
}

}  // namespace lockstep::cli

// What the binary was built with, for run manifests: compiler, flags, ISA level, git commit,
// library versions.
#pragma once

#include <nlohmann/json.hpp>

namespace lockstep::cli {
nlohmann::json build_facts();
}

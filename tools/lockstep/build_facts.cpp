#include "tools/lockstep/build_facts.h"

#include <Eigen/Core>

#include "lockstep_build_facts.h"
#include "lockstep_git_commit.h"

namespace lockstep::cli {

nlohmann::json build_facts() {
  return {
      {"lockstep_version", LOCKSTEP_VERSION},
      {"git_commit", LOCKSTEP_GIT_COMMIT},
      {"compiler", LOCKSTEP_CXX_COMPILER},
      {"build_type", LOCKSTEP_BUILD_TYPE},
      {"host_flags", LOCKSTEP_BUILD_HOST_FLAGS},
      {"config_flags", LOCKSTEP_CXX_FLAGS_CONFIG},
      {"isa_level", LOCKSTEP_BUILD_ARCH},
      {"eigen", std::to_string(EIGEN_WORLD_VERSION) + "." + std::to_string(EIGEN_MAJOR_VERSION) + "." +
                    std::to_string(EIGEN_MINOR_VERSION)},
      {"cuda", LOCKSTEP_BUILD_CUDA},
      {"cudnn", LOCKSTEP_BUILD_CUDNN},
  };
}

}  // namespace lockstep::cli

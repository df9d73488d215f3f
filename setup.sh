#!/usr/bin/env bash
# One-command set-up for lockstep on Debian 12: installs the packages it needs, prepares the
# data sets and builds Release into build/. Safe to run again: each step skips what is done.
set -euo pipefail
cd "$(dirname "$0")"

log() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

# --- 1. Debian packages -------------------------------------------------------------------
PACKAGES=(
  build-essential cmake ninja-build pkg-config   # toolchain
  libeigen3-dev                                  # Eigen 3.4: CPU storage maps and fast paths
  libgtest-dev libgmock-dev                      # tests
  libbenchmark-dev                               # bench/
  libfmt-dev                                     # formatting
  libcli11-dev                                   # lockstep command line
  nlohmann-json3-dev                             # run manifests, checkpoint headers
  zlib1g-dev                                     # .gz IDX files
  libssl-dev                                     # SHA-256 fingerprints (libcrypto)
  python3                                        # command-line tests, tools/ scripts
  libopenmpi-dev openmpi-bin                     # data-parallel training (mpirun -np N lockstep train)
  openssh-client                                 # Open MPI's launcher for ranks on other hosts
)
if [[ -n "${LOCKSTEP_EXTRA_PACKAGES:-}" ]]; then PACKAGES+=(${LOCKSTEP_EXTRA_PACKAGES}); fi
if [[ -f tools/setup/packages.txt ]]; then mapfile -t -O "${#PACKAGES[@]}" PACKAGES < <(grep -v '^#' tools/setup/packages.txt | sed '/^$/d'); fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  log "installing Debian packages: ${missing[*]}"
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  log "Debian packages: all present"
fi

# --- 2. Data --------------------------------------------------------------------------------
if [[ -x tools/setup/data.sh ]]; then tools/setup/data.sh; fi

# --- 3. Build -------------------------------------------------------------------------------
BUILD_DIR=${LOCKSTEP_BUILD_DIR:-build}
if [[ ! -f "$BUILD_DIR/CMakeCache.txt" ]]; then
  log "configuring $BUILD_DIR (Release)"
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release ${LOCKSTEP_CMAKE_ARGS:-}
fi
log "building $BUILD_DIR"
cmake --build "$BUILD_DIR" --parallel "$(nproc)"

# Data steps that need the built tools (e.g. converting MNIST) run after the build.
if [[ -x tools/setup/data_after_build.sh ]]; then tools/setup/data_after_build.sh "$BUILD_DIR"; fi
log "done: run 'ctest --test-dir $BUILD_DIR --output-on-failure' for the tests"

#!/usr/bin/env bash
# tools/gpu-check-bundle.sh, how `gpu-check.sh --bundle DIR` finds a bundle's libraries, on a
# made-up bundle (no build, no GPU): the CUDA libraries come from the nvidia pip packages that
# the Python imports, in the manifest's order; lib/cxx is added only when the binaries do not
# load without it; a library found nowhere, an instruction the processor lacks and a folder
# without a manifest are each one error line and exit 2.
#   gpu_check_bundle.sh ROOT
set -u
root="$1"
fail() { echo "FAIL: $*"; exit 1; }
command -v python3 >/dev/null 2>&1 || { echo "no python3: skipped"; exit 77; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
bundle="$work/bundle" site="$work/site" python=python3
mkdir -p "$bundle/lib/cxx" "$bundle/tests" "$bundle/bench" "$site/nvidia/cu13/lib" "$site/nvidia/cudnn/lib"
touch "$site/nvidia/cu13/lib/libcudart.so.13" "$site/nvidia/cudnn/lib/libcudnn.so.9"
export PYTHONPATH="$site"
manifest() { printf 'commit: abc1234\nhost-arch: x86-64-v3\nbinaries: lockstep\npip-libraries: %s\n' "$1" >"$bundle/BUNDLE"; }
# fake_lockstep EXIT EXIT_WITH_CXX: a lockstep whose --version exits EXIT, or EXIT_WITH_CXX where
# lib/cxx is on the library path (a machine whose own libstdc++ is too old).
fake_lockstep() {
  # shellcheck disable=SC2016 # $LD_LIBRARY_PATH is the fake's, at its run
  printf '#!/bin/sh\ncase ":$LD_LIBRARY_PATH:" in *"/lib/cxx:"*) echo "GLIBC_2.36 not found" >&2; exit %s ;; esac
echo "GLIBCXX_3.4.30 not found" >&2\nexit %s\n' "$2" "$1" >"$bundle/lockstep"
  chmod +x "$bundle/lockstep"
}
die() { echo "gpu-check: error: $*" >&2; exit 2; }
# shellcheck source=tools/gpu-check-bundle.sh
source "$root/tools/gpu-check-bundle.sh"
cuda="$site/nvidia/cudnn/lib:$site/nvidia/cu13/lib"

manifest "libcudnn.so.9 libcudart.so.13"
got="$(bundle_cuda_dirs)" || fail "bundle_cuda_dirs failed"
[ "$got" = "$cuda" ] || fail "CUDA folders: expected $cuda, got $got"

fake_lockstep 0 0
chmod -x "$bundle/lockstep"  # a copy that lost the mode bits
got="$(LD_LIBRARY_PATH=/old bundle_library_path)" || fail "bundle_library_path failed with a loadable lockstep"
[ "$got" = "$bundle/lib:$cuda:/old" ] || fail "without lib/cxx: expected $bundle/lib:$cuda:/old, got $got"

fake_lockstep 1 0
got="$(LD_LIBRARY_PATH='' bundle_library_path)" || fail "bundle_library_path failed where lib/cxx makes lockstep load"
[ "$got" = "$bundle/lib:$bundle/lib/cxx:$cuda" ] || fail "with lib/cxx: expected $bundle/lib:$bundle/lib/cxx:$cuda, got $got"

expect_error() {  # expect_error WHAT PATTERN CMD...: exit 2 and one stderr line matching PATTERN
  local err rc
  err="$("${@:3}" 2>&1 >/dev/null)"; rc=$?
  echo "$1: exit $rc: $err"
  [ "$rc" -eq 2 ] || fail "$1: expected exit 2, got $rc"
  [ "$(echo "$err" | wc -l)" -eq 1 ] || fail "$1: expected one line on stderr"
  echo "$err" | grep -qE "$2" || fail "$1: the line does not match '$2'"
}
fake_lockstep 1 1
expect_error "does not load" \
  'do not load here: lockstep --version: exit 1: GLIBCXX_3\.4\.30 not found; with lib/cxx: lockstep --version: exit 1: GLIBC_2\.36 not found$' \
  bundle_library_path
fake_lockstep 132 132
expect_error "illegal instruction" 'an instruction this processor lacks \(built for x86-64-v3\)' bundle_library_path
manifest "libcudart.so.13 libnotthere.so.7"
expect_error "missing CUDA library" '^gpu-check: error: --bundle: no libnotthere\.so\.7 in the nvidia pip packages' \
  bundle_cuda_dirs

# gpu-check.sh itself, past its GPU check (an nvidia-smi that lists one): a folder without BUNDLE.
mkdir -p "$work/bin" "$work/empty"
printf '#!/bin/sh\necho "NVIDIA H200, 9.0, 580.00"\n' >"$work/bin/nvidia-smi"
chmod +x "$work/bin/nvidia-smi"
expect_error "no manifest" '^gpu-check: error: --bundle: no BUNDLE manifest in ' \
  env PATH="$work/bin:$PATH" bash "$root/tools/gpu-check.sh" --bundle "$work/empty" --out "$work/out"
echo "ok"

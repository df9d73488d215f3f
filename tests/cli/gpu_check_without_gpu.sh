#!/usr/bin/env bash
# tools/gpu-check.sh on a machine without a GPU: exit 2 with one line saying "no GPU", before
# it writes anything, whether nvidia-smi is missing or lists no GPU; and the script (with
# tools/gpu-check-bundle.sh and tools/gpu-bundle.sh) passes `bash -n` and, where installed,
# `shellcheck`. Exit 77 (skipped) where a GPU is present.
#   gpu_check_without_gpu.sh ROOT
set -u
root="$1"
script="$root/tools/gpu-check.sh"
fail() { echo "FAIL: $*"; exit 1; }
if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
  echo "a GPU is present; this test is for machines without one"; exit 77
fi
# With the scripts of its --bundle mode: the one it sources and the one that makes bundles.
for s in "$script" "$root/tools/gpu-check-bundle.sh" "$root/tools/gpu-bundle.sh"; do
  bash -n "$s" || fail "bash -n $s"
done
if command -v shellcheck >/dev/null 2>&1; then
  shellcheck "$script" "$root/tools/gpu-check-bundle.sh" "$root/tools/gpu-bundle.sh" || fail "shellcheck of the gpu-check scripts"
else
  echo "shellcheck not installed: only bash -n"
fi

work="$(mktemp -d)" bash="$(command -v bash)"
trap 'rm -rf "$work"' EXIT
expect_no_gpu() {  # expect_no_gpu WHAT PATH_PREFIX
  local err rc
  err="$(PATH="$2" OUT="$work/out" "$bash" "$script" --jobs 1 2>&1 >/dev/null)"; rc=$?
  echo "$1: exit $rc: $err"
  [ "$rc" -eq 2 ] || fail "$1: expected exit 2, got $rc"
  [ "$(echo "$err" | wc -l)" -eq 1 ] || fail "$1: expected one line on stderr"
  echo "$err" | grep -q '^gpu-check: error: no GPU: ' || fail "$1: the line does not start 'gpu-check: error: no GPU: '"
  [ ! -e "$work/out" ] || fail "$1: it wrote $work/out before finding there is no GPU"
}
# No nvidia-smi at all: PATH without it (this machine has none; a directory of only bash's needs).
mkdir -p "$work/bin"
for tool in awk head tr nproc dirname; do ln -s "$(command -v "$tool")" "$work/bin/$tool"; done
expect_no_gpu "no nvidia-smi" "$work/bin"
# nvidia-smi present but listing no GPU (a driver without a device).
printf '#!/bin/sh\nexit 0\n' >"$work/bin/nvidia-smi"
chmod +x "$work/bin/nvidia-smi"
expect_no_gpu "nvidia-smi lists none" "$work/bin"
echo "ok"

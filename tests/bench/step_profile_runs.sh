#!/usr/bin/env bash
# bench/step_profile: the CPU table; --device cuda without a usable GPU (or without the CUDA
# backend) is one line naming the reason and a non-zero exit, with a GPU a table whose kernels
# were timed; a bad flag value is a usage error (exit 2).
#   step_profile_runs.sh STEP_PROFILE CUDA_BUILT(ON|OFF)
set -u
bin="$1"; cuda_built="$2"
fail() { echo "FAIL: $*"; exit 1; }

out=$("$bin" --steps 2 --batch 8 --threads 1 --device cpu 2>&1); rc=$?
echo "$out"
[ "$rc" -eq 0 ] || fail "--device cpu exited $rc"
echo "$out" | grep -q '^step_profile: cpu, batch 8' || fail "--device cpu: no header line naming the device"
echo "$out" | grep -q '^conv2d_fwd ' || fail "--device cpu: no conv2d_fwd row"

"$bin" --device tpu >/dev/null 2>&1; rc=$?
[ "$rc" -eq 2 ] || fail "--device tpu exited $rc, expected 2 (usage)"

err=$("$bin" --steps 2 --batch 8 --device cuda 2>&1 >/dev/null); rc=$?
echo "$err"
if [ "$cuda_built" = ON ] && command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
  [ "$rc" -eq 0 ] || fail "a GPU is present but --device cuda exited $rc"
  out=$("$bin" --steps 5 --batch 32 --device cuda 2>&1)
  echo "$out" | grep -q '^conv2d_fwd ' || fail "--device cuda: no conv2d_fwd row"
  echo "ok: GPU present, --device cuda profiled"
  exit 0
fi
[ "$rc" -ne 0 ] || fail "--device cuda without a usable GPU exited 0"
[ "$(echo "$err" | wc -l)" -eq 1 ] || fail "--device cuda: expected one line on stderr, got: $err"
if [ "$cuda_built" = ON ]; then
  echo "$err" | grep -q '^step_profile: --device cuda: no usable CUDA device: .*cudaError' ||
    fail "--device cuda: the line does not name 'no usable CUDA device' and the CUDA error"
else
  echo "$err" | grep -q 'built without the cuda backend' || fail "--device cuda: the line does not say the backend is missing"
fi
echo "ok: --device cuda refused with exit $rc and one line"

#!/usr/bin/env bash
# `lockstep train --device cuda` on a machine without a usable GPU exits non-zero and says why
# (with the CUDA error name). Exit 77 (skipped) where a GPU is present.
set -u
bin="$1"
if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
  echo "a GPU is present; this test is for machines without one"; exit 77
fi
out=$("$bin" train --device cuda --max-steps 1 --data /nonexistent 2>&1); rc=$?
echo "$out"
[ "$rc" -ne 0 ] || { echo "FAIL: expected a non-zero exit, got 0"; exit 1; }
echo "$out" | grep -q "no usable CUDA device" || { echo "FAIL: message does not say 'no usable CUDA device'"; exit 1; }
echo "$out" | grep -q "cudaError" || { echo "FAIL: message does not name the CUDA error"; exit 1; }
echo "ok: exit $rc"

#!/usr/bin/env bash
# A CUDA benchmark executable (bench/cuda/) runs everywhere. Without a usable GPU it exits 0
# and every benchmark is skipped with the reason ("no usable CUDA device: ...", with the
# CUDA error name); with one, it exits 0 and every variant passes its validation (CUDA det
# bitwise equal to CPU det, fast within its bound) and gets a time.
#   cuda_bench_runs.sh BENCH_EXECUTABLE
set -u
bench="$1"
out=$("$bench" --benchmark_min_time=0.01 2>&1); rc=$?
echo "$out"
[ "$rc" -eq 0 ] || { echo "FAIL: $bench exited $rc, expected 0"; exit 1; }
rows=$(echo "$out" | grep -cE '^[a-z0-9_]+/cuda/(det|fast)/')
[ "$rows" -gt 0 ] || { echo "FAIL: no /cuda/ benchmark rows in the output"; exit 1; }
errors=$(echo "$out" | grep -c 'ERROR OCCURRED')
if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
  [ "$errors" -eq 0 ] || { echo "FAIL: a GPU is present but $errors of $rows benchmarks reported an error"; exit 1; }
  echo "ok: GPU present, $rows benchmarks validated and timed"
else
  reasons=$(echo "$out" | grep -c "ERROR OCCURRED: 'no usable CUDA device: .*cudaError")
  [ "$reasons" -eq "$rows" ] ||
    { echo "FAIL: no GPU, expected all $rows benchmarks skipped naming the CUDA error, got $reasons"; exit 1; }
  echo "ok: no GPU, exit 0, all $rows benchmarks skipped with the reason"
fi

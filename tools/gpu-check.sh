#!/usr/bin/env bash
# One command for a machine with a GPU: build the CUDA backend for the GPU present, run every
# `cuda` test, time det vs fast end to end, compare the CPU and CUDA deterministic fingerprints,
# and print one summary table. Fails clearly (exit 2) when no GPU is usable.
#   tools/gpu-check.sh [BUILD_DIR]        (default build-gpu; data from data/mnist or LOCKSTEP_DATA)
# Environment: STEPS (default 100) steps per training run; JOBS for the build.
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build-gpu}"
steps="${STEPS:-100}"
jobs="${JOBS:-$(nproc)}"
data_args=()
[ -n "${LOCKSTEP_DATA:-}" ] && data_args=(--data "$LOCKSTEP_DATA")

die() { echo "gpu-check: error: $*" >&2; exit 2; }

command -v nvidia-smi >/dev/null 2>&1 || die "nvidia-smi not found: no NVIDIA driver on this machine"
gpu="$(nvidia-smi --query-gpu=name,compute_cap,driver_version --format=csv,noheader 2>/dev/null | head -1)"
[ -n "$gpu" ] || die "nvidia-smi lists no GPU"
cc="$(echo "$gpu" | awk -F', ' '{print $2}' | tr -d '.')"
[ -n "$cc" ] || cc=native
echo "gpu-check: $gpu (building for sm_$cc)"

declare -A status
t0=$SECONDS
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DLOCKSTEP_CUDA=ON \
  -DCMAKE_CUDA_ARCHITECTURES="$cc" >"$build.configure.log" 2>&1 || die "configure failed; see $build.configure.log"
cmake --build "$build" -j "$jobs" >"$build.build.log" 2>&1 || die "build failed; see $build.build.log"
status[build]="ok ($((SECONDS - t0)) s)"

ctest --test-dir "$build" -L cuda --output-on-failure >"$build.ctest.log" 2>&1
ctest_rc=$?
summary="$(grep -E 'tests passed|tests failed' "$build.ctest.log" | tail -1)"
skipped="$(grep -c '(Skipped)' "$build.ctest.log" || true)"
status[cuda tests]="$summary; $skipped skipped"
[ "$ctest_rc" -eq 0 ] || status[cuda tests]="FAILED: $summary (see $build.ctest.log)"
[ "$skipped" -eq 0 ] || status[cuda tests]="${status[cuda tests]} (a skip on a GPU machine is a failure)"

# Benchmarks, when the bench helper's CUDA targets exist (bench/cuda): det vs fast per op/pass.
bench_note="no CUDA benchmark targets in this build"
for b in "$build"/bench/cuda/*_bench; do
  [ -x "$b" ] || continue
  "$b" --benchmark_format=console | tee -a "$build.bench.log"
  bench_note="see $build.bench.log"
done

run() {  # run DEVICE MODE -> prints "fingerprint samples/s"
  local out
  out="$("$build/lockstep" train --device "$1" --mode "$2" --max-steps "$steps" --epochs 1 "${data_args[@]}" 2>&1)" ||
    { echo "FAILED: $(echo "$out" | tail -1)"; return; }
  echo "$(echo "$out" | grep -o 'fingerprint: sha256:[0-9a-f]*' | tail -1 | cut -d' ' -f2) \
$(echo "$out" | grep -o '[0-9.]* samples/s' | tail -1 | cut -d' ' -f1)"
}
read -r fp_cpu sps_cpu <<<"$(run cpu deterministic)"
read -r fp_det sps_det <<<"$(run cuda deterministic)"
read -r fp_fast sps_fast <<<"$(run cuda fast)"
ratio="n/a"
if [[ "$sps_det" =~ ^[0-9.]+$ && "$sps_fast" =~ ^[0-9.]+$ ]]; then
  ratio="$(awk -v d="$sps_det" -v f="$sps_fast" 'BEGIN { if (d > 0) printf "%.2fx", f / d; else print "n/a" }')"
fi
fp_ok=0
if [[ "$fp_cpu" == sha256:* && "$fp_cpu" == "$fp_det" ]]; then
  status[fingerprint]="cpu == cuda det ($fp_cpu)"
else
  status[fingerprint]="MISMATCH: cpu $fp_cpu vs cuda det $fp_det"
  fp_ok=1
fi

echo
echo "lockstep gpu-check summary ($gpu; $steps steps)"
printf '%-22s | %s\n' "check" "result"
printf '%-22s-+-%s\n' "----------------------" "------------------------------------------------"
printf '%-22s | %s\n' "build (sm_$cc)" "${status[build]}"
printf '%-22s | %s\n' "ctest -L cuda" "${status[cuda tests]}"
printf '%-22s | %s\n' "benchmarks" "$bench_note"
printf '%-22s | %s samples/s\n' "train cpu det" "${sps_cpu:-?}"
printf '%-22s | %s samples/s\n' "train cuda det" "${sps_det:-?}"
printf '%-22s | %s samples/s (fingerprint %s)\n' "train cuda fast" "${sps_fast:-?}" "${fp_fast:-?}"
printf '%-22s | %s\n' "fast/det speed ratio" "$ratio"
printf '%-22s | %s\n' "fingerprint" "${status[fingerprint]}"

[ "$ctest_rc" -eq 0 ] && [ "$skipped" -eq 0 ] && [ "$fp_ok" -eq 0 ]

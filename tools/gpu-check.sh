#!/usr/bin/env bash
# One command for a machine with an NVIDIA GPU: build the CUDA backend for the GPU present, run
# every `cuda` test, the CUDA benchmarks (det vs fast per op and pass, the training step), the
# per-kernel profile of a step, the CPU and CUDA deterministic fingerprints (the README's
# 100-step golden run and the default 4 epochs), one epoch of Fashion-MNIST per mode and batch
# size, PyTorch eager on the same epoch where PyTorch sees the GPU, and an Nsight Systems
# summary where nsys is installed; then print one table of the targets next to what was
# measured. Nothing here runs without a GPU: it stops at once with exit 2 ("no GPU").
#
#   tools/gpu-check.sh [--build DIR | --bundle DIR] [--out DIR] [--data DIR] [--fashion DIR]
#                      [--skip-build] [--jobs N] [--python PY] [--budget S] [--keep-logs]
#     --build DIR     build directory (default build-gpu; a bare first argument also names it)
#     --bundle DIR    binaries built on another machine by tools/gpu-bundle.sh, for a machine
#                     without the build dependencies: implies --skip-build; its data/ is the
#                     default --data and --fashion; its binaries load its lib/ and the CUDA
#                     libraries of the nvidia pip packages that PY sees (else of /usr/local/cuda),
#                     and lib/cxx (libstdc++) only where the machine's own is too old
#     --out DIR       where results go (default $OUT if set, else BUILD/gpu-check): summary.md
#                     (the table), bench.md (tools/bench_table.py's tables) and logs.tar.gz
#                     (every log, benchmark JSON, run manifest with the GPU's facts, profile)
#     --data DIR      MNIST-layout directory (default data/mnist or $LOCKSTEP_DATA)
#     --fashion DIR   Fashion-MNIST (default /usr/share/datasets/fashion-mnist or $LOCKSTEP_FASHION)
#     --skip-build    use the binaries already in the build directory (built for this GPU; if
#                     they were built in another checkout, the CUDA test executables run
#                     directly instead of through ctest)
#     --budget S      the whole check gets S seconds: a phase's limit shrinks to what is left
#                     (30 s kept for the summary) and a phase with nothing left is skipped
#     --keep-logs     keep the logs/ folder next to logs.tar.gz
#
# Order: build, tests, the fingerprint and Fashion-MNIST runs, benchmarks, step profiles,
# PyTorch, nsys (correctness first, for when --budget cuts the end). Every phase runs under its
# own time limit (timeout), so one hanging phase costs its limit, not the whole check: build
# 420 s, tests 300 s, each benchmark executable 240 s, each other run 120-240 s. On an H200
# with 16 cores the whole check is meant to take about 8 minutes.
# Exit: 0 every correctness check passed (the speed targets are reported, not enforced);
# 1 a correctness check failed or a phase ran out of time; 2 no GPU, a bad flag, or the build failed.
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

die() { echo "gpu-check: error: $*" >&2; exit 2; }

# First of all, before any flag or file: is there a GPU?
command -v nvidia-smi >/dev/null 2>&1 || die "no GPU: nvidia-smi not found (no NVIDIA driver on this machine)"
gpu="$(nvidia-smi --query-gpu=name,compute_cap,driver_version --format=csv,noheader 2>/dev/null | head -1)"
[ -n "$gpu" ] || die "no GPU: nvidia-smi lists none"

build="$root/build-gpu" out="${OUT:-}" data="${LOCKSTEP_DATA:-$root/data/mnist}"
fashion="${LOCKSTEP_FASHION:-/usr/share/datasets/fashion-mnist}" jobs="$(nproc)" python=python3
skip_build=0 keep_logs=0 budget=0 bundle="" data_given=0 fashion_given=0
[[ $# -gt 0 && "$1" != --* ]] && { build="$1"; shift; }
while (($#)); do
  case "$1" in
    --skip-build) skip_build=1; shift; continue ;;
    --keep-logs) keep_logs=1; shift; continue ;;
  esac
  (($# >= 2)) || die "flag $1 has no value (see the header of tools/gpu-check.sh)"
  case "$1" in
    --build) build="$2" ;;
    --out) out="$2" ;;
    --bundle) bundle="$2" ;;
    --data) data="$2" data_given=1 ;;
    --fashion) fashion="$2" fashion_given=1 ;;
    --jobs) [[ "$2" =~ ^[1-9][0-9]*$ ]] || die "--jobs expects a whole number >= 1, got '$2'"; jobs="$2" ;;
    --python) python="$2" ;;
    --budget) [[ "$2" =~ ^[1-9][0-9]*$ ]] || die "--budget expects seconds >= 1, got '$2'"; budget="$2" ;;
    *) die "unknown flag '$1' (see the header of tools/gpu-check.sh)" ;;
  esac
  shift 2
done
if [ -n "$bundle" ]; then
  [ -f "$bundle/BUNDLE" ] || die "--bundle: no BUNDLE manifest in $bundle (tools/gpu-bundle.sh makes one)"
  bundle="$(cd "$bundle" && pwd)"
  build="$bundle" skip_build=1
  [ "$data_given" -eq 1 ] || data="$bundle/data/mnist"
  [ "$fashion_given" -eq 1 ] || [ ! -d "$bundle/data/fashion-mnist" ] || fashion="$bundle/data/fashion-mnist"
fi
[ -n "$out" ] || out="$build/gpu-check"
logs="$out/logs"
mkdir -p "$logs" || die "cannot create $logs"
cc="$(echo "$gpu" | awk -F', ' '{print $2}' | tr -d '.')"
[ -n "$cc" ] || cc=native
threads="$jobs"
echo "gpu-check: $gpu (sm_$cc); results in $out"
[ -d "$data" ] || echo "gpu-check: warning: no MNIST data at $data (--data DIR): the fingerprint runs will fail"
commit="$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?')"
bin_env=()  # the prefix that runs lockstep's binaries: `env LD_LIBRARY_PATH=...` for a bundle
if [ -n "$bundle" ]; then
  # shellcheck disable=SC1091 # checked on its own (tests/cli/gpu_check_without_gpu.sh)
  source "$root/tools/gpu-check-bundle.sh"
  libpath="$(bundle_library_path)" || exit 2
  bin_env=(env "LD_LIBRARY_PATH=$libpath")
  commit="$(bundle_field commit) (bundle)"
  [ "$(bundle_field cuda-architectures)" = "$cc" ] || echo "gpu-check: warning: the bundle is built for" \
    "sm_$(bundle_field cuda-architectures), this GPU is sm_$cc: newer GPUs compile its PTX at start, older ones fail"
  echo "gpu-check: bundle $(bundle_field commit), LD_LIBRARY_PATH=$libpath"
fi

declare -A elapsed
failed=0  # a correctness check failed or a phase ran out of time

# phase NAME LIMIT_S LOG CMD...: runs CMD under `timeout`, output to LOG; returns its exit code.
phase() {
  local name="$1" limit="$2" log="$3" t="$SECONDS" rc left
  shift 3
  if [ "$budget" -gt 0 ]; then
    left=$((budget - SECONDS - 30))
    if [ "$left" -lt 5 ]; then
      echo "gpu-check: $name skipped: the --budget of $budget s is spent" | tee "$log"
      elapsed[$name]=0
      failed=1
      return 125
    fi
    [ "$left" -lt "$limit" ] && limit="$left"
  fi
  echo "gpu-check: $name (limit ${limit} s)"
  timeout --kill-after=10 "$limit" "$@" >"$log" 2>&1
  rc=$?
  elapsed[$name]=$((SECONDS - t))
  if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
    echo "gpu-check: $name ran out of its ${limit} s (see $log)"
    echo "TIMED OUT after ${limit} s" >>"$log"
    failed=1
  fi
  return "$rc"
}

# --- build -----------------------------------------------------------------------------------
if [ -n "$bundle" ]; then
  build_result="bundle from another machine: commit $(bundle_field commit), sm_$(bundle_field cuda-architectures),"
  build_result+=" host $(bundle_field host-arch), CUDA $(bundle_field cuda-toolkit); LD_LIBRARY_PATH=$libpath"
elif [ "$skip_build" -eq 1 ]; then
  [ -x "$build/lockstep" ] || die "--skip-build: no lockstep executable in $build"
  build_result="skipped (--skip-build: binaries in $build)"
else
  phase configure 120 "$logs/configure.log" cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DLOCKSTEP_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES="$cc" || die "configure failed; see $logs/configure.log"
  # lockstep_gpu_check: the command line, the cuda-labelled tests and the CUDA benchmarks.
  phase build 420 "$logs/build.log" cmake --build "$build" -j "$jobs" --target lockstep_gpu_check ||
    die "build failed; see $logs/build.log"
  build_result="ok, ${elapsed[build]} s"
fi

# --- tests -----------------------------------------------------------------------------------
# Skips that are right on a GPU machine: the tests of behaviour without a GPU.
expected_skips='WithoutGpu|WithoutAGpu|without_gpu'
home="$(sed -n 's/^CMAKE_HOME_DIRECTORY:INTERNAL=//p' "$build/CMakeCache.txt" 2>/dev/null)"
if [ -n "$home" ] && [ "$(cd "$home" 2>/dev/null && pwd)" = "$root" ]; then
  phase tests 300 "$logs/ctest.log" ctest --test-dir "$build" -L cuda --output-on-failure --timeout 240
  tests_rc=$?
  # The op harness's CUDA cases carry the harness executable's label (cpu): run them by name.
  phase "op harness on cuda" 240 "$logs/ctest_op_harness.log" ctest --test-dir "$build" -R 'OpHarness\.Cuda' \
    --output-on-failure --timeout 200 || tests_rc=1
  labelled="$(grep -E 'tests passed|tests failed' "$logs/ctest.log" | tail -1)"
  harness="$(grep -E 'tests passed|tests failed' "$logs/ctest_op_harness.log" | tail -1)"
  tests_line=""
  [ -n "$labelled" ] && [ -n "$harness" ] && tests_line="-L cuda: $labelled; op harness on cuda: $harness"
  unexpected_skips="$(cat "$logs/ctest.log" "$logs/ctest_op_harness.log" | grep -E 'Skipped|Not Run' |
    grep -vE "$expected_skips" | grep -c 'Test *#')"
else  # built in another checkout: ctest's files name its paths, so run the executables themselves
  # shellcheck disable=SC2016 # $1 is the inner shell's: the build directory
  phase tests 300 "$logs/ctest.log" "${bin_env[@]}" bash -c 'rc=0; for t in "$1"/tests/cuda/cuda_*_test; do
    echo "== $t"; "$t" || rc=1; done
    echo "== $1/tests/op_harness_test"; "$1"/tests/op_harness_test --gtest_filter="*OpHarness.Cuda*" || rc=1
    exit $rc' _ "$build"
  tests_rc=$?
  tests_line="$(grep -c '^== ' "$logs/ctest.log") test executables run directly, $(grep -oE '^\[  FAILED  \] [A-Za-z][A-Za-z0-9_./]*' "$logs/ctest.log" | sort -u | wc -l) failed"
  unexpected_skips="$(grep -oE '^\[  SKIPPED \] [A-Za-z][A-Za-z0-9_./]*' "$logs/ctest.log" | sort -u | grep -vcE "$expected_skips")"
fi
tests_result="${tests_line:-no result}; unexpected skips: $unexpected_skips"
if [ "$tests_rc" -ne 0 ] || [ "$unexpected_skips" -ne 0 ] || [ -z "$tests_line" ]; then
  tests_result="FAILED: $tests_result"
  failed=1
fi

# --- training runs ---------------------------------------------------------------------------
# train NAME LIMIT ARGS...: `lockstep train` with a manifest in logs/; prints its log's path.
train() {
  local name="$1" limit="$2"
  shift 2
  phase "train $name" "$limit" "$logs/train_$name.log" "${bin_env[@]}" "$build/lockstep" train --threads "$threads" \
    --checkpoint-dir '' --manifest "$logs/manifest_$name.json" "$@" || failed=1
}
fingerprint_of() { grep -o 'fingerprint: sha256:[0-9a-f]*' "$logs/train_$1.log" 2>/dev/null | tail -1 | cut -d' ' -f2; }
samples_of() { grep -o '[0-9.]* samples/s' "$logs/train_$1.log" 2>/dev/null | tail -1 | cut -d' ' -f1; }
accuracy_of() { grep -o 'accuracy [0-9]*/[0-9]* ([0-9.]*%)' "$logs/train_$1.log" 2>/dev/null | tail -1; }

golden=sha256:7e5184961d61234e71c94ba22a0800f97cc8ad5542fec9f1d5b40fe3ab032d7b  # README.md
train cpu_100 120 --data "$data" --max-steps 100
train cuda_det_100 120 --data "$data" --max-steps 100 --device cuda
train cpu_4ep 240 --data "$data"
train cuda_det_4ep 120 --data "$data" --device cuda
train cuda_fast_4ep 120 --data "$data" --device cuda --mode fast

same_bits() {  # same_bits CPU_RUN CUDA_RUN -> a table cell starting "yes" when the bits agree
  local a b
  a="$(fingerprint_of "$1")" b="$(fingerprint_of "$2")"
  if [[ "$a" == sha256:* && "$a" == "$b" ]]; then
    echo "yes: $a"
  else
    echo "**NO**: cpu ${a:-none}, cuda ${b:-none}"
  fi
}
fp100="$(same_bits cpu_100 cuda_det_100)"
if [ "$(fingerprint_of cpu_100)" = "$golden" ]; then
  fp100="$fp100 (the README's golden)"
else
  fp100="$fp100; **the CPU's is not the README's golden**"
  failed=1
fi
fp4ep="$(same_bits cpu_4ep cuda_det_4ep)"
[[ "$fp100" == yes* ]] || failed=1
[[ "$fp4ep" == yes* ]] || failed=1

if [ -d "$fashion" ]; then
  for mode in deterministic fast; do
    for batch in 32 256; do
      train "fashion_${mode}_b$batch" 120 --data "$fashion" --device cuda --mode "$mode" --epochs 1 --batch-size "$batch"
    done
  done
fi
fashion_cell() {  # fashion_cell MODE BATCH -> samples/s or why not
  [ -d "$fashion" ] || { echo "skipped: no Fashion-MNIST at $fashion"; return; }
  local s
  s="$(samples_of "fashion_$1_b$2")"
  echo "${s:-no result (see logs/train_fashion_$1_b$2.log)}"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.2f", a / b; else print "no result" }'; }
at_least() { awk -v v="$1" -v t="$2" 'BEGIN { if (v !~ /^[0-9.]+$/) print "—"; else if (v + 0 >= t) print "yes"; else print "**no**" }'; }
at_most() { awk -v v="$1" -v t="$2" 'BEGIN { if (v !~ /^[0-9.]+$/) print "—"; else if (v + 0 <= t) print "yes"; else print "**no**" }'; }

# --- benchmarks ------------------------------------------------------------------------------
bench_jsons=()
for b in conv2d linear train_step; do
  exe="$build/bench/cuda/${b}_bench"
  [ -x "$exe" ] || { echo "gpu-check: no $exe" >>"$logs/bench_missing.log"; continue; }
  phase "bench $b" 240 "$logs/bench_$b.log" "${bin_env[@]}" "$exe" --benchmark_min_time=0.2 \
    --benchmark_out="$logs/bench_$b.json" --benchmark_out_format=json || failed=1
  [ -s "$logs/bench_$b.json" ] && bench_jsons+=("$logs/bench_$b.json")
done
bench_errors="$(cat "$logs"/bench_*.log 2>/dev/null | grep -c 'ERROR OCCURRED')"
bench_rows="$(cat "$logs"/bench_*.log 2>/dev/null | grep -cE '^[a-z0-9_]+/cuda/')"
bench_result="$bench_rows benchmarks, $bench_errors failed validation or errored (bench.md)"
if [ "${#bench_jsons[@]}" -ne 3 ] || [ "$bench_errors" -ne 0 ] || [ "$bench_rows" -eq 0 ]; then
  bench_result="FAILED: $bench_result"
  failed=1
fi
if [ "${#bench_jsons[@]}" -gt 0 ]; then
  python3 "$root/tools/bench_table.py" "${bench_jsons[@]}" >"$out/bench.md" 2>>"$logs/bench_table.log"
fi
# det step time / fast step time per batch, from the CUDA training-step benchmark.
step_ratio() {
  [ -s "$logs/bench_train_step.json" ] || { echo "no result"; return; }
  python3 - "$logs/bench_train_step.json" "$1" <<'EOF'
import json, sys
rate = {}
for b in json.load(open(sys.argv[1])).get("benchmarks", []):
    for mode in ("det", "fast"):
        if b.get("run_name", b["name"]).startswith(f"train_step/cuda/{mode}/batch:{sys.argv[2]}/") and "samples/s" in b:
            rate[mode] = b["samples/s"]
print(f"{rate['fast'] / rate['det']:.2f}" if len(rate) == 2 and rate["det"] > 0 else "no result")
EOF
}

# --- step profile ----------------------------------------------------------------------------
profile_result=""
for mode in deterministic fast; do
  for batch in 32 256; do
    log="$logs/step_profile_cuda_${mode}_b$batch.txt"
    phase "step_profile $mode $batch" 120 "$log" "${bin_env[@]}" "$build/bench/step_profile" --device cuda --mode "$mode" \
      --batch "$batch" --steps 200 --threads "$threads" || failed=1
    us="$(grep -o '[0-9.]* us/step' "$log" | head -1)"
    profile_result+="${mode/deterministic/det} b$batch: ${us:-no result}; "
  done
done

# --- PyTorch eager ---------------------------------------------------------------------------
torch_b32="not installed"
if ! "$python" -c 'import torch, numpy' >/dev/null 2>&1; then
  torch_b32="not installed ($python cannot import torch and numpy)"
elif ! "$python" -c 'import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)' >/dev/null 2>&1; then
  torch_b32="torch sees no GPU"
elif [ ! -d "$fashion" ]; then
  torch_b32="skipped: no Fashion-MNIST at $fashion"
else
  "$python" -c 'import torch; print("torch", torch.__version__, "cuDNN", torch.backends.cudnn.version())' \
    >"$logs/torch_version.txt" 2>&1
  for batch in 32 256; do
    phase "torch $batch" 180 "$logs/torch_fashion_b$batch.log" "$python" "$root/tools/crosscheck/torch_recipe.py" \
      --data "$fashion" --device cuda --epochs 1 --seeds 1 --batch-size "$batch" || failed=1
  done
  torch_b32="$(grep -o '[0-9.]* samples/s' "$logs/torch_fashion_b32.log" | tail -1 | cut -d' ' -f1)"
  torch_b32="${torch_b32:-no result (see logs/torch_fashion_b32.log)}"
fi

# --- Nsight Systems --------------------------------------------------------------------------
if command -v nsys >/dev/null 2>&1; then
  nsys_dir="$(mktemp -d)"
  phase nsys 180 "$logs/nsys_stats.txt" nsys profile --stats=true --force-overwrite=true -o "$nsys_dir/step" \
    "${bin_env[@]}" "$build/lockstep" train --device cuda --data "$data" --max-steps 200 --checkpoint-dir '' --threads "$threads"
  nsys_result="see nsys_stats.txt in logs.tar.gz (200 steps, cuda det)"
  rm -rf "$nsys_dir"
else
  nsys_result="nsys not on PATH"
fi

# --- summary ---------------------------------------------------------------------------------
gpu_facts="$(python3 -c 'import json, sys; g = json.load(open(sys.argv[1])).get("gpu", {}); print(", ".join(f"{k} {v}" for k, v in g.items()))' \
  "$logs/manifest_cuda_det_100.json" 2>/dev/null)"
r32="$(step_ratio 32)" r256="$(step_ratio 256)"
det32="$(fashion_cell deterministic 32)"
vs_torch="$(ratio "$det32" "$torch_b32")"
{
  echo "# lockstep gpu-check: $gpu"
  echo
  echo "GPU (run manifest): ${gpu_facts:-not recorded}"
  echo "Host: $(nproc) cores, $threads CPU threads for CPU runs; $(date -u +%Y-%m-%dT%H:%MZ); git $commit"
  echo
  echo "| check | target | measured | met |"
  echo "|---|---|---|:-:|"
  echo "| build (sm_$cc) | builds | $build_result | |"
  echo "| \`ctest -L cuda\`, the op harness's CUDA cases | all pass, no skip but the no-GPU tests | $tests_result | |"
  echo "| CUDA benchmarks | every variant validated | $bench_result | |"
  echo "| train step det/fast time, batch 32 (bench) | ≤ 1.15 | $r32 | $(at_most "$r32" 1.15) |"
  echo "| train step det/fast time, batch 256 (bench) | ≤ 1.15 | $r256 | $(at_most "$r256" 1.15) |"
  echo "| Fashion-MNIST 1 epoch, batch 32, cuda det | ≥ 150000 samples/s | $det32 | $(at_least "$det32" 150000) |"
  echo "| Fashion-MNIST 1 epoch, batch 32, cuda fast | — | $(fashion_cell fast 32) | |"
  echo "| Fashion-MNIST 1 epoch, batch 256, cuda det | — | $(fashion_cell deterministic 256) | |"
  echo "| Fashion-MNIST 1 epoch, batch 256, cuda fast | — | $(fashion_cell fast 256) | |"
  echo "| epoch det/fast time, batch 32 / 256 | ≤ 1.15 | $(ratio "$(fashion_cell fast 32)" "$det32") / $(ratio "$(fashion_cell fast 256)" "$(fashion_cell deterministic 256)") | |"
  echo "| 100-step fingerprint, cuda det == cpu det | equal | $fp100 | |"
  echo "| 4-epoch fingerprint, cuda det == cpu det | equal | $fp4ep; cuda det $(accuracy_of cuda_det_4ep) | |"
  fast4="$(fingerprint_of cuda_fast_4ep)"
  if [ -n "$fast4" ]; then fast4="$fast4, $(accuracy_of cuda_fast_4ep)"; else fast4="no result"; fi
  echo "| 4 epochs, cuda fast | may differ | $fast4 | |"
  echo "| PyTorch eager, Fashion-MNIST 1 epoch, batch 32 | — | $torch_b32$([[ "$torch_b32" =~ ^[0-9.]+$ ]] && echo ' samples/s') | |"
  echo "| lockstep cuda det / PyTorch eager, batch 32 | > 1.00 | $vs_torch | $(awk -v v="$vs_torch" 'BEGIN { if (v !~ /^[0-9.]+$/) print "—"; else if (v + 0 > 1) print "yes"; else print "**no**" }') |"
  echo "| step_profile --device cuda (us/step) | — | $profile_result | |"
  echo "| nsys profile --stats=true | — | $nsys_result | |"
  echo
  echo "Speeds are samples/s of training as \`lockstep train\` prints per epoch (the first epoch includes"
  echo "library warm-up). PyTorch runs tools/crosscheck/torch_recipe.py (cuDNN deterministic, TF32 off)."
} >"$out/summary.md"
echo
cat "$out/summary.md"

# Every log in one file, so that the output directory is three files to copy off the machine.
if tar -czf "$out/logs.tar.gz" -C "$out" logs && [ "$keep_logs" -eq 0 ]; then
  rm -rf "$logs"
fi
[ "$failed" -eq 0 ]

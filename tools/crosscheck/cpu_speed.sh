#!/usr/bin/env bash
# Training speed on the CPU, lockstep and PyTorch side by side, on the reference MNIST recipe:
# the same data directory, batch size and thread count. An epoch's time is t(2 epochs) -
# t(1 epoch) of whole runs, so process start-up, library import and data loading cancel;
# each is the median of --repeats runs. An epoch is one pass over the training images plus
# the test-set evaluation, in both. PyTorch runs tools/crosscheck/torch_recipe.py (--rng
# torch: its own initialisation and dropout) on the CPU when --python (default python3) can
# import torch and numpy; without them the script prints lockstep's figures alone and exits 0.
#
#   tools/crosscheck/cpu_speed.sh [--batch-size 32] [--threads 2] [--data data/mnist]
#       [--mode deterministic|fast] [--repeats 3] [--lockstep build/lockstep] [--python python3]
set -euo pipefail
shopt -s inherit_errexit  # a failed run inside $(...) stops the script too

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
batch=32 threads=2 data="$root/data/mnist" mode=deterministic repeats=3 lockstep="$root/build/lockstep"
python=python3
flags="--batch-size --threads --data --mode --repeats --lockstep --python"

fail() { echo "error: cpu_speed: $*" >&2; exit 1; }
whole() { [[ "$2" =~ ^[1-9][0-9]*$ ]] || fail "$1 expects a whole number >= 1, got '$2'"; }

while (($#)); do
  (($# >= 2)) || fail "flag $1 has no value (flags: $flags)"
  case "$1" in
    --batch-size) whole "$1" "$2"; batch=$2 ;;
    --threads) whole "$1" "$2"; threads=$2 ;;
    --repeats) whole "$1" "$2"; repeats=$2 ;;
    --data) data=$2 ;;
    --mode) [[ "$2" == deterministic || "$2" == fast ]] || fail "--mode expects deterministic or fast, got '$2'"; mode=$2 ;;
    --lockstep) lockstep=$2 ;;
    --python) python=$2 ;;
    *) fail "unknown flag '$1' (flags: $flags)" ;;
  esac
  shift 2
done
[[ -x "$lockstep" ]] || fail "no lockstep executable at $lockstep (build it: cmake --build build --target lockstep)"
[[ -d "$data" ]] || fail "data directory $data not found"
command -v python3 > /dev/null || fail "python3 not found (needed for the arithmetic and the IDX header)"

# The number of training images, from the IDX header of the training labels (plain or .gz).
train_images=$(python3 - "$data" <<'EOF'
import gzip, os, struct, sys
for name in ("train-labels-idx1-ubyte", "train-labels-idx1-ubyte.gz"):
    path = os.path.join(sys.argv[1], name)
    if os.path.exists(path):
        with (gzip.open if name.endswith(".gz") else open)(path, "rb") as f:
            print(struct.unpack(">ii", f.read(8))[1])
        sys.exit(0)
sys.exit(f"error: cpu_speed: no train-labels-idx1-ubyte[.gz] in {sys.argv[1]}")
EOF
)

# Seconds of wall time of one run of "$@", output discarded; a failing run stops the script.
seconds() {
  local start end log cmd
  log=$(mktemp)
  printf -v cmd '%q ' "$@"
  start=$(date +%s.%N)
  if ! "$@" > "$log" 2>&1; then
    echo "error: cpu_speed: ${cmd% } failed:" >&2
    tail -n 3 "$log" >&2
    rm -f "$log"
    exit 1
  fi
  end=$(date +%s.%N)
  rm -f "$log"
  python3 -c "print(f'{$end - $start:.4f}')"
}

# Median over the repeats of t(1 epoch) and t(2 epochs) for the command "$@" with --epochs N
# appended; prints "t1 t2".
epoch_times() {
  local one=() two=() i
  for ((i = 0; i < repeats; ++i)); do
    one+=("$(seconds "$@" --epochs 1)")
    two+=("$(seconds "$@" --epochs 2)")
  done
  python3 -c "import statistics as s, sys; a = sys.argv[1].split(); b = sys.argv[2].split(); print(s.median(map(float, a)), s.median(map(float, b)))" \
    "${one[*]}" "${two[*]}"
}

# "name t1 t2" -> one report line; sets the global `rate` (samples/s).
report() {
  rate=$(python3 -c "import sys; t1, t2 = float(sys.argv[1]), float(sys.argv[2]); print(f'{$train_images / (t2 - t1):.0f}' if t2 > t1 else 'nan')" "$2" "$3")
  python3 -c "import sys; t1, t2 = float(sys.argv[2]), float(sys.argv[3]); print(f'{sys.argv[1]:<22} 1 epoch {t1:7.2f} s, 2 epochs {t2:7.2f} s: {t2 - t1:6.2f} s/epoch, {sys.argv[4]} samples/s')" \
    "$1" "$2" "$3" "$rate"
  [[ "$rate" != nan ]] || echo "  (2 epochs took no longer than 1: noise exceeds an epoch; raise --repeats)"
}

echo "cpu_speed: batch $batch, $threads thread(s), $data ($train_images training images), lockstep $mode mode, median of $repeats"
export OMP_NUM_THREADS=$threads MKL_NUM_THREADS=$threads LOCKSTEP_THREADS=$threads
times=$(epoch_times "$lockstep" train --data "$data" --batch-size "$batch" --threads "$threads" \
                    --mode "$mode" --checkpoint-dir '' --quiet)
report "lockstep" $times
lockstep_rate=$rate

if ! torch_version=$("$python" -c "import numpy, torch; print(torch.__version__)" 2> /dev/null); then
  echo "PyTorch: not found ($python cannot import torch and numpy); lockstep's figures only"
  exit 0
fi
times=$(epoch_times "$python" "$here/torch_recipe.py" --data "$data" --batch-size "$batch" \
                    --threads "$threads" --device cpu --rng torch --seeds 1)
report "PyTorch $torch_version" $times
python3 -c "import sys; a, b = float(sys.argv[1]), float(sys.argv[2]); print(f'ratio lockstep / PyTorch: {a / b:.2f}x the samples/s' if a == a and b == b else 'ratio: not measurable (see above)')" \
  "$lockstep_rate" "$rate"

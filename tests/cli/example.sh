# The C++ API example builds and trains briefly, and trains the recipe `lockstep train`
# trains: both end on the same fingerprint after 20 steps.
EXAMPLE=$1
SRC=$2
LOCKSTEP=$3
set -euo pipefail
[[ -f $SRC/data/mnist/train-images-idx3-ubyte ]] || { echo "SKIP: data/mnist not prepared"; exit 77; }
out=$("$EXAMPLE" "$SRC/data/mnist" 20)
echo "$out"
grep -qE '^test accuracy [0-9]+/1996, fingerprint: sha256:[0-9a-f]{64}$' <<< "$out"
example_fp=$(grep -oE 'sha256:[0-9a-f]{64}$' <<< "$out")
train_fp=$("$LOCKSTEP" train --data "$SRC/data/mnist" --max-steps 20 --checkpoint-dir "" --quiet | tail -n 1)
[[ $train_fp == "fingerprint: $example_fp" ]] || { echo "FAIL: example $example_fp, lockstep train: $train_fp" >&2; exit 1; }

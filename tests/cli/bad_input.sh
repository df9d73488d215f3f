# Bad data, checkpoints and devices give a clear error and a non-zero exit, never a crash.
source "$(dirname "$0")/common.sh"
expect_error() {  # expect_error <fragment> <command...>
  local fragment=$1; shift
  local rc=0
  "$@" > "$WORK/err.txt" 2>&1 || rc=$?
  [[ $rc -ne 0 ]] || fail "'$*' succeeded"
  [[ $rc -lt 128 ]] || fail "'$*' crashed (exit $rc)"
  grep -q -- "$fragment" "$WORK/err.txt" || fail "'$*' error lacks '$fragment': $(cat "$WORK/err.txt")"
}
mkdir -p "$WORK/d"
expect_error "train-images-idx3-ubyte" "$LOCKSTEP" train --data "$WORK/d" --checkpoint-dir ""
if [[ -f $DATA/train-images-idx3-ubyte ]]; then
  cp "$DATA"/* "$WORK/d/"
  truncate -s 5000 "$WORK/d/train-images-idx3-ubyte"
  expect_error "truncated" "$LOCKSTEP" train --data "$WORK/d" --checkpoint-dir ""
  cp "$DATA/t10k-labels-idx1-ubyte" "$WORK/d/train-labels-idx1-ubyte"
  cp "$DATA/train-images-idx3-ubyte" "$WORK/d/"
  expect_error "labels" "$LOCKSTEP" train --data "$WORK/d" --checkpoint-dir ""
fi
printf 'not a checkpoint' > "$WORK/bad.safetensors"
expect_error "bad.safetensors" "$LOCKSTEP" train --data "$DATA" --resume "$WORK/bad.safetensors" --checkpoint-dir ""
expect_error "cuda" "$LOCKSTEP" train --device cuda --checkpoint-dir ""
expect_error "deterministic" "$LOCKSTEP" train --mode sloppy
echo "bad inputs rejected cleanly"

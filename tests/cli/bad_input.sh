# Bad data, checkpoints, manifests, flags and devices give a one-line error naming the file
# or flag, and a non-zero exit, never a crash.
source "$(dirname "$0")/common.sh"
expect_error() {  # expect_error <fragment> <command...>
  local fragment=$1; shift
  local rc=0
  "$@" > "$WORK/err.txt" 2>&1 || rc=$?
  [[ $rc -ne 0 ]] || fail "'$*' succeeded"
  [[ $rc -lt 128 ]] || fail "'$*' crashed (exit $rc)"
  grep -q -- "$fragment" "$WORK/err.txt" || fail "'$*' error lacks '$fragment': $(cat "$WORK/err.txt")"
  LAST_RC=$rc
}
# As expect_error, and the error is the only line printed and exits with code <rc>.
expect_one_line_error() {  # expect_one_line_error <rc> <fragment> <command...>
  local rc=$1; shift
  expect_error "$@"
  [[ $(wc -l < "$WORK/err.txt") -eq 1 ]] || fail "'${*:2}' printed more than one line: $(cat "$WORK/err.txt")"
  [[ $LAST_RC -eq $rc ]] || fail "'${*:2}' exited $LAST_RC, expected $rc: $(cat "$WORK/err.txt")"
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
expect_one_line_error 2 "bad.safetensors" "$LOCKSTEP" train --data "$DATA" --resume "$WORK/bad.safetensors" --checkpoint-dir ""
expect_error "cuda" "$LOCKSTEP" train --device cuda --checkpoint-dir ""
expect_error "deterministic" "$LOCKSTEP" train --mode sloppy

# --resume of what is not a file: the path and the problem, in one line.
expect_one_line_error 2 "$WORK/none.safetensors: no such file" \
  "$LOCKSTEP" train --data "$DATA" --resume "$WORK/none.safetensors" --checkpoint-dir ""
expect_one_line_error 2 "$WORK/d: is a directory" "$LOCKSTEP" train --data "$DATA" --resume "$WORK/d" --checkpoint-dir ""
expect_one_line_error 2 "$WORK/none.json: no such file" "$LOCKSTEP" verify "$WORK/none.json"
# Counts out of range are refused before any arithmetic, never wrapped.
expect_one_line_error 1 "batch.size" "$LOCKSTEP" train --data "$DATA" --batch-size 9223372036854775807 --checkpoint-dir ""
expect_one_line_error 1 "--seed" "$LOCKSTEP" train --data "$DATA" --seed -1 --checkpoint-dir ""
expect_one_line_error 1 "--epochs" "$LOCKSTEP" train --data "$DATA" --epochs 99999999999 --checkpoint-dir ""
# Flag errors say the range in words and the value given (CLI11's own print DBL_MAX in full).
expect_one_line_error 1 "--lr: expected a finite number >= 0 (a float32), got abc" "$LOCKSTEP" train --lr abc
expect_one_line_error 1 "--momentum: expected a finite number >= 0 (a float32), got 1e39" "$LOCKSTEP" train --momentum 1e39
expect_one_line_error 1 "--threads: expected an integer in \[1, 2147483647\], got 0" "$LOCKSTEP" train --threads 0
expect_one_line_error 1 "--checkpoint-every: expected an integer in" "$LOCKSTEP" train --checkpoint-every -1

# Manifests: fields of the wrong kind or out of range name the file and the field.
manifest() {  # manifest <epochs JSON text> <step key> > file
  cat <<JSON
{"lockstep_manifest":1,"recipe":{"model":"mnist_net","input":[1,28,28],"epochs":$1,"batch_size":32,
"test_batch_size":64,"lr":"0x1.47ae14p-7","momentum":"0x1p-1","seed":1,"dropout":true,
"conv_dropout_p":"0x1p-1","fc_dropout_p":"0x1p-1","norm_mean":"0x1.0bb2ap-3","norm_std":"0x1.3b7b4ap-2",
"data":"$DATA","mode":"deterministic","device":"cpu","max_steps":5},
"data":{"sha256":{}},"fingerprint_every":1,"step_fingerprints":{"$2":"sha256:00"}}
JSON
}
for epochs in 9e14 1e300 2147483648 -1 '"4"'; do
  manifest "$epochs" 1 > "$WORK/m.json"
  expect_one_line_error 2 "$WORK/m.json: recipe: field 'epochs'" "$LOCKSTEP" verify "$WORK/m.json"
done
manifest 1e999 1 > "$WORK/m.json"
expect_one_line_error 2 "$WORK/m.json: " "$LOCKSTEP" verify "$WORK/m.json"
manifest 4 abc > "$WORK/m.json"
expect_one_line_error 2 "$WORK/m.json: step_fingerprints: key 'abc'" "$LOCKSTEP" verify "$WORK/m.json"
for f in "$WORK"/*.txt; do
  ! grep -qE 'map::at|stoll|json\.exception|Run with --help' "$f" || fail "raw library text reached the user: $(cat "$f")"
done

# A diverging run (lr 1000) stops at the first non-finite step with exit 4, naming the step,
# and with --detect-anomaly the first op whose output was non-finite.
if [[ -f $DATA/train-images-idx3-ubyte ]]; then
  expect_one_line_error 2 "$WORK/bad.safetensors: cannot create the checkpoint directory" \
    "$LOCKSTEP" train --data "$DATA" --checkpoint-dir "$WORK/bad.safetensors"
  expect_one_line_error 4 "non-finite .* at step [0-9]" "$LOCKSTEP" train --data "$DATA" --lr 1000 --max-steps 50 \
    --checkpoint-dir "$WORK/nan" --checkpoint-every 1 --quiet
  grep -q '"stopped"' "$WORK/nan/manifest.json" || fail "manifest does not record why the run stopped"
  expect_error "first non-finite op output" "$LOCKSTEP" train --data "$DATA" --lr 1000 --max-steps 50 \
    --checkpoint-dir "" --detect-anomaly --quiet
  [[ $LAST_RC -eq 4 ]] || fail "--detect-anomaly run exited $LAST_RC, expected 4"
fi
echo "bad inputs rejected cleanly"

# tools/crosscheck/cpu_speed.sh: flag errors; without PyTorch it prints lockstep's line, says
# so and exits 0; with a stand-in for PyTorch's Python (an epoch of 0.5 s) it prints both
# lines, the per-epoch rate from t(2) - t(1), and the ratio.
source "$(dirname "$0")/common.sh"
SPEED=$SRC/tools/crosscheck/cpu_speed.sh
LOCKSTEP_FLAGS=(--lockstep "$LOCKSTEP" --data "$DATA" --repeats 1 --batch-size 64 --threads 1)

rc=0
bash "$SPEED" --batch-size 0 > "$WORK/out.txt" 2>&1 || rc=$?
[[ $rc -eq 1 && $(wc -l < "$WORK/out.txt") -eq 1 ]] || fail "--batch-size 0: exit $rc: $(cat "$WORK/out.txt")"
grep -q "error: cpu_speed: --batch-size expects a whole number" "$WORK/out.txt" || fail "--batch-size 0: $(cat "$WORK/out.txt")"
rc=0
bash "$SPEED" --threds 2 > "$WORK/out.txt" 2>&1 || rc=$?
[[ $rc -eq 1 ]] && grep -q "unknown flag '--threds'" "$WORK/out.txt" || fail "--threds: exit $rc: $(cat "$WORK/out.txt")"

require_mnist
bash "$SPEED" "${LOCKSTEP_FLAGS[@]}" --python "$WORK/no-such-python" > "$WORK/out.txt" 2>&1 ||
  fail "without PyTorch: exit $?: $(cat "$WORK/out.txt")"
# An epoch of 8004 images is a fraction of a second: on a loaded machine (ctest -j beside other
# tests) two epochs can finish sooner than one, and the script must then say so, not print a rate.
if ! grep -qE '^lockstep +1 epoch +[0-9.]+ s, 2 epochs +[0-9.]+ s: +[0-9.]+ s/epoch, [0-9]+ samples/s$' "$WORK/out.txt"; then
  grep -qE '^lockstep +1 epoch +[0-9.]+ s, 2 epochs +[0-9.]+ s: +-[0-9.]+ s/epoch, nan samples/s$' "$WORK/out.txt" &&
    grep -q "2 epochs took no longer than 1: noise exceeds an epoch; raise --repeats" "$WORK/out.txt" ||
    fail "without PyTorch: no lockstep line: $(cat "$WORK/out.txt")"
fi
grep -q "^PyTorch: not found" "$WORK/out.txt" || fail "without PyTorch: not said: $(cat "$WORK/out.txt")"

# The stand-in answers the import check with a version, and runs "torch_recipe.py" as 0.5 s
# a training epoch after 1 s of start-up (t(2) - t(1) = 0.5 s: 16008 samples/s for 8004).
# Why so long a start-up: the wrong readings it must tell apart (t(2)/2 = 1 s, t(1) = 1.5 s,
# t(2) = 2 s an epoch) then lie at half the right rate or less, far outside the band that
# sleeps overshooting on a loaded machine (ctest -j, a build beside it) can reach.
cat > "$WORK/fake-python" <<'FAKE'
#!/usr/bin/env bash
[[ $1 == -c ]] && { echo 0.0-stand-in; exit 0; }
epochs=0
while (($#)); do [[ $1 == --epochs ]] && epochs=$2; shift; done
sleep 1
for ((i = 0; i < epochs; ++i)); do sleep 0.5; done
FAKE
chmod +x "$WORK/fake-python"
bash "$SPEED" "${LOCKSTEP_FLAGS[@]}" --python "$WORK/fake-python" > "$WORK/out.txt" 2>&1 ||
  fail "with the stand-in: exit $?: $(cat "$WORK/out.txt")"
line=$(grep -E '^PyTorch 0.0-stand-in ' "$WORK/out.txt") || fail "no PyTorch line: $(cat "$WORK/out.txt")"
rate=$(sed -E 's/.*, ([0-9]+) samples\/s$/\1/' <<< "$line")
train_images=$(grep -oE '\(([0-9]+) training images\)' "$WORK/out.txt" | grep -oE '[0-9]+')
python3 -c "import sys; r = int(sys.argv[1]) / (int(sys.argv[2]) / 0.5); sys.exit(0 if 0.7 < r < 1.4 else 1)" "$rate" "$train_images" ||
  fail "stand-in rate $rate samples/s, expected about $train_images / 0.5 s: $(cat "$WORK/out.txt")"
grep -qE '^ratio lockstep / PyTorch: [0-9.]+x the samples/s$' "$WORK/out.txt" ||
  { grep -q '^lockstep .* nan samples/s$' "$WORK/out.txt" && grep -q '^ratio: not measurable (see above)$' "$WORK/out.txt"; } ||
  fail "no ratio line: $(cat "$WORK/out.txt")"
echo "cpu_speed.sh: flag errors, without PyTorch, and with a stand-in: ok"

# A run stopped mid-epoch and resumed from its checkpoint ends with the uninterrupted run's
# fingerprint; so does a run interrupted by SIGTERM.
source "$(dirname "$0")/common.sh"
require_mnist
steps=120
"$LOCKSTEP" train --data "$DATA" --max-steps $steps --checkpoint-dir "$WORK/full" --quiet > "$WORK/full.txt"
want=$(fingerprint_of "$WORK/full.txt")

# Checkpoint every 45 steps, stop at 100: last.safetensors holds step 90 (mid-epoch).
"$LOCKSTEP" train --data "$DATA" --max-steps 100 --checkpoint-every 45 --checkpoint-dir "$WORK/a" --quiet > /dev/null
"$LOCKSTEP" train --data "$DATA" --max-steps $steps --resume "$WORK/a/last.safetensors" --checkpoint-dir "$WORK/a2" \
  --quiet > "$WORK/resumed.txt"
got=$(fingerprint_of "$WORK/resumed.txt")
[[ $got == "$want" ]] || fail "resumed from step 90: $got, uninterrupted: $want"

# SIGTERM while training: exit 130, a checkpoint, and a resume that reaches the same bits.
"$LOCKSTEP" train --data "$DATA" --max-steps $steps --checkpoint-dir "$WORK/b" > "$WORK/b.txt" 2>&1 &
pid=$!
for _ in $(seq 1 200); do
  grep -q "batch" "$WORK/b.txt" 2>/dev/null && break
  [[ -f $WORK/b/manifest.json ]] && break
  sleep 0.05
done
sleep 0.3
kill -TERM $pid
rc=0
wait $pid || rc=$?
if [[ $rc -eq 0 ]]; then
  echo "run finished before SIGTERM arrived; signal path not exercised"
else
  [[ $rc -eq 130 ]] || fail "SIGTERM: exit code $rc, expected 130"
  [[ -f $WORK/b/last.safetensors ]] || fail "SIGTERM: no checkpoint written"
  "$LOCKSTEP" train --data "$DATA" --max-steps $steps --resume "$WORK/b/last.safetensors" --checkpoint-dir "$WORK/b2" \
    --quiet > "$WORK/b2.txt"
  got=$(fingerprint_of "$WORK/b2.txt")
  [[ $got == "$want" ]] || fail "resumed after SIGTERM: $got, uninterrupted: $want"
fi

# A checkpoint from another recipe is refused.
if "$LOCKSTEP" train --data "$DATA" --max-steps $steps --seed 2 --resume "$WORK/a/last.safetensors" \
  --checkpoint-dir "" --quiet > "$WORK/c.txt" 2>&1; then fail "resume with another seed was accepted"; fi
grep -q "seed" "$WORK/c.txt" || fail "recipe mismatch message does not name the seed: $(cat "$WORK/c.txt")"
echo "resume reproduces $want"

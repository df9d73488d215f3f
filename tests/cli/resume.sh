# A run stopped mid-epoch and resumed from its checkpoint ends with the uninterrupted run's
# fingerprint; so does a run interrupted by SIGTERM.
source "$(dirname "$0")/common.sh"
require_mnist
steps=120
"$LOCKSTEP" train --data "$DATA" --max-steps $steps --checkpoint-dir "$WORK/full" --quiet > "$WORK/full.txt"
want=$(fingerprint_of "$WORK/full.txt")

# Checkpoint every 45 steps, stop at 100: last.safetensors holds step 100 (mid-epoch), written
# when --max-steps stopped the run.
"$LOCKSTEP" train --data "$DATA" --max-steps 100 --checkpoint-every 45 --checkpoint-dir "$WORK/a" --quiet > /dev/null
"$LOCKSTEP" train --data "$DATA" --max-steps $steps --resume "$WORK/a/last.safetensors" --checkpoint-dir "$WORK/a2" \
  --quiet > "$WORK/resumed.txt"
got=$(fingerprint_of "$WORK/resumed.txt")
[[ $got == "$want" ]] || fail "resumed from step 100: $got, uninterrupted: $want"

# SIGTERM while training: exit 130, a checkpoint, and a resume that reaches the same bits as a run
# never interrupted. The run is far too long to finish on its own, so the signal always lands mid-run;
# where it lands is read back from the run's own report and the reference run is made to match.
"$LOCKSTEP" train --data "$DATA" --checkpoint-dir "$WORK/b" > "$WORK/b.txt" 2>&1 &
pid=$!
started=0
for _ in $(seq 1 1200); do
  grep -q "batch" "$WORK/b.txt" 2>/dev/null && { started=1; break; }
  kill -0 $pid 2>/dev/null || break
  sleep 0.05
done
[[ $started -eq 1 ]] || { kill -KILL $pid 2>/dev/null || true; fail "training never reported a batch: $(cat "$WORK/b.txt")"; }
kill -TERM $pid || fail "training exited before SIGTERM: $(cat "$WORK/b.txt")"
rc=0
wait $pid || rc=$?
[[ $rc -eq 130 ]] || fail "SIGTERM: exit code $rc, expected 130: $(tail -n 3 "$WORK/b.txt")"
[[ -f $WORK/b/last.safetensors ]] || fail "SIGTERM: no checkpoint written"
stopped_at=$(sed -n 's/^interrupted at .*(step \([0-9]*\)).*$/\1/p' "$WORK/b.txt" | tail -n 1)
[[ -n $stopped_at ]] || fail "SIGTERM: no 'interrupted at ... (step N)' line: $(tail -n 3 "$WORK/b.txt")"
target=$((stopped_at + 15))
"$LOCKSTEP" train --data "$DATA" --max-steps $target --checkpoint-dir "" --quiet > "$WORK/b_full.txt"
"$LOCKSTEP" train --data "$DATA" --max-steps $target --resume "$WORK/b/last.safetensors" --checkpoint-dir "$WORK/b2" \
  --quiet > "$WORK/b2.txt"
want_b=$(fingerprint_of "$WORK/b_full.txt")
got=$(fingerprint_of "$WORK/b2.txt")
[[ -n $got && $got == "$want_b" ]] || fail "resumed after SIGTERM at step $stopped_at: $got, uninterrupted: $want_b"

# A checkpoint from another recipe is refused.
if "$LOCKSTEP" train --data "$DATA" --max-steps $steps --seed 2 --resume "$WORK/a/last.safetensors" \
  --checkpoint-dir "" --quiet > "$WORK/c.txt" 2>&1; then fail "resume with another seed was accepted"; fi
grep -q "seed" "$WORK/c.txt" || fail "recipe mismatch message does not name the seed: $(cat "$WORK/c.txt")"
echo "resume reproduces $want; SIGTERM at step $stopped_at resumed to step $target reproduces $want_b"

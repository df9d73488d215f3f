# Several processes: a checkpoint written at N = 2 resumes at N = 3 to the uninterrupted bits,
# and the manifest records the world; ranks with different recipes refuse to start, naming
# the field; SIGTERM to one rank stops them all at one step with a checkpoint; a rank killed
# with SIGKILL ends the job with a non-zero exit, within 30 s, and leaves a checkpoint that
# resumes bit-exactly.
source "$(dirname "$0")/mpi_common.sh"

# signal_one_rank SIGNAL CHECKPOINT_DIR LOG: once the job under $launcher has written its first
# checkpoint, sends SIGNAL to one of its ranks.
signal_one_rank() {
  for _ in $(seq 1 600); do
    [[ -f $2/last.safetensors ]] && break
    sleep 0.05
  done
  [[ -f $2/last.safetensors ]] || { kill -KILL $launcher; fail "no checkpoint before SIG$1: $(tail -n 5 "$3")"; }
  local victim
  victim=$(pgrep -P $launcher -f "lockstep" | tail -n 1)
  [[ -n $victim ]] || { kill -KILL $launcher; fail "found no rank process under mpirun"; }
  kill -"$1" "$victim"
}

# await_launcher MESSAGE LOG: waits up to 30 s for the job under $launcher to end; if it has
# not, kills it and fails with MESSAGE and the log's last lines.
await_launcher() {
  for _ in $(seq 1 300); do
    kill -0 $launcher 2> /dev/null || return 0
    sleep 0.1
  done
  kill -KILL $launcher
  fail "$1: $(tail -n 3 "$2")"
}

"$LOCKSTEP" train --data "$DATA" --checkpoint-dir "" --max-steps 60 --quiet > "$WORK/full.txt"
want=$(fingerprint_of "$WORK/full.txt")
run_np 2 "$WORK/a.txt" train --data "$DATA" --checkpoint-dir "$WORK/a" --max-steps 25 --quiet ||
  fail "-np 2 to step 25 failed: $(tail -n 5 "$WORK/a.txt")"
grep -q '"size": 2' "$WORK/a/manifest.json" || fail "the manifest does not record a world of 2"
[[ $(grep -c '"host"' "$WORK/a/manifest.json") -eq 2 ]] || fail "the manifest does not record both ranks' hosts"
run_np 3 "$WORK/b.txt" train --data "$DATA" --checkpoint-dir "$WORK/b" --max-steps 60 --quiet \
  --resume "$WORK/a/last.safetensors" || fail "-np 3 resume failed: $(tail -n 5 "$WORK/b.txt")"
got=$(fingerprint_of "$WORK/b.txt")
[[ $got == "$want" ]] || fail "written at -np 2, resumed at -np 3: $got, uninterrupted one process: $want"
echo "checkpoint of -np 2 at step 25 resumed at -np 3 to step 60: $got"

# `lockstep verify` replays a manifest at another world size.
run_np 2 "$WORK/v.txt" verify "$WORK/b/manifest.json" --data "$DATA" ||
  fail "verify at -np 2 failed: $(tail -n 5 "$WORK/v.txt")"
grep -q "verify: OK" "$WORK/v.txt" || fail "verify at -np 2 said: $(cat "$WORK/v.txt")"

# Ranks that disagree refuse to start.
rc=0
mpirun -np 1 "$LOCKSTEP" train --data "$DATA" --checkpoint-dir "" --max-steps 5 --seed 1 : \
  -np 1 "$LOCKSTEP" train --data "$DATA" --checkpoint-dir "" --max-steps 5 --seed 2 > "$WORK/seed.txt" 2>&1 || rc=$?
[[ $rc -ne 0 ]] || fail "ranks with seeds 1 and 2 trained"
grep -q "ranks disagree on recipe.seed: rank 0 has 1, rank 1 has 2" "$WORK/seed.txt" ||
  fail "seed mismatch message: $(grep error "$WORK/seed.txt")"
rc=0
mpirun -np 2 "$LOCKSTEP" train --data "$DATA" --checkpoint-dir "" --max-steps 5 : \
  -np 1 "$LOCKSTEP" train --data "$DATA" --checkpoint-dir "" --max-steps 5 --lr 0.02 > "$WORK/lr.txt" 2>&1 || rc=$?
[[ $rc -ne 0 ]] || fail "ranks with different learning rates trained"
grep -q "ranks disagree on recipe.lr: rank 0 has .*, rank 2 has" "$WORK/lr.txt" ||
  fail "lr mismatch message: $(grep error "$WORK/lr.txt")"
echo "mismatched seed and lr refused"

# SIGTERM to one rank mid-run: every rank stops at the same step, rank 0 checkpoints, the job
# exits 130, and the checkpoint resumes (in one process) to the uninterrupted bits.
mpirun -np 2 "$LOCKSTEP" train --data "$DATA" --checkpoint-dir "$WORK/t" --checkpoint-every 10 --epochs 50 \
  --threads 1 > "$WORK/t.txt" 2>&1 &
launcher=$!
signal_one_rank TERM "$WORK/t" "$WORK/t.txt"
await_launcher "SIGTERM to rank 1: the job was still running 30 s later" "$WORK/t.txt"
rc=0
wait $launcher || rc=$?
[[ $rc -eq 130 ]] || fail "SIGTERM to rank 1: exit code $rc, expected 130: $(tail -n 5 "$WORK/t.txt")"
stopped_at=$(tr '\r' '\n' < "$WORK/t.txt" | sed -E 's/\x1b\[K//g' | sed -n 's/^interrupted at .*(step \([0-9]*\)).*$/\1/p')
[[ $(wc -w <<< "$stopped_at") -eq 1 ]] || fail "SIGTERM to rank 1: expected one 'interrupted at' line, got '$stopped_at'"
target=$((stopped_at + 15))
"$LOCKSTEP" train --data "$DATA" --checkpoint-dir "$WORK/t2" --epochs 50 --max-steps $target --quiet \
  --resume "$WORK/t/last.safetensors" > "$WORK/t2.txt" 2>&1 || fail "resume after SIGTERM failed: $(tail -n 3 "$WORK/t2.txt")"
"$LOCKSTEP" train --data "$DATA" --checkpoint-dir "" --epochs 50 --max-steps $target --quiet > "$WORK/t_full.txt"
[[ $(fingerprint_of "$WORK/t2.txt") == $(fingerprint_of "$WORK/t_full.txt") ]] ||
  fail "resumed after SIGTERM at step $stopped_at: $(fingerprint_of "$WORK/t2.txt"), uninterrupted: $(fingerprint_of "$WORK/t_full.txt")"
echo "SIGTERM to rank 1: every rank stopped at step $stopped_at (exit 130); resumed to step $target, the same bits"

# SIGKILL to one rank mid-run.
mpirun -np 2 "$LOCKSTEP" train --data "$DATA" --checkpoint-dir "$WORK/k" --checkpoint-every 10 --epochs 50 \
  > "$WORK/k.txt" 2>&1 &
launcher=$!
signal_one_rank KILL "$WORK/k" "$WORK/k.txt"
killed_at=$(date +%s)
await_launcher "the job was still running 30 s after a rank was killed" "$WORK/k.txt"
rc=0
wait $launcher || rc=$?
[[ $rc -ne 0 ]] || fail "the job exited 0 after a rank was killed"
echo "a rank killed: the job ended after $(( $(date +%s) - killed_at )) s with exit code $rc"
# The kill lands a few dozen steps in; 400 steps is well past any checkpoint it can have left.
"$LOCKSTEP" train --data "$DATA" --checkpoint-dir "$WORK/k2" --max-steps 400 --resume "$WORK/k/last.safetensors" \
  > "$WORK/k2.txt" 2>&1 || fail "resume from the killed job's checkpoint failed: $(tail -n 3 "$WORK/k2.txt")"
step=$(sed -n 's/^resumed from .*(step \([0-9]*\)).*$/\1/p' "$WORK/k2.txt")
"$LOCKSTEP" train --data "$DATA" --checkpoint-dir "" --max-steps 400 --quiet > "$WORK/k_full.txt"
[[ $(fingerprint_of "$WORK/k2.txt") == $(fingerprint_of "$WORK/k_full.txt") ]] ||
  fail "resumed from the killed job's checkpoint (step ${step:-?}): $(fingerprint_of "$WORK/k2.txt"), uninterrupted: $(fingerprint_of "$WORK/k_full.txt")"
echo "the killed job's last checkpoint (step ${step:-?}) resumes to the uninterrupted bits"

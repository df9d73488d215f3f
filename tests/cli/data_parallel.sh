# `mpirun -np N lockstep train` gives the one-process run's bits for N = 1..4, at 1 and 2
# threads per rank, with batches that the ranks share unevenly: 36 samples (5 chunks) over
# 3 ranks, and an epoch of 1000-sample batches whose last batch (4 samples, 1 chunk) leaves
# every rank but one without rows. The epoch's evaluation (split over the ranks) prints the
# same line, and fast mode runs.
source "$(dirname "$0")/mpi_common.sh"
check_world_sizes() {  # check_world_sizes NAME ARGS...: N = 1..4 at 1 and 2 threads vs one process
  local name=$1
  shift
  "$LOCKSTEP" train --data "$DATA" --checkpoint-dir "" "$@" > "$WORK/$name.one.txt" 2>&1 ||
    fail "$name: one process failed: $(tail -n 3 "$WORK/$name.one.txt")"
  local want
  want=$(fingerprint_of "$WORK/$name.one.txt")
  [[ -n $want ]] || fail "$name: no fingerprint from the one-process run"
  for n in 1 2 3 4; do
    for t in 1 2; do
      local out="$WORK/$name.np$n.t$t.txt"
      run_np "$n" "$out" train --data "$DATA" --checkpoint-dir "" --threads "$t" "$@" ||
        fail "$name: -np $n --threads $t failed: $(tail -n 5 "$out")"
      local got
      got=$(fingerprint_of "$out")
      [[ $got == "$want" ]] || fail "$name: -np $n --threads $t: $got, one process: $want"
      [[ $(grep -c '^fingerprint:' "$out") -eq 1 ]] || fail "$name: -np $n printed the fingerprint more than once"
      [[ "$(epoch_lines "$out")" == "$(epoch_lines "$WORK/$name.one.txt")" ]] ||
        fail "$name: -np $n: epoch lines differ: $(epoch_lines "$out") vs $(epoch_lines "$WORK/$name.one.txt")"
    done
  done
  echo "$name: N = 1..4 at 1 and 2 threads: $want"
}
check_world_sizes batch36 --max-steps 40 --batch-size 36
check_world_sizes short_last_batch --epochs 1 --batch-size 1000
check_world_sizes golden --max-steps 100
golden=$(grep -oE 'golden fingerprint \(--max-steps 100\): `sha256:[0-9a-f]{64}`' "$SRC/README.md" | grep -oE 'sha256:[0-9a-f]{64}')
[[ $(fingerprint_of "$WORK/golden.np4.t2.txt") == "$golden" ]] || fail "-np 4 does not give the README's golden fingerprint"

# Fast mode: several processes run and finish (its bits may differ with N).
run_np 2 "$WORK/fast.txt" train --data "$DATA" --checkpoint-dir "" --mode fast --max-steps 30 ||
  fail "fast mode at -np 2 failed: $(tail -n 5 "$WORK/fast.txt")"
[[ -n $(fingerprint_of "$WORK/fast.txt") ]] || fail "fast mode at -np 2 printed no fingerprint"
echo "fast mode at -np 2: $(fingerprint_of "$WORK/fast.txt")"

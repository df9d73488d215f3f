# `lockstep study training --quick`: CSV, report and plots (MNIST when prepared, else synthetic).
source "$(dirname "$0")/common.sh"
source "$(dirname "$0")/study_common.sh"
study_check training "training_steps.csv:run,kind,mode,device,threads,step,loss training_runs.csv:run,kind,mode,device,threads,first_diff_step" \
  "training_divergence.png training_loss.png training_accuracy.png training_onebit.png" --data "$DATA"
# Deterministic runs never leave the reference; the one-bit run does at step 1.
awk -F, 'NR > 1 && ($2 == "det" || $2 == "ref") && $6 != -1 { bad = 1; print "det run differs: " $0 } END { exit bad }' \
  "$WORK/training/training_runs.csv" || fail "a deterministic run left the reference"
awk -F, 'NR > 1 && $2 == "onebit" && $6 != 1 { bad = 1 } END { exit bad }' "$WORK/training/training_runs.csv" ||
  fail "the one-bit run should differ from step 1"
awk -F, 'NR > 1 && $4 != "cpu" { bad = 1 } END { exit bad }' "$WORK/training/training_runs.csv" ||
  fail "a run without --device cuda trained somewhere else than on the CPU"
grep -qE 'Deterministic mode: ([0-9]+) of \1 runs' "$WORK/training/report.md" ||
  fail "report does not state that every deterministic run kept the reference's bits"
# Without --device cuda the report says the GPU was not measured, and has no CUDA findings.
grep -q '^GPU: not measured' "$WORK/training/report.md" || fail "report does not say the GPU was not measured"
! grep -q 'CUDA det' "$WORK/training/report.md" || fail "CPU-only report has CUDA findings"
# Without data the study trains on synthetic data and says so.
"$LOCKSTEP" study training --quick --steps 3 --runs 1 --threads 1 --data "$WORK/no-such-dir" --out "$WORK/synthetic" > /dev/null
grep -q 'synthetic data' "$WORK/synthetic/report.md" || fail "report does not say the data were synthetic"
echo "study training: ok"

# `lockstep study kernels|training --quick --device cuda` on a GPU: the CUDA rows are there,
# every CUDA det result has the CPU det result's bits (kernels: every element of every pass;
# training: the parameters after every step), and the reports say the GPU was measured.
# Exit 77 (skipped) without a usable GPU or in a build without the CUDA backend ($3 = OFF).
source "$(dirname "$0")/common.sh"
[[ ${3:-OFF} == ON ]] || { echo "SKIP: built without the CUDA backend"; exit 77; }
if ! { command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; }; then
  echo "SKIP: no GPU on this machine"; exit 77
fi
source "$(dirname "$0")/study_common.sh"

study_check kernels "kernels_results.csv:pass,op,mode,device,threads,rep" "kernels_ulp_hist.png kernels_vs_det.png" \
  --threads 1,2 --runs 2 --device cuda
csv=$WORK/kernels/kernels_results.csv
awk -F, 'NR == 1 { for (i = 1; i <= NF; ++i) col[$i] = i; next }
  $col["device"] == "cuda" { rows[$col["mode"]]++ }
  $col["device"] == "cuda" && $col["mode"] == "deterministic" && $col["bits_differ_from_det1"] != 0 {
    bad = 1; print "CUDA det differs from CPU det: " $0 }
  END { if (rows["deterministic"] == 0 || rows["fast"] == 0) { bad = 1; print "no CUDA det or fast rows" } exit bad }' \
  "$csv" || fail "study kernels --device cuda: CUDA det rows missing or not bitwise equal to CPU det"
grep -qE 'CUDA det equal to CPU det: ([0-9]+) of \1 passes' "$WORK/kernels/report.md" ||
  fail "kernels report does not state CUDA det equal to CPU det for every pass"
grep -q '^GPU: measured' "$WORK/kernels/report.md" || fail "kernels report does not say the GPU was measured"
grep -q '^## Per pass on CUDA' "$WORK/kernels/report.md" || fail "kernels report has no CUDA table"

study_check training "training_steps.csv:run,kind,mode,device,threads,step training_runs.csv:run,kind,mode,device,threads,first_diff_step" \
  "training_divergence.png training_loss.png training_accuracy.png training_onebit.png" \
  --device cuda --steps 20 --data "$DATA"
runs=$WORK/training/training_runs.csv
awk -F, 'NR > 1 && $2 == "ref" && $4 != "cpu" { bad = 1; print "reference not on the CPU: " $0 }
  NR > 1 && $2 == "det" && ($4 != "cuda" || $6 != -1) { bad = 1; print "CUDA det left the CPU reference: " $0 }
  NR > 1 && $2 == "onebit" && $6 != 1 { bad = 1; print "one-bit run did not differ at step 1: " $0 }
  END { exit bad }' "$runs" || fail "study training --device cuda: CUDA det runs not bitwise equal to the CPU reference"
grep -qE 'CUDA det equal to CPU det: ([0-9]+) of \1 deterministic runs' "$WORK/training/report.md" ||
  fail "training report does not state every CUDA det run equal to the CPU reference"
grep -q '^GPU: measured' "$WORK/training/report.md" || fail "training report does not say the GPU was measured"
! grep -q 'DIFFERS' "$WORK/kernels/report.md" "$WORK/training/report.md" || fail "a report says CUDA det differs"
echo "study --device cuda: ok"

# `lockstep study kernels --quick`: CSV, report and plots; deterministic passes constant.
source "$(dirname "$0")/common.sh"
source "$(dirname "$0")/study_common.sh"
study_check kernels "kernels_results.csv:pass,op,mode,device,threads,rep kernels_hist.csv:pass,mode,device,threads,rep,bin" \
  "kernels_ulp_hist.png kernels_vs_det.png" --threads 1,2,3
# Every deterministic row agrees with det 1-thread, bit for bit (columns by name, not position).
awk -F, 'NR == 1 { for (i = 1; i <= NF; ++i) col[$i] = i; next }
  $col["mode"] == "deterministic" && ($col["differ_from_det1"] != 0 || $col["bits_differ_from_det1"] != 0) {
    bad = 1; print "deterministic differs: " $0 }
  END { exit bad }' "$WORK/kernels/kernels_results.csv" || fail "a deterministic pass changed with the thread count"
awk -F, 'NR > 1 && $4 != "cpu" { bad = 1 } END { exit bad }' "$WORK/kernels/kernels_results.csv" ||
  fail "a run without --device cuda wrote rows for another device than the CPU"
grep -qE 'Deterministic mode: ([0-9]+) of \1 passes gave one identical result' "$WORK/kernels/report.md" ||
  fail "report does not state that every deterministic pass was constant"
# Without --device cuda the report says the GPU was not measured, and has no CUDA table.
grep -q '^GPU: not measured' "$WORK/kernels/report.md" || fail "report does not say the GPU was not measured"
! grep -q 'Per pass on CUDA\|CUDA det equal' "$WORK/kernels/report.md" || fail "CPU-only report has CUDA findings"
echo "study kernels: ok"

# `lockstep study kernels --quick`: CSV, report and plots; deterministic passes constant.
source "$(dirname "$0")/common.sh"
source "$(dirname "$0")/study_common.sh"
study_check kernels "kernels_results.csv:pass,op,mode,threads,rep kernels_hist.csv:pass,mode,threads,rep,bin" \
  "kernels_ulp_hist.png kernels_vs_det.png" --threads 1,2,3
# Every deterministic row agrees with det 1-thread (column differ_from_det1 is 0).
awk -F, 'NR > 1 && $3 == "deterministic" && $(NF-2) != 0 { bad = 1; print "deterministic differs: " $0 } END { exit bad }' \
  "$WORK/kernels/kernels_results.csv" || fail "a deterministic pass changed with the thread count"
grep -qE 'Deterministic mode: ([0-9]+) of \1 passes gave one identical result' "$WORK/kernels/report.md" ||
  fail "report does not state that every deterministic pass was constant"
echo "study kernels: ok"

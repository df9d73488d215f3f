# `lockstep study sum --quick`: CSV, report and plots; the report's canonical-order claim holds.
source "$(dirname "$0")/common.sh"
source "$(dirname "$0")/study_common.sh"
study_check sum "sum_orders.csv:distribution,n,method,variant,value sum_exact.csv:distribution,n,exact_f64 sum_summary.csv:distribution,method sum_vs_n.csv:distribution,n,method" \
  "sum_ulp.png sum_perm_hist.png sum_vs_n.png"
grep -q 'How the exact sum is exact' "$WORK/sum/report.md" || fail "report does not explain the exact sum"
# lockstep's deterministic sum must give one value per distribution across thread counts.
n=$(grep -c 'lockstep deterministic gave the same bits' "$WORK/sum/report.md")
[[ $n == 4 ]] || fail "expected 4 distributions with one deterministic value, report says $n"
echo "study sum: ok"

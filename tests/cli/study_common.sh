# Shared by the study tests: runs `lockstep study <experiment> --quick` into a temp dir and
# checks the CSV headers, report.md and, when matplotlib is installed, the PNGs.
# Usage: study_check EXPERIMENT "CSV:HEADER_PREFIX ..." "PNG ..." [extra args]
study_check() {
  local exp=$1 csvs=$2 pngs=$3
  shift 3
  local out=$WORK/$exp
  local t0=$SECONDS
  "$LOCKSTEP" study "$exp" --quick --out "$out" "$@" | tee "$WORK/$exp.log"
  echo "study $exp --quick: $((SECONDS - t0)) s"
  [[ -s $out/report.md ]] || fail "$out/report.md missing"
  grep -q '^# lockstep study' "$out/report.md" || fail "report.md has no title"
  grep -q '^## ' "$out/report.md" || fail "report.md has no sections"
  for spec in $csvs; do
    local file=${spec%%:*} header=${spec#*:}
    [[ -s $out/$file ]] || fail "$file missing"
    head -n 1 "$out/$file" | grep -q "^$header" || fail "$file header is '$(head -n 1 "$out/$file")', expected '$header...'"
    (( $(wc -l < "$out/$file") > 1 )) || fail "$file has no data rows"
  done
  local py=""
  for candidate in python3 /usr/bin/python3; do
    if "$candidate" -c 'import matplotlib' >/dev/null 2>&1; then py=$candidate; break; fi
  done
  if [[ -n $py ]]; then
    for png in $pngs; do
      [[ -s $out/$png ]] || fail "$png missing although matplotlib is installed"
      head -c 8 "$out/$png" | od -An -tx1 | grep -q '89 50 4e 47' || fail "$png is not a PNG"
      grep -q "($png)" "$out/report.md" || fail "report.md does not link $png"
    done
  else
    echo "NOTE: matplotlib not installed: plots skipped (CSV and report checked)"
    grep -q 'Plots skipped' "$out/report.md" || fail "report.md does not say plots were skipped"
  fi
}

# `lockstep study kernels|training --device cuda` on a machine without a usable GPU: exit 3
# (device unavailable) with one line naming the reason, and no output directory at all (no
# partial report). Exit 77 (skipped) where a GPU is present.
source "$(dirname "$0")/common.sh"
if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
  echo "SKIP: a GPU is present; this test is for machines without one"; exit 77
fi
for exp in kernels training; do
  out=$WORK/$exp
  args=(--quick --device cuda --out "$out")
  [[ $exp == training ]] && args+=(--steps 1 --runs 1 --threads 1 --data "$WORK/none")
  rc=0
  "$LOCKSTEP" study "$exp" "${args[@]}" >"$WORK/stdout" 2>"$WORK/stderr" || rc=$?
  cat "$WORK/stdout" "$WORK/stderr"
  [[ $rc -eq 3 ]] || fail "study $exp --device cuda: expected exit 3 (device unavailable), got $rc"
  [[ $(wc -l < "$WORK/stderr") -eq 1 ]] || fail "study $exp --device cuda: expected one line on stderr"
  grep -q "^error: study $exp: --device cuda: " "$WORK/stderr" || fail "study $exp: the line does not name the option"
  # The reason is the backend's: the CUDA error in a CUDA build, the missing backend otherwise.
  grep -qE "no usable CUDA device: .*cudaError|built without the cuda backend" "$WORK/stderr" ||
    fail "study $exp: the line does not say why the GPU is unusable"
  [[ ! -s $WORK/stdout ]] || fail "study $exp: printed on stdout although it ran nothing"
  [[ ! -e $out ]] || fail "study $exp: created $out although it ran nothing"
done
echo "study --device cuda without a GPU: ok"

# The README's golden fingerprint of `lockstep train --max-steps 100` is reproduced at 1 and
# 2 threads, and the fingerprint line is the last line printed.
source "$(dirname "$0")/common.sh"
require_mnist
golden=$(grep -oE 'golden fingerprint \(--max-steps 100\): `sha256:[0-9a-f]{64}`' "$SRC/README.md" | grep -oE 'sha256:[0-9a-f]{64}')
[[ -n $golden ]] || fail "README.md has no golden fingerprint line"
for t in 1 2; do
  "$LOCKSTEP" train --data "$DATA" --max-steps 100 --threads "$t" --checkpoint-dir "" > "$WORK/out$t.txt"
  last=$(tail -n 1 "$WORK/out$t.txt")
  [[ $last == "fingerprint: $golden" ]] || fail "threads=$t: last line '$last', README says $golden"
done
echo "golden fingerprint reproduced at 1 and 2 threads: $golden"

# `lockstep verify` accepts a faithful manifest and pinpoints the first differing step of a
# tampered one.
source "$(dirname "$0")/common.sh"
require_mnist
"$LOCKSTEP" train --data "$DATA" --max-steps 30 --checkpoint-dir "$WORK/run" --quiet > /dev/null
"$LOCKSTEP" verify "$WORK/run/manifest.json" --threads 1 > "$WORK/ok.txt" || fail "verify failed: $(cat "$WORK/ok.txt")"
grep -q "verify: OK" "$WORK/ok.txt" || fail "no OK line"
python3 - "$WORK/run/manifest.json" "$WORK/bad.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
m["step_fingerprints"]["17"] = "sha256:" + "0" * 64
json.dump(m, open(sys.argv[2], "w"))
PY
if "$LOCKSTEP" verify "$WORK/bad.json" > "$WORK/bad.txt"; then fail "tampered manifest verified"; fi
grep -q "MISMATCH first at step 17" "$WORK/bad.txt" || fail "wrong mismatch report: $(cat "$WORK/bad.txt")"
echo "verify OK and mismatch located"

# Shared by the command-line tests: $1 is the lockstep binary, $2 the source dir.
# Exit 77 tells ctest the test was skipped (SKIP_RETURN_CODE).
set -euo pipefail
LOCKSTEP=$1
SRC=$2
DATA=$SRC/data/mnist
WORK=$(mktemp -d "${TMPDIR:-/tmp}/lockstep-cli.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
require_mnist() {
  [[ -f $DATA/train-images-idx3-ubyte ]] || { echo "SKIP: $DATA not prepared (run ./setup.sh)"; exit 77; }
}
fingerprint_of() { grep -E '^fingerprint: sha256:[0-9a-f]{64}$' "$1" | tail -n 1 | cut -d' ' -f2; }

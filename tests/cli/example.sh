# The C++ API example builds and trains briefly.
EXAMPLE=$1
SRC=$2
set -euo pipefail
[[ -f $SRC/data/mnist/train-images-idx3-ubyte ]] || { echo "SKIP: data/mnist not prepared"; exit 77; }
out=$("$EXAMPLE" "$SRC/data/mnist" 20)
echo "$out"
grep -qE '^test accuracy [0-9]+/1996, fingerprint: sha256:[0-9a-f]{64}$' <<< "$out"

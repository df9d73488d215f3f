#!/usr/bin/env bash
# Builds the libFuzzer harnesses of tests/fuzz with clang (ASan + UBSan) into build-fuzz/ and
# fuzzes each for a given time, one after the other, one process at a time:
#   tools/fuzz.sh [seconds per harness, default 60] [harness ...]   (idx checkpoint manifest)
# New inputs go to build-fuzz/corpus/<harness>/ (the seeds of tests/fuzz/corpus/ are read,
# never written); crashing inputs go to build-fuzz/artifacts/<harness>/ and make the exit
# status 1. Extra libFuzzer flags: LOCKSTEP_FUZZ_FLAGS="-max_len=1024". See docs/fuzzing.md.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
harnesses=("$@")
((${#harnesses[@]})) || harnesses=(idx checkpoint manifest)

if [[ ! -f build-fuzz/CMakeCache.txt ]]; then
  cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" \
        -DCMAKE_CXX_COMPILER=clang++ \
        -DLOCKSTEP_CUDA=OFF -DLOCKSTEP_BUILD_BENCH=OFF -DLOCKSTEP_FUZZ=ON
fi
cmake --build build-fuzz --parallel "$(nproc)" --target "${harnesses[@]/#/fuzz_}"

export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
# The harnesses write each input to a temporary file: in memory where possible (3x faster).
[[ -d /dev/shm && -z "${TMPDIR:-}" ]] && export TMPDIR=/dev/shm
status=0
for h in "${harnesses[@]}"; do
  mkdir -p "build-fuzz/corpus/$h" "build-fuzz/artifacts/$h"
  before=$(ls "build-fuzz/artifacts/$h" | wc -l)
  echo "== fuzzing $h for ${seconds}s"
  # -fork=1 -ignore_crashes=1: one child process at a time, and a crash is saved to
  # build-fuzz/artifacts/<harness>/ without ending the run. -timeout: an input that takes over
  # 10 s is a hang; -max_len: the seeds are at most a few KiB.
  build-fuzz/tests/fuzz/fuzz_"$h" -fork=1 -ignore_crashes=1 -max_total_time="$seconds" -timeout=10 -max_len=4096 \
    -artifact_prefix="build-fuzz/artifacts/$h/" ${LOCKSTEP_FUZZ_FLAGS:-} "build-fuzz/corpus/$h" "tests/fuzz/corpus/$h"
  after=$(ls "build-fuzz/artifacts/$h" | wc -l)
  if ((after > before)); then
    echo "== $h: $((after - before)) new crashing input(s) in build-fuzz/artifacts/$h/" >&2
    status=1
  fi
done
exit $status

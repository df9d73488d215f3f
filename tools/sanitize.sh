#!/usr/bin/env bash
# Builds and runs tests under sanitizers; CI (.ci/run) runs both after the normal tests.
#   tools/sanitize.sh asan   AddressSanitizer + UndefinedBehaviorSanitizer over the suite (build-asan/)
#   tools/sanitize.sh tsan   ThreadSanitizer over the threaded tests (build-tsan/)
# GCC's runtimes (libasan, libubsan, libtsan) come with build-essential. -O1 -g1, CUDA and
# benchmarks off keep it lean. What each run skips and why: docs/fuzzing.md#sanitizers.
# Any report fails the run: ASan and TSan stop at the first error, UBSan is made fatal by
# -fno-sanitize-recover (cmake/flags.cmake) and halt_on_error.
set -euo pipefail
cd "$(dirname "$0")/.."
kind=${1:?usage: tools/sanitize.sh asan|tsan}
jobs=${LOCKSTEP_SANITIZE_JOBS:-$(nproc)}

export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1

# Without MPI: LeakSanitizer reports Open MPI's own start-up allocations. The data-parallel
# step itself still runs here, in one process (data_parallel_test, batch_shard_test).
configure() {  # configure <dir> <sanitizers>
  [[ -f "$1/CMakeCache.txt" ]] && return
  cmake -S . -B "$1" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" \
        -DLOCKSTEP_CUDA=OFF -DLOCKSTEP_MPI=OFF -DLOCKSTEP_BUILD_BENCH=OFF -DLOCKSTEP_SANITIZE="$2" ${LOCKSTEP_CMAKE_ARGS:-}
}

case "$kind" in
  asan)
    configure build-asan address,undefined
    cmake --build build-asan --parallel "$jobs"
    # Skipped: label slow (the cross-ISA proof builds the engine twice more), label cuda (no
    # GPU code is built), the cli.* shell scripts and cli.study_* (each trains the network for
    # up to hundreds of steps, tens of minutes under ASan; the training driver runs in process
    # in cli.train_run_in_process, which is kept), layout.* (a grep over the binary) and the
    # gradient check of nll_loss on 5000x10 (4 s normally, over 8 minutes under ASan: 50,000
    # perturbed forward passes; the other GradCheck cases, nll_loss included, are kept).
    ctest --test-dir build-asan --output-on-failure --parallel "$jobs" -LE 'slow|cuda' \
          -E '^(cli\.(golden_fingerprint|resume|verify|bad_input|example|cpu_speed|study_.*)|layout\..*)$|^Ops/OpHarness\.GradCheck/nll_loss_5000x10( |$)'
    ;;
  tsan)
    # The tests that run cpu/parallel.cpp's pool and the threaded kernels at several thread
    # counts: of the op harness, only the check of every op at 1, 2, 3, 7 and 16 threads (its
    # references and gradient checks are single-threaded and take most of an hour under TSan).
    tests=(parallel_test op_harness_test fast_kernels_test blocked_forms_test)
    filter_op_harness_test='*DetIsTheElementFormsAtEveryThreadCountAndRunToRun*'
    configure build-tsan thread
    cmake --build build-tsan --parallel "$jobs" --target "${tests[@]}"
    for t in "${tests[@]}"; do
      echo "== tsan: $t"
      filter_var="filter_$t"
      build-tsan/tests/"$t" --gtest_brief=1 --gtest_filter="${!filter_var:-*}"
    done
    ;;
  *) echo "tools/sanitize.sh: unknown kind '$kind' (expected asan or tsan)" >&2; exit 2 ;;
esac

# Floating-point and ISA flags, set in this one place (see docs/ordering.md#compiler-flags).
#
# -ffp-contract=off: g++ fuses a*b+c into an FMA by default, even with -std=c++20; our canonical
#   orders write every FMA explicitly (kernels/hd.h fma_rn), so nothing may be contracted implicitly.
# -fno-math-errno: lets std::sqrt/std::fma inline as instructions; it changes no result.
# Never -ffast-math or -Ofast. Never -march=native: it also changes tuning, so we name a level.

include(CheckCXXSourceRuns)

if(NOT DEFINED LOCKSTEP_ARCH)
  set(_lockstep_default_arch "")
  if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64")
    set(_lockstep_default_arch "x86-64-v3")
    set(CMAKE_REQUIRED_FLAGS "-march=x86-64")
    check_cxx_source_runs("int main(){ return __builtin_cpu_supports(\"x86-64-v4\") ? 0 : 1; }"
                          LOCKSTEP_HOST_HAS_X86_64_V4)
    unset(CMAKE_REQUIRED_FLAGS)
    if(LOCKSTEP_HOST_HAS_X86_64_V4)
      set(_lockstep_default_arch "x86-64-v4")
    endif()
  elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "aarch64|arm64")
    set(_lockstep_default_arch "armv8-a")
  endif()
  set(LOCKSTEP_ARCH "${_lockstep_default_arch}" CACHE STRING
      "Instruction-set level passed as -march (x86-64-v3, x86-64-v4, armv8-a, ...); results do not depend on it")
endif()

set(LOCKSTEP_HOST_FLAGS -ffp-contract=off -fno-math-errno -Wall -Wextra)
# clang too: its default is -ffp-contract=on (fusion inside one expression), so the explicit
# -ffp-contract=off above matters as much as for g++. kernels/ combine comparisons with `|`
# and `&` on purpose (no data-dependent branch, kernels/max_pool2d.h), which clang warns about.
if(CMAKE_CXX_COMPILER_ID MATCHES "Clang")
  list(APPEND LOCKSTEP_HOST_FLAGS -Wno-bitwise-instead-of-logical)
endif()
if(LOCKSTEP_ARCH)
  list(APPEND LOCKSTEP_HOST_FLAGS -march=${LOCKSTEP_ARCH})
endif()

# Device code (cuda/, when built): --fmad=false is nvcc's -ffp-contract=off, for the same reason;
# never --use_fast_math. The host half of a .cu file gets the host rule through -Xcompiler.
# --diag-suppress=1675: kernels/ headers carry `#pragma GCC unroll` for the CPU build, which
# nvcc's front end does not know (it only affects unrolling, never a result).
set(LOCKSTEP_CUDA_FLAGS --fmad=false --diag-suppress=1675 -Xcompiler=-ffp-contract=off,-fno-math-errno,-Wall,-Wextra)

function(lockstep_apply_flags target)
  target_compile_options(${target} PRIVATE "$<$<COMPILE_LANGUAGE:CXX>:${LOCKSTEP_HOST_FLAGS}>")
endfunction()

# Everything that links lockstep also compiles its headers (kernels/ included) with the same flags.
add_compile_options("$<$<COMPILE_LANGUAGE:CXX>:${LOCKSTEP_HOST_FLAGS}>" "$<$<COMPILE_LANGUAGE:CUDA>:${LOCKSTEP_CUDA_FLAGS}>")
string(REPLACE ";" " " LOCKSTEP_HOST_FLAGS_STRING "${LOCKSTEP_HOST_FLAGS}")
message(STATUS "lockstep: LOCKSTEP_ARCH=${LOCKSTEP_ARCH}; host flags: ${LOCKSTEP_HOST_FLAGS_STRING}")

# Sanitizer builds (.ci/run, docs/fuzzing.md): LOCKSTEP_SANITIZE=address,undefined or thread
# instruments everything built, lockstep and the tests alike. -fno-sanitize-recover makes UB
# fatal; frame pointers give readable stacks. Sanitizers change no floating-point flag.
set(LOCKSTEP_SANITIZE "" CACHE STRING "Sanitizers for every target (address,undefined | thread); empty: none")
# libFuzzer (clang only, tests/fuzz): coverage instrumentation plus ASan and UBSan everywhere;
# the fuzz_* executables add -fsanitize=fuzzer (libFuzzer's main).
option(LOCKSTEP_FUZZ "Build the libFuzzer harnesses of tests/fuzz (clang only)" OFF)
set(_lockstep_sanitize "${LOCKSTEP_SANITIZE}")
if(LOCKSTEP_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "LOCKSTEP_FUZZ=ON needs clang (-DCMAKE_CXX_COMPILER=clang++): libFuzzer is part of clang")
  endif()
  set(_lockstep_sanitize "fuzzer-no-link,address,undefined")
endif()
if(_lockstep_sanitize)
  set(_lockstep_sanitize_flags -fsanitize=${_lockstep_sanitize} -fno-sanitize-recover=all -fno-omit-frame-pointer)
  add_compile_options("$<$<COMPILE_LANGUAGE:CXX>:${_lockstep_sanitize_flags}>")
  add_link_options(-fsanitize=${_lockstep_sanitize})
  message(STATUS "lockstep: sanitizers ${_lockstep_sanitize}")
endif()

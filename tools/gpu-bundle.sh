#!/usr/bin/env bash
# Build the CUDA binaries on this machine and pack everything `tools/gpu-check.sh --bundle DIR`
# needs into one folder, for a GPU machine that has the NVIDIA driver and the CUDA libraries
# as pip packages (nvidia-cuda-runtime, nvidia-cublas, nvidia-cudnn-cu13, as PyTorch installs
# them) but none of lockstep's build dependencies. Copy the folder there (it is git-ignored) and run
#   DIR/tools/gpu-check.sh --bundle DIR --out RESULTS [--budget S]
#
#   tools/gpu-bundle.sh [--out DIR] [--build DIR] [--arch LEVEL] [--cuda-arch N] [--jobs N]
#                       [--data DIR] [--fashion DIR] [--max-mib N]
#     --out DIR       the bundle (default build-gpu-bundle; emptied first)
#     --build DIR     the build directory (default build-gpu): Release, CUDA on, MPI off, no RPATH
#     --arch LEVEL    LOCKSTEP_ARCH of the host code (default x86-64-v3: any AVX2 processor;
#                     results do not depend on it, speed a little)
#     --cuda-arch N   CMAKE_CUDA_ARCHITECTURES (default 90: H100 and H200; newer GPUs JIT its PTX)
#     --jobs N        build parallelism (default 1)
#     --data DIR      MNIST in IDX files (default data/mnist or $LOCKSTEP_DATA)
#     --fashion DIR   Fashion-MNIST (default /usr/share/datasets/fashion-mnist or $LOCKSTEP_FASHION;
#                     left out with a warning where missing)
#     --max-mib N     fail when the bundle is larger (default 60)
# ccache is used where installed (CCACHE_DIR and CCACHE_BASEDIR from the environment; the base
# directory defaults to the repository root, so checkouts at other paths share the cache).
#
# The bundle: lockstep, tests/cuda/cuda_*_test, tests/op_harness_test, bench/cuda/*_bench and
# bench/step_profile at their build-directory paths; lib/ with the shared libraries they need
# that a bare machine may lack (fmt, zlib, OpenSSL's libcrypto, Google Benchmark), and in lib/cxx
# this machine's libstdc++ and libgcc_s, which gpu-check adds only where the GPU machine's own are
# too old (they ask for a newer glibc than the binaries do); data/mnist (gzip-compressed) and
# data/fashion-mnist; tools/ (gpu-check.sh and the scripts it runs); BUNDLE, the manifest.
# Binaries are stripped of their symbol tables. Not carried: glibc (it must match the machine's
# loader), the driver's libcuda, and the CUDA libraries the pip packages hold (BUNDLE's
# pip-libraries; gpu-check finds them in the nvidia packages of its Python).
# Exit: 0 bundle written; 1 a step failed or the bundle is too large; 2 a bad flag.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

die() { echo "gpu-bundle: error: $*" >&2; exit "${2:-1}"; }

out="$root/build-gpu-bundle" build="$root/build-gpu" arch=x86-64-v3 cuda_arch=90 jobs=1 max_mib=60
data="${LOCKSTEP_DATA:-$root/data/mnist}" fashion="${LOCKSTEP_FASHION:-/usr/share/datasets/fashion-mnist}"
while (($#)); do
  (($# >= 2)) || die "flag $1 has no value (see the header of tools/gpu-bundle.sh)" 2
  case "$1" in
    --out) out="$2" ;;
    --build) build="$2" ;;
    --arch) arch="$2" ;;
    --cuda-arch) cuda_arch="$2" ;;
    --jobs) [[ "$2" =~ ^[1-9][0-9]*$ ]] || die "--jobs expects a whole number >= 1, got '$2'" 2; jobs="$2" ;;
    --data) data="$2" ;;
    --fashion) fashion="$2" ;;
    --max-mib) [[ "$2" =~ ^[1-9][0-9]*$ ]] || die "--max-mib expects a whole number >= 1, got '$2'" 2; max_mib="$2" ;;
    *) die "unknown flag '$1' (see the header of tools/gpu-bundle.sh)" 2 ;;
  esac
  shift 2
done
for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
  [ -e "$data/$f" ] || [ -e "$data/$f.gz" ] || die "no MNIST file $f (or $f.gz) in $data (--data DIR)" 2
done

# --- build -----------------------------------------------------------------------------------
launchers=()
if command -v ccache >/dev/null 2>&1; then
  export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$root}"
  launchers=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_CUDA_COMPILER_LAUNCHER=ccache)
fi
# No RPATH: the bundle's binaries find libraries only through LD_LIBRARY_PATH, which gpu-check
# sets, never through a path of this machine (the toolkit here) that the GPU machine lacks.
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DLOCKSTEP_CUDA=ON \
  -DCMAKE_CUDA_ARCHITECTURES="$cuda_arch" -DLOCKSTEP_ARCH="$arch" -DLOCKSTEP_MPI=OFF -DCMAKE_SKIP_RPATH=ON \
  "${launchers[@]}" >/dev/null || die "configure failed (cmake -S $root -B $build)"
cmake --build "$build" --parallel "$jobs" --target lockstep_gpu_check || die "build failed ($build)"

# --- binaries and scripts --------------------------------------------------------------------
rm -rf "$out"
mkdir -p "$out"/{lib/cxx,tests/cuda,bench/cuda,tools/crosscheck,data/mnist}
bins=(lockstep tests/op_harness_test bench/step_profile)
for b in "$build"/tests/cuda/cuda_*_test "$build"/bench/cuda/*_bench; do
  [ -f "$b" ] && [ -x "$b" ] && bins+=("${b#"$build"/}")
done
for b in "${bins[@]}"; do
  [ -x "$build/$b" ] || die "no $build/$b after the build"
  # Without the symbol table (a sixth of each file): kernel names, in the fatbinary, stay.
  strip -o "$out/$b" "$build/$b"
done
cp "$root/tools/gpu-check.sh" "$root/tools/gpu-check-bundle.sh" "$root/tools/bench_table.py" "$out/tools/"
cp "$root/tools/crosscheck/torch_recipe.py" "$out/tools/crosscheck/"

# --- shared libraries ------------------------------------------------------------------------
# pip_library NAME: the CUDA libraries the GPU machine has in its nvidia pip packages.
pip_library() { [[ "$1" =~ ^lib(cudart|cublas|cublasLt|cudnn[a-z_]*|curand|nvrtc[a-z-]*|nvJitLink)\.so ]]; }
# system_library NAME: glibc's parts, which must come from the machine's own loader, and the driver.
system_library() {
  [[ "$1" =~ ^(ld-linux[-a-z0-9_]*|libc|libm|libdl|libpthread|librt|libresolv|libutil|libmvec|libcuda|libnvidia-[a-z-]*)\.so ]] ||
    [[ "$1" == linux-vdso.so* ]]
}
declare -A pip_libs=()
for b in "${bins[@]}"; do
  while read -r name arrow path _; do
    [ "$arrow" = "=>" ] || continue
    if pip_library "$name"; then
      pip_libs[$name]=1
    elif system_library "$name"; then
      :
    elif [ "$path" = "not" ]; then
      die "$b needs $name, which this machine does not have either"
    elif [[ "$name" =~ ^lib(stdc\+\+|gcc_s)\.so ]]; then
      cp -L "$path" "$out/lib/cxx/$name"
    else
      cp -L "$path" "$out/lib/$name"
    fi
  done < <(ldd "$build/$b")
done

# --- data ------------------------------------------------------------------------------------
# gzip-compressed (the IDX reader takes NAME.gz where NAME is missing): 7.5 MiB become 1.6.
for f in "$data"/*-ubyte "$data"/*-ubyte.gz; do
  case "$f" in
    *\**) ;;
    *.gz) cp -L "$f" "$out/data/mnist/" ;;
    *) gzip -9 -c "$f" >"$out/data/mnist/${f##*/}.gz" ;;
  esac
done
if [ -d "$fashion" ]; then
  mkdir -p "$out/data/fashion-mnist"
  cp -L "$fashion"/*-ubyte* "$out/data/fashion-mnist/"
else
  echo "gpu-bundle: warning: no Fashion-MNIST at $fashion (--fashion DIR): gpu-check will skip its runs" >&2
fi

# --- manifest and size -----------------------------------------------------------------------
# newest_version PATTERN FILE...: the newest symbol version the files ask for (GLIBC_2.34, ...).
newest_version() { objdump -T "${@:2}" | grep -oE "$1" | sort -V | tail -1; }
glibc="$(newest_version 'GLIBC_2\.[0-9.]+' "${bins[@]/#/$out/}" "$out"/lib/lib*)"
glibcxx="$(newest_version 'GLIBCXX_[0-9.]+' "${bins[@]/#/$out/}" "$out"/lib/lib*)"
glibc_cxx="$(newest_version 'GLIBC_2\.[0-9.]+' "$out"/lib/cxx/lib*)"
{
  echo "commit: $(git -C "$root" describe --always --dirty 2>/dev/null || echo unknown)"
  echo "built: $(date -u +%Y-%m-%dT%H:%MZ) on $(uname -m)"
  echo "cuda-architectures: $cuda_arch"
  echo "host-arch: $arch"
  echo "cuda-toolkit: $("$(sed -n 's/^CMAKE_CUDA_COMPILER:[A-Z]*=//p' "$build/CMakeCache.txt")" --version |
    grep -o 'release [0-9.]*' | cut -d' ' -f2)"
  echo "needs: glibc ${glibc#GLIBC_} and ${glibcxx:-no libstdc++}, or glibc ${glibc_cxx#GLIBC_} with lib/cxx"
  echo "binaries: ${bins[*]}"
  echo "pip-libraries: ${!pip_libs[*]}"
  echo "carried-libraries: $(cd "$out/lib" && echo lib*.so*)"
  echo "fallback-libraries: $(cd "$out/lib/cxx" && echo lib*.so*) (lib/cxx: used where the machine's are older)"
} >"$out/BUNDLE"

mib() { du -sbL "$1" | awk '{ printf "%.1f", $1 / 1048576 }'; }
echo "gpu-bundle: $out: $(mib "$out") MiB (lib/ $(mib "$out/lib"), data/ $(mib "$out/data"), the rest binaries and scripts)"
sed 's/^/  /' "$out/BUNDLE"
total="$(du -sbL "$out" | cut -f1)"
[ "$total" -le $((max_mib * 1048576)) ] || die "the bundle is $(mib "$out") MiB, over --max-mib $max_mib"

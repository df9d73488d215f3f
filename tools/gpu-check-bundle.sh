# shellcheck shell=bash
# Sourced by tools/gpu-check.sh --bundle DIR: how a bundle's binaries (tools/gpu-bundle.sh) find
# their shared libraries on a machine that has none of lockstep's build dependencies. Uses
# gpu-check's variables bundle and python and its die.
# shellcheck disable=SC2154 # bundle and python are gpu-check's

# bundle_field NAME: a value of the bundle's manifest (BUNDLE: lines "NAME: value").
bundle_field() { sed -n "s/^$1: //p" "$bundle/BUNDLE"; }

# bundle_binaries: every executable of the bundle (its manifest's binaries), made executable
# again where a copy lost the mode bits.
bundle_binaries() {
  local b
  for b in $(bundle_field binaries); do
    [ -x "$bundle/$b" ] || chmod u+x "$bundle/$b" 2>/dev/null
    echo "$bundle/$b"
  done
}

# bundle_unloadable LIBRARY_PATH: the first binary that cannot load all its libraries (with the
# loader's words), or lockstep --version's failure; nothing when all load.
bundle_unloadable() {
  local b msg="" rc
  if command -v ldd >/dev/null 2>&1; then
    while read -r b; do
      msg="$(LD_LIBRARY_PATH="$1" ldd "$b" 2>&1 | grep -m1 'not found' | tr -s ' \t' ' ')"
      [ -z "$msg" ] || { echo "${b#"$bundle"/}:$msg"; return; }
    done < <(bundle_binaries)
  fi
  msg="$(LD_LIBRARY_PATH="$1" "$bundle/lockstep" --version 2>&1)" && return
  rc=$?
  [ "$rc" -ne 132 ] || msg="an instruction this processor lacks (built for $(bundle_field host-arch))"
  echo "lockstep --version: exit $rc: $(echo "$msg" | head -1)"
}

# bundle_cuda_dirs: the folders holding the CUDA libraries the manifest names (pip-libraries), in
# the nvidia pip packages that $python imports, else in /usr/local/cuda; none for a library the
# system's loader cache lists. Dies naming a library found nowhere.
bundle_cuda_dirs() {
  local roots=() lib found dirs=()
  mapfile -t roots < <("$python" -c 'import nvidia; print(*nvidia.__path__, sep="\n")' 2>/dev/null)
  roots+=(/usr/local/cuda/lib64 /usr/local/cuda/lib)
  for lib in $(bundle_field pip-libraries); do
    found="$(find "${roots[@]}" -name "$lib" -print -quit 2>/dev/null)"
    if [ -n "$found" ]; then
      [[ " ${dirs[*]} " == *" ${found%/*} "* ]] || dirs+=("${found%/*}")
    elif ! ldconfig -p 2>/dev/null | awk '{ print $1 }' | grep -qxF "$lib"; then
      die "--bundle: no $lib in the nvidia pip packages of $python (${roots[*]}), in /usr/local/cuda or in the loader's cache"
    fi
  done
  (IFS=:; echo "${dirs[*]}")
}

# bundle_library_path: LD_LIBRARY_PATH for the bundle's binaries: its lib/, the CUDA library
# folders, and lib/cxx (this build machine's libstdc++, which needs a newer glibc) only where the
# machine's own libstdc++ is too old. Dies with the loader's words, for both, when neither loads.
bundle_library_path() {
  local cuda path bad why=() tail="${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  cuda="$(bundle_cuda_dirs)" || exit 2
  for path in "$bundle/lib${cuda:+:$cuda}" "$bundle/lib:$bundle/lib/cxx${cuda:+:$cuda}"; do
    bad="$(bundle_unloadable "$path$tail")"
    [ -n "$bad" ] || { echo "$path$tail"; return; }
    why+=("$bad")
  done
  die "--bundle: its binaries do not load here: ${why[0]}; with lib/cxx: ${why[1]}"
}

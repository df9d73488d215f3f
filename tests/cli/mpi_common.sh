# Shared by the data-parallel tests: $3 is LOCKSTEP_MPI (ON/OFF). Open MPI refuses root and
# more ranks than cores unless told; these are the switches the README gives for a small
# machine, and ranks are not bound to cores (a 2-core machine runs up to 4 ranks here).
source "$(dirname "$0")/common.sh"
require_mnist
[[ ${3:-OFF} == ON ]] || { echo "SKIP: lockstep was built without MPI (LOCKSTEP_MPI=OFF: libopenmpi-dev not found)"; exit 77; }
command -v mpirun > /dev/null || { echo "SKIP: no mpirun (install openmpi-bin: ./setup.sh does)"; exit 77; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1 OMPI_MCA_hwloc_base_binding_policy=none
run_np() {  # run_np N OUTFILE lockstep-args...: mpirun -np N lockstep ARGS > OUTFILE 2>&1
  local n=$1 out=$2
  shift 2
  mpirun -np "$n" "$LOCKSTEP" "$@" > "$out" 2>&1
}
# The epoch result lines without their timings; Open MPI gives rank 0 a terminal, so the
# progress bar's carriage returns and erase-line codes are taken out first.
epoch_lines() {
  tr '\r' '\n' < "$1" | sed -E 's/\x1b\[K//g' | grep -E '^epoch [0-9]+/[0-9]+.*accuracy' |
    sed -E 's/, [0-9.]+ s, [0-9]+ samples\/s$//'
}

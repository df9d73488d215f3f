#!/usr/bin/env bash
# Data-parallel training speed: 1 process x T threads against N processes x T/N threads,
# deterministic and fast, on the same data and recipe. For each configuration: training
# samples/s of the second epoch (the first warms caches and allocators) and the seconds
# rank 0 spent in the exchange of partials in that epoch (the collectives, packing and
# combining, and any wait for a slower rank). Median of --repeats runs. Run it on an idle
# machine: MPI ranks spin while they wait, so any other load shows up as exchange time.
#   bench/data_parallel.sh [--lockstep build/lockstep] [--data data/mnist] [--threads 2]
#                          [--ranks 2] [--batch-size 32] [--repeats 3]
set -euo pipefail
LOCKSTEP=build/lockstep DATA=data/mnist THREADS=2 RANKS=2 BATCH=32 REPEATS=3
while (($#)); do
  case $1 in
    --lockstep) LOCKSTEP=$2 ;; --data) DATA=$2 ;; --threads) THREADS=$2 ;; --ranks) RANKS=$2 ;;
    --batch-size) BATCH=$2 ;; --repeats) REPEATS=$2 ;;
    -h | --help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "bench/data_parallel.sh: unknown argument $1 (see --help)" >&2; exit 1 ;;
  esac
  shift 2
done
command -v mpirun > /dev/null || { echo "bench/data_parallel.sh: no mpirun (./setup.sh installs openmpi-bin)" >&2; exit 1; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1 OMPI_MCA_hwloc_base_binding_policy=none
out=$(mktemp)
trap 'rm -f "$out"' EXIT

median() { sort -g | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'; }
# run MODE NP THREADS -> "samples/s exchange_s fingerprint" of epoch 2
run() {
  local launcher=()
  (($2 > 1)) && launcher=(mpirun -np "$2")
  "${launcher[@]}" "$LOCKSTEP" train --data "$DATA" --epochs 2 --batch-size "$BATCH" --mode "$1" --threads "$3" \
    --checkpoint-dir "" > "$out" 2>&1
  local clean
  clean=$(tr '\r' '\n' < "$out" | sed -E 's/\x1b\[K//g')
  local sps ex fp
  sps=$(grep -E '^epoch 2/2: train loss' <<< "$clean" | sed -E 's/.* ([0-9]+) samples\/s$/\1/')
  ex=$(grep -E '^epoch 2/2: [0-9]+ processes' <<< "$clean" | sed -E 's/.*spent ([0-9.]+) s of.*/\1/' || true)
  fp=$(grep -oE 'sha256:[0-9a-f]{12}' <<< "$clean" | tail -n 1)
  echo "$sps ${ex:-0} $fp"
}

printf '| mode | processes x threads | samples/s (median of %s) | exchange s/epoch | fingerprint |\n' "$REPEATS"
printf '|---|---|---|---|---|\n'
for mode in deterministic fast; do
  for config in "1 $THREADS" "$RANKS $((THREADS / RANKS > 0 ? THREADS / RANKS : 1))"; do
    read -r np t <<< "$config"
    sps=() ex=() fp=""
    for _ in $(seq "$REPEATS"); do
      read -r s e fp < <(run "$mode" "$np" "$t")
      sps+=("$s") ex+=("$e")
    done
    printf '| %s | %s x %s | %s | %s | %s |\n' "$mode" "$np" "$t" "$(printf '%s\n' "${sps[@]}" | median)" \
      "$(printf '%s\n' "${ex[@]}" | median)" "$fp"
  done
done

#!/usr/bin/env bash
# Runs repro's grid on a Slurm cluster, in two jobs:
#
#   1. an array job of N tasks: task I runs `repro run --shard I/N`, its part
#      of the grid points, and uploads the results to a shared store;
#   2. a job that starts once every task has succeeded (afterok) and runs
#      `repro run`: it pulls every grid point from the shared store (it
#      trains none), computes what follows them and writes the lock
#      (repro.lock, or repro.<profile>.lock) and artifacts/report.html.
#
# Run it on a login node, after `make build`, from a checkout on a file
# system that every node mounts (both jobs run in the checkout):
#
#     deploy/slurm/submit.sh [--shards N] [--cpus C] [--profile P] [--store URL] [--parsable] [-- SBATCH_OPTION...]
#
#   --shards N    array tasks, one shard each (default 8)
#   --cpus C      CPUs per task, used as `repro run -j C` (default 4)
#   --profile P   parameter profile (default: $REPRO_PROFILE, else default)
#   --store URL   the shared store (default: $REPRO_STORE_REMOTE, else
#                 file://<checkout>/artifacts/shared); any store.remote URL
#   --parsable    print only the two job ids, "GRID ASSEMBLE"
#   after --, options for both sbatch calls (--partition, --account, --time, ...)
#
# Each task keeps its own local store, artifacts/shards/I. The logs are
# artifacts/slurm/grid-<job>_<I>.out and artifacts/slurm/assemble-<job>.out.
# A failed task cancels the assembling job (--kill-on-invalid-dep); submit
# again: what finished is pulled, not recomputed. Both jobs get the
# submitting shell's environment (--export=ALL): the store's credentials
# (AWS_*, GOOGLE_APPLICATION_CREDENTIALS, AZURE_STORAGE_*) and the REPRO_
# settings, among them the signing key (docs/security.md): with
# REPRO_SIGNING_KEY_FILE pointing at a key from `bin/repro keygen` (mode
# 0600, on the shared file system) every job signs what it uploads, and with
# its public key in store.trusted_keys it accepts only what that key signed.
# Every node runs the same bin/repro (the toolchain is part of every key).
# `make slurmtest` runs this script on a one-node Slurm.
set -euo pipefail

usage() {
	sed -n 's/^#     //p' "$0" >&2
	exit 2
}
shards=8 cpus=4 profile=${REPRO_PROFILE:-default} store=${REPRO_STORE_REMOTE:-} parsable=
while [ $# -gt 0 ]; do
	case $1 in
	--shards) shards=${2:?--shards N}; shift 2 ;;
	--cpus) cpus=${2:?--cpus C}; shift 2 ;;
	--profile) profile=${2:?--profile P}; shift 2 ;;
	--store) store=${2:?--store URL}; shift 2 ;;
	--parsable) parsable=1; shift ;;
	--) shift; break ;;
	*) usage ;;
	esac
done
[[ $shards =~ ^[1-9][0-9]*$ && $cpus =~ ^[1-9][0-9]*$ && $profile =~ ^[A-Za-z0-9_.-]+$ ]] || usage

root=$(cd "$(dirname "$0")/../.." && pwd)
if [ ! -x "$root/bin/repro" ]; then
	echo "$0: no $root/bin/repro: run make build first" >&2
	exit 2
fi
export REPRO_STORE_REMOTE=${store:-file://$root/artifacts/shared}
logs=$root/artifacts/slurm
mkdir -p "$logs"
both=(--parsable --chdir="$root" --export=ALL --cpus-per-task="$cpus" "$@")

# Task I: part I of N of the grid points (and the data stages they need),
# with its own local store; --remote-required: a task that cannot reach the
# shared store fails instead of keeping its results to itself.
grid=$(sbatch "${both[@]}" --job-name=repro-grid --array="0-$((shards - 1))" \
	--output="$logs/grid-%A_%a.out" \
	--wrap="exec bin/repro run --profile $profile -j $cpus --remote-required --store artifacts/shards/\$SLURM_ARRAY_TASK_ID --shard \$SLURM_ARRAY_TASK_ID/$shards")
grid=${grid%%;*} # --parsable prints "id" or "id;cluster"

# After every task: the rest of the DAG, the lock and the report (-v: its
# log names each stage pulled from the shared store, not only those run).
assemble=$(sbatch "${both[@]}" --job-name=repro-assemble \
	--dependency="afterok:$grid" --kill-on-invalid-dep=yes \
	--output="$logs/assemble-%j.out" \
	--wrap="exec bin/repro run --profile $profile -j $cpus --remote-required -v")
assemble=${assemble%%;*}

if [ -n "$parsable" ]; then
	echo "$grid $assemble"
else
	echo "submitted array job $grid (tasks 0-$((shards - 1)): repro run --shard I/$shards) and job $assemble (assembles after them)"
	echo "shared store: $REPRO_STORE_REMOTE; logs: $logs; follow with: squeue -j $grid,$assemble"
fi

#!/usr/bin/env bash
# `make slurmtest`: deploy/slurm/submit.sh on a real, one-node Slurm cluster
# on loopback, compared with a single process.
#
# It installs Debian's slurm-wlm and munge if they are missing (as root with
# apt-get; otherwise it skips with one line), then, under one temporary
# directory: makes a munge key, writes a slurm.conf for one node on
# 127.0.0.1 (the node named after this host, which need not resolve) and
# starts munged, slurmctld and slurmd; copies the project twice with the
# same bin/repro; runs the profile in one process in the first copy and
# submit.sh in the second (SHARDS array tasks of -j CPUS on a file:// store
# inside the copy, then the assembling job; signed results: a key from
# bin/repro keygen in REPRO_SIGNING_KEY_FILE, its public key in
# store.trusted_keys), and checks that
#
#   * every array task ran its own shard, and the shards took every grid
#     point once (the "repro: shard I/N: ..." line of each task's log);
#   * the assembling job pulled the grid and ran none of the stages the
#     tasks ran (grid points and the data stages they need);
#   * every run entry in the shared store is signed by the key, and no job
#     warned about the remote store;
#   * the assembled lock is byte-identical to the single process's, and so
#     are the stored report and the exported one outside its run-provenance
#     section (timings) and the exported tables.
#
# It stops the jobs and every daemon it started (by pid) and removes the
# temporary directory, also on failure or interruption.
#
# Settings: SLURMTEST_PROFILE (quick), SLURMTEST_SHARDS (2), SLURMTEST_CPUS
# (1, per task; the single process runs -j SHARDS*CPUS), SLURMTEST_TIMEOUT
# (seconds for the jobs, 900), SLURMTEST_KEEP=1 keeps the temporary
# directory (the daemons are stopped all the same).
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
profile=${SLURMTEST_PROFILE:-quick}
shards=${SLURMTEST_SHARDS:-2}
cpus=${SLURMTEST_CPUS:-1}
timeout=${SLURMTEST_TIMEOUT:-900}

say() { echo "slurmtest: $*"; }
skip() {
	say "SKIPPED: $*"
	exit 0
}
fail() {
	say "FAIL: $*"
	exit 1
}
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

[ -x "$root/bin/repro" ] || fail "no $root/bin/repro (make slurmtest builds it)"

# Slurm and munge, from Debian if missing. --no-install-recommends keeps it
# to slurmctld, slurmd, the client commands and their plugins. On a machine
# with systemd, the packages may start Debian's own munge service; this
# test uses a munged of its own either way.
tools=(munged munge unmunge slurmctld slurmd sbatch squeue sinfo scontrol scancel)
missing() {
	local t
	for t in "${tools[@]}"; do
		command -v "$t" >/dev/null 2>&1 || return 0
	done
	return 1
}
if missing; then
	if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
		skip "Slurm is not installed, and installing slurm-wlm and munge needs root and apt-get"
	fi
	t0=$(now)
	say "installing slurm-wlm and munge (Debian packages)"
	{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends slurm-wlm munge; } >/dev/null 2>&1 ||
		skip "apt-get install slurm-wlm munge failed"
	missing && skip "slurm-wlm and munge are installed but ${tools[*]} are not all on PATH"
	say "installed in $(since "$t0") s"
fi
[ "$(id -u)" = 0 ] || skip "the Slurm daemons of this test run as root"

# Nothing from an enclosing Slurm job or the caller's sbatch defaults.
for v in $(compgen -v | grep -E '^(SLURM|SBATCH|SALLOC|SRUN)_' || true); do
	unset "$v"
done

t_all=$(now)
# munged insists that everyone can traverse the directories down to its
# socket, hence 755 (the key itself stays 600).
tmp=$(mktemp -d "${TMPDIR:-/tmp}/repro-slurmtest.XXXXXX")
chmod 755 "$tmp"
pids=() # munged, slurmctld, slurmd, in start order

stop() {
	local pid i
	# This cluster's jobs first (their processes hang off slurmd, not off
	# this shell), then the daemons.
	if [ ${#pids[@]} -ge 2 ]; then
		scancel --user="$(id -un)" >/dev/null 2>&1 || true
		for i in $(seq 60); do
			[ -z "$(squeue -h -t PENDING,CONFIGURING,RUNNING,COMPLETING,SUSPENDED 2>/dev/null)" ] && break
			sleep 0.5
		done
	fi
	# A job's slurmstepd lingers a moment after the job ends; its socket
	# in the spool directory goes when it does.
	for _ in $(seq 50); do
		compgen -G "$tmp/spool/${host:-?}_*" >/dev/null || break
		sleep 0.2
	done
	for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
		pid=${pids[i]}
		kill -TERM "$pid" 2>/dev/null || continue
		for _ in $(seq 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.2
		done
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
}
cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	if [ $rc -ne 0 ] && [ -d "$tmp/log" ]; then
		say "logs ($tmp/log):"
		for f in "$tmp"/log/*; do
			[ -f "$f" ] || continue
			echo "----- $(basename "$f") (last 40 lines)"
			tail -n 40 "$f"
		done
		for f in "$tmp"/cluster/artifacts/slurm/*.out; do
			[ -f "$f" ] || continue
			echo "----- job log $(basename "$f") (last 20 lines)"
			tail -n 20 "$f"
		done
	fi
	stop
	if [ -n "${SLURMTEST_KEEP:-}" ]; then
		say "kept $tmp"
	else
		rm -rf "$tmp"
	fi
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mkdir -p "$tmp"/{etc,munge,log,run,state,spool}
chmod 755 "$tmp"/munge

# Two free ports for slurmctld and slurmd (nothing answers on them).
used() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
port() {
	local p
	for _ in $(seq 100); do
		p=$((20000 + RANDOM % 20000))
		if ! used "$p" && [ "$p" != "${1:-}" ]; then
			echo "$p"
			return
		fi
	done
	fail "no free port"
}
ctld_port=$(port)
slurmd_port=$(port "$ctld_port")

# The node is this host's short name (slurmctld checks it against
# SlurmctldHost); every address is given as 127.0.0.1, so the name never
# has to resolve.
host=$(uname -n)
host=${host%%.*}
[ -n "$host" ] || fail "no host name"

# munge: a key of our own, a socket in the temporary directory.
sock=$tmp/munge/munge.socket
if command -v mungekey >/dev/null 2>&1; then
	mungekey --create --keyfile="$tmp/munge/munge.key"
else
	dd if=/dev/urandom of="$tmp/munge/munge.key" bs=1024 count=1 status=none
fi
chmod 600 "$tmp/munge/munge.key"
munged --foreground --socket="$sock" --key-file="$tmp/munge/munge.key" \
	--pid-file="$tmp/run/munged.pid" --seed-file="$tmp/munge/munged.seed" \
	--log-file="$tmp/log/munged.log" --origin=127.0.0.1 >>"$tmp/log/munged.log" 2>&1 &
pids+=($!)
for i in $(seq 100); do
	munge -n -S "$sock" 2>/dev/null | unmunge -S "$sock" >/dev/null 2>&1 && break
	[ "$i" = 100 ] && fail "munged did not answer on $sock"
	sleep 0.2
done

# One node with this machine's cores, no accounting, no cgroups.
cores=$(nproc --all 2>/dev/null || nproc)
export SLURM_CONF=$tmp/etc/slurm.conf
cat >"$SLURM_CONF" <<EOF
ClusterName=reprotest
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$sock
StateSaveLocation=$tmp/state
SlurmdSpoolDir=$tmp/spool
SlurmctldPidFile=$tmp/run/slurmctld.pid
SlurmdPidFile=$tmp/run/slurmd.pid
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=none
MailProg=/bin/true
ReturnToService=2
MinJobAge=3600
NodeName=$host NodeAddr=127.0.0.1 NodeHostname=$host CPUs=$cores State=UNKNOWN
PartitionName=test Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
# In the foreground (-D), without a log file, they log to stderr.
slurmctld -D -i >"$tmp/log/slurmctld.log" 2>&1 &
pids+=($!)
slurmd -D -N "$host" >"$tmp/log/slurmd.log" 2>&1 &
pids+=($!)
for i in $(seq 120); do
	state=$(sinfo -h -N -n "$host" -o %T 2>/dev/null || true)
	[ "$state" = idle ] && break
	[ "$i" = 120 ] && fail "node $host not idle after 60 s (sinfo: ${state:-no answer})"
	sleep 0.5
done
say "Slurm $(sinfo -V | cut -d' ' -f2): node $host ($cores CPUs) idle on 127.0.0.1:$ctld_port/$slurmd_port in $(since "$t_all") s"

# Two copies of the project (what git tracks or would track, as on disk),
# with the same binary and, if present, the same KaTeX.
copy() {
	mkdir -p "$1"
	if git -C "$root" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		git -C "$root" ls-files -z --cached --others --exclude-standard |
			tar -C "$root" --null -T - --ignore-failed-read -cf - 2>/dev/null | tar -C "$1" -xf -
	else
		tar -C "$root" --exclude=./artifacts --exclude=./bin --exclude=./node_modules -cf - . | tar -C "$1" -xf -
	fi
	mkdir -p "$1/bin" "$1/artifacts"
	cp "$root/bin/repro" "$1/bin/repro"
	if [ -d "$root/node_modules" ]; then cp -a "$root/node_modules" "$1/"; fi
}
copy "$tmp/single"
copy "$tmp/cluster"
lock=repro.$profile.lock
[ "$profile" = default ] && lock=repro.lock

t0=$(now)
(cd "$tmp/single" && bin/repro run --profile "$profile" -j $((shards * cpus))) >"$tmp/log/single.out" 2>&1 ||
	fail "the single-process run failed (see single.out)"
t_single=$(since "$t0")
say "single process, -j $((shards * cpus)): $t_single s, of which repro $(sed -n 's/^repro: .* in \([0-9.]*\)s$/\1/p' "$tmp/log/single.out") s"

# Signed results (docs/security.md), as on a real cluster: one key pair;
# every job signs what it uploads (REPRO_SIGNING_KEY_FILE) and accepts only
# what that key signed (store.trusted_keys). submit.sh hands the
# environment to the jobs (sbatch --export=ALL).
pub=$("$tmp/cluster/bin/repro" keygen "$tmp/signing.key" 2>"$tmp/log/keygen.out") ||
	fail "bin/repro keygen failed (see keygen.out)"
export REPRO_SIGNING_KEY_FILE=$tmp/signing.key REPRO_STORE_TRUSTED_KEYS="[$pub]"

# The cluster run: the script the README shows.
t0=$(now)
read -r grid assemble < <(cd "$tmp/cluster" && deploy/slurm/submit.sh --shards "$shards" --cpus "$cpus" --profile "$profile" --parsable)
[ -n "${grid:-}" ] && [ -n "${assemble:-}" ] || fail "submit.sh printed no job ids"
say "submitted array job $grid ($shards tasks, -j $cpus each) and job $assemble (afterok:$grid)"

# Wait for both jobs to leave the queue; the controller keeps finished
# jobs for an hour (MinJobAge), so their final states can be read.
end=$(($(date +%s) + timeout))
while :; do
	active=$(squeue -h --jobs="$grid,$assemble" -t PENDING,CONFIGURING,RUNNING,COMPLETING,SUSPENDED -o %i) ||
		fail "squeue failed while waiting for the jobs"
	[ -n "$active" ] || break
	[ "$(date +%s)" -lt "$end" ] || fail "the jobs did not finish in $timeout s: $(squeue -h --jobs="$grid,$assemble" -o '%i %T %r' | tr '\n' ';')"
	sleep 0.5
done
t_cluster=$(since "$t0")
states=$(squeue -h -t all --jobs="$grid,$assemble" -o '%i %T')
echo "$states" | grep -qv ' COMPLETED$' && fail "not every job completed: $(echo "$states" | tr '\n' ';')"
logs=$tmp/cluster/artifacts/slurm

# What Slurm adds, for the record: a job's log is created when it starts
# and last written when it ends (birth and change times, where the file
# system keeps them), against repro's own time for its run ("in N s").
timing() {
	local b m own
	b=$(stat -c %.9W "$1") m=$(stat -c %.9Y "$1")
	own=$(sed -n 's/^repro: .* in \([0-9.]*\)s$/\1/p' "$1")
	awk -v t0="$t0" -v b="$b" -v m="$m" -v own="${own:-0}" 'BEGIN {
		if (b + 0 == 0) { printf "repro %.1f s", own; exit }
		printf "ran from %.1f to %.1f s after submission: %.1f s, of which repro %.1f s", b - t0, m - t0, m - b, own
	}'
}

# Every task ran its shard, and together they took every grid point once.
total=0 sum=0
for ((i = 0; i < shards; i++)); do
	f=$logs/grid-${grid}_$i.out
	[ -f "$f" ] || fail "no log of array task $i ($f)"
	line=$(grep "^repro: shard $i/$shards: " "$f") || fail "array task $i did not run shard $i/$shards (no shard line in $f)"
	read -r mine ran others < <(echo "$line" | sed -n 's/.*: \([0-9]*\) grid points (\([0-9]*\) ran, [0-9]* cached), \([0-9]*\) left.*/\1 \2 \3/p')
	[ -n "${mine:-}" ] || fail "cannot read the shard line of task $i: $line"
	[ "$mine" -gt 0 ] && [ "$ran" = "$mine" ] || fail "task $i: $mine grid points, $ran of them ran: want >0, all trained"
	total=$((mine + others)) sum=$((sum + mine))
	say "task $i: $mine of $total grid points; $(timing "$f")"
done
[ "$sum" = "$total" ] || fail "the tasks took $sum grid points, the grid has $total"

# The assembling job trained nothing a task trained, and pulled the grid.
alog=$logs/assemble-$assemble.out
[ -f "$alog" ] || fail "no log of the assembling job ($alog)"
ranin() { sed -n 's/^\[[^]]*\] ran  *\([^ ]*\) (.*/\1/p' "$@" | sort -u; }
both=$(comm -12 <(ranin "$alog") <(ranin "$logs"/grid-"${grid}"_*.out))
[ -z "$both" ] || fail "the assembling job ran stages the array tasks had run: $(echo "$both" | head -5 | tr '\n' ' ')"
pulled=$(grep -c '^\[[^]]*\] pulled ' "$alog" || true)
[ "$pulled" -ge "$total" ] || fail "the assembling job pulled $pulled stages, fewer than the $total grid points"
say "assembling job: pulled $pulled stages, ran $(ranin "$alog" | wc -l) (none a task ran); $(timing "$alog")"

# Signed, and nothing refused: every run entry in the shared store carries
# the key's signature, and no job warned about the remote store.
shared=$tmp/cluster/artifacts/shared
keyid=$(echo "$pub" | cut -d: -f2)
entries=$(find "$shared/runs" -type f | wc -l)
signed=$(grep -rl "^ed25519-v1 $keyid " "$shared/runs" | wc -l)
[ "$entries" -ge "$total" ] && [ "$signed" = "$entries" ] ||
	fail "$signed of the $entries run entries in the shared store are signed by key $keyid (the grid has $total points)"
if grep -h "warning: .*remote store" "$logs"/*.out; then
	fail "a job warned about the remote store (above)"
fi
say "signed: all $entries run entries in the shared store, by key $keyid; no job warned about the remote store"

# The same lock, report and tables as the single process.
cmp "$tmp/single/$lock" "$tmp/cluster/$lock" || fail "$lock differs from the single process's"
h=$(sed -n '/^    "report": {/,/^    }/s/.*"report.html": "\([0-9a-f]*\)".*/\1/p' "$tmp/cluster/$lock")
[ -n "$h" ] || fail "no report.html in $lock"
obj=artifacts/objects/${h:0:2}/$h
cmp "$tmp/single/$obj" "$tmp/cluster/$obj" || fail "the stored reports differ"
strip() { perl -0777 -pe 's/<section id="run-provenance".*?<\/section>//s' "$1"; }
cmp <(strip "$tmp/single/artifacts/report.html") <(strip "$tmp/cluster/artifacts/report.html") ||
	fail "the exported reports differ beyond the run-provenance section"
diff -r "$tmp/single/artifacts/report" "$tmp/cluster/artifacts/report" >/dev/null ||
	fail "the exported tables (artifacts/report/) differ"
say "ok: $lock, the stored report ($h) and the exported report and tables are identical to the single process's"
say "cluster run (submit to the assembling job's end): $t_cluster s; single process: $t_single s; whole test $(since "$t_all") s"

#!/bin/sh
# slurm_local.sh: a one-node Slurm cluster on this machine for the cluster
# tests, every file under DIR, nothing in /etc, loopback only:
#
#   tests/slurm_local.sh up DIR     munged, slurmctld, slurmd; waits until
#                                   the node is idle; prints the
#                                   SLURM_CONF to export
#   tests/slurm_local.sh down DIR   stops what `up` started (by the pids it
#                                   recorded) and fails if any is left
#
# Needs root (slurmd runs jobs as their user) and Debian's slurm-wlm and
# munge. Choices that make it work without systemd or cgroups:
# proctrack/linuxproc and task/none (no cgroup setup), MailProg=/bin/true
# (there is no mail program), the node line that `slurmd -C` prints (or
# slurmd complains that the sockets and cores differ), the munge socket
# folder world-searchable (munged refuses it otherwise; DIR's parents must
# be too: the caller's business), free ports picked
# at random so two runs on one machine do not collide.
set -u
cmd=${1:?usage: slurm_local.sh up|down DIR}
D=${2:?usage: slurm_local.sh up|down DIR}
D=$(cd "$D" && pwd) || exit 1
me=slurm_local.sh

alive() { # the pids of these pid files that still run
    for f in "$@"; do
        [ -s "$f" ] || continue
        p=$(cat "$f")
        kill -0 "$p" 2> /dev/null && echo "$p"
    done
}
wait_gone() { # wait_gone TENTHS PIDFILE...: until none runs
    t=$1
    shift
    while [ -n "$(alive "$@")" ] && [ "$t" -gt 0 ]; do
        sleep 0.1
        t=$((t - 1))
    done
}

if [ "$cmd" = down ]; then
    export SLURM_CONF="$D/slurm.conf"
    slurm="$D/run/slurmctld.pid $D/run/slurmd.pid"
    if [ -n "$(alive $slurm)" ]; then
        # Jobs first (their steps would outlive the daemons), then both
        # Slurm daemons at once.
        jobs=$(squeue -h -o %i 2> /dev/null)
        [ -n "$jobs" ] && scancel $jobs 2> /dev/null
        scontrol shutdown > /dev/null 2>&1
        wait_gone 150 $slurm
    fi
    if [ -n "$(alive "$D/run/munged.pid")" ]; then
        munged -s --socket="$D/run/munge.socket" > /dev/null 2>&1
        wait_gone 50 "$D/run/munged.pid"
    fi
    left=$(alive $slurm "$D/run/munged.pid")
    if [ -n "$left" ]; then
        echo "$me: still running after the stop: $left (killed)" >&2
        kill -KILL $left 2> /dev/null
        exit 1
    fi
    exit 0
fi

[ "$cmd" = up ] || { echo "$me: $cmd: up or down" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "$me: needs root" >&2; exit 2; }
for p in munged mungekey slurmctld slurmd sbatch scontrol; do
    command -v "$p" > /dev/null ||
        { echo "$me: $p not found (apt-get install slurm-wlm munge)" >&2; exit 2; }
done
mkdir -p "$D/run" "$D/state" "$D/spool" "$D/log"
chmod 755 "$D" "$D/run"

# Two free TCP ports on the loopback, at random in 20000..59999.
port_free() { ! ss -Htln "sport = :$1" 2> /dev/null | grep -q .; }
pick() {
    while :; do
        p=$((20000 + $(od -An -N2 -tu2 /dev/urandom) % 40000))
        port_free "$p" && port_free $((p + 1)) && { echo "$p"; return; }
    done
}
port=$(pick)
host=$(hostname -s)
node=$(slurmd -C 2> /dev/null | sed -n '1{s/ UpTime=.*//;p;}')
[ -n "$node" ] || { echo "$me: slurmd -C printed no node line" >&2; exit 1; }
cat > "$D/slurm.conf" <<EOF
# A one-node cluster for qarray's cluster tests (tests/slurm_local.sh).
ClusterName=qarraytest
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$D/run/munge.socket
SlurmctldPort=$port
SlurmdPort=$((port + 1))
StateSaveLocation=$D/state
SlurmdSpoolDir=$D/spool
SlurmctldPidFile=$D/run/slurmctld.pid
SlurmdPidFile=$D/run/slurmd.pid
SlurmctldLogFile=$D/log/slurmctld.log
SlurmdLogFile=$D/log/slurmd.log
MailProg=/bin/true
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
ReturnToService=2
SchedulerParameters=batch_sched_delay=0,sched_min_interval=0
MinJobAge=4
$node NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=test Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF="$D/slurm.conf"
[ -f "$D/run/munge.key" ] || mungekey -c -k "$D/run/munge.key" > /dev/null 2>&1 ||
    { echo "$me: mungekey failed" >&2; exit 1; }
munged --socket="$D/run/munge.socket" --key-file="$D/run/munge.key" \
    --log-file="$D/log/munged.log" --pid-file="$D/run/munged.pid" \
    --seed-file="$D/run/munged.seed" ||
    { echo "$me: munged did not start (see $D/log/munged.log)" >&2; exit 1; }
slurmctld -f "$D/slurm.conf" ||
    { echo "$me: slurmctld did not start (see $D/log/slurmctld.log)" >&2; exit 1; }
slurmd -f "$D/slurm.conf" ||
    { echo "$me: slurmd did not start (see $D/log/slurmd.log)" >&2; exit 1; }
n=0
until [ "$(sinfo -h -n "$host" -o %t 2> /dev/null)" = idle ]; do
    n=$((n + 1))
    if [ $n -gt 300 ]; then
        echo "$me: the node is not idle after 30 s: $(sinfo -h -o '%t %E' 2> /dev/null)" >&2
        exit 1
    fi
    sleep 0.1
done
echo "$D/slurm.conf"

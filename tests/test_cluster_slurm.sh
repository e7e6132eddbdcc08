#!/bin/sh
# Slurm runs a sharded study for real: a one-node cluster on this machine
# (tests/slurm_local.sh: munged, slurmctld, slurmd on the loopback, started
# here and stopped here, none left running), the 32-point cluster study
# submitted with sim/study/sweep_slurm.sh as a job array of 4 shards and a
# merge job; the merged result equals the one-shot run row for row. Then a
# task killed in the middle of its points (scancel --signal=KILL): the
# merge job never runs, the same submission again finishes, the killed
# shard reuses the points its database had committed, and the result equals
# the one-shot run. Bad arguments to the script are refused before anything
# is submitted. Needs root (slurmd); run from the repository root.
set -u
T=$(mktemp -d "${TMPDIR:-/tmp}/qa_cluster_slurm.XXXXXX") || exit 1
up=0
cleanup() {
    if [ $up -eq 1 ]; then
        sh tests/slurm_local.sh down "$T/slurm" ||
            echo "FAIL: the Slurm daemons did not all stop"
    fi
    rm -rf "$T"
}
trap cleanup EXIT
. tests/cluster_lib.sh
SW=sim/study/sweep_slurm.sh

# Bad arguments: one line on stderr, exit 2, nothing submitted.
expect() { # expect MESSAGE ARGS...
    want=$1
    shift
    sh $SW "$@" > "$T/out" 2> "$T/err"
    rc=$?
    [ $rc -eq 2 ] || fail "sweep_slurm.sh $*: exit $rc, want 2"
    [ "$(cat "$T/err")" = "$want" ] || fail "sweep_slurm.sh $*: '$(cat "$T/err")', want '$want'"
}
expect "sweep_slurm.sh: -n: the number of shards is required" -s $S
expect "sweep_slurm.sh: -s: the study file is required" -n 4
expect "sweep_slurm.sh: -n: '0' is not a positive whole number" -s $S -n 0
expect "sweep_slurm.sh: -n: 'four' is not a positive whole number" -s $S -n four
expect "sweep_slurm.sh: -c: '-1' is not a positive whole number" -s $S -n 4 -c -1
expect "sweep_slurm.sh: -s: nope.cfg: no such file" -s nope.cfg -n 4
expect "sweep_slurm.sh: -x: unknown option (-h lists them)" -s $S -n 4 -x
expect "sweep_slurm.sh: -n: 33 shards of a study of 32 points: at most one shard per point" \
    -s $S -n 33 -q "$Q"
sh $SW -s tests/bad/study_bw.cfg -n 2 -q "$Q" > /dev/null 2> "$T/err" && fail "a bad study was submitted"
head -n 1 "$T/err" | grep -q '^qarray: tests/bad/study_bw.cfg:2: dram_gbps: ' ||
    fail "bad study: '$(cat "$T/err")'"

[ "$(id -u)" -eq 0 ] || { echo "FAIL: needs root to start slurmd"; exit 1; }
# munged wants every folder above its socket searchable by all.
chmod 755 "$T"
mkdir -p "$T/slurm"
conf=$(sh tests/slurm_local.sh up "$T/slurm")
rc=$?
up=1
[ $rc -eq 0 ] || { echo "FAIL: the local Slurm cluster did not start"; exit 1; }
export SLURM_CONF="$conf"
expect "sweep_slurm.sh: -q: ./nope: not an executable (build it with make)" -s $S -n 4 -q ./nope
[ -z "$(squeue -h)" ] || fail "jobs queued by the bad submissions: $(squeue -h)"
reference

# The whole study: 4 tasks of one CPU each, then the merge; -w waits.
sh $SW -s $S -n $N -c 1 -t 00:10:00 -o "$T/s" -q "$Q" -l "$T/logs" -w > "$T/s.out" 2>&1 ||
    fail "sweep_slurm.sh -w: exit $?: $(cat "$T/s.out") $(cat "$T"/logs/* 2> /dev/null)"
grep -q "^array job [0-9]* ($N tasks), merge job [0-9]*; logs in $T/logs\$" "$T/s.out" ||
    fail "sweep_slurm.sh output: $(cat "$T/s.out")"
same "$T/s" "Slurm, 4 shards"

# A task killed mid-run, the job resubmitted. The kill must land between
# the shard's first and last point; if it misses, try again (at most 3).
tries=0
killed=0
while [ $killed -eq 0 ] && [ $tries -lt 3 ]; do
    tries=$((tries + 1))
    rm -rf "$T/k" "$T/klogs"
    sh $SW -s $S -n $N -c 1 -o "$T/k" -q "$Q" -l "$T/klogs" > "$T/k1.out" 2>&1 ||
        { fail "sweep_slurm.sh: $(cat "$T/k1.out")"; break; }
    jid=$(sed -n 's/^array job \([0-9]*\) .*/\1/p' "$T/k1.out")
    if mid "$T/k/points.shard-0-of-$N.db"; then
        scancel --full --signal=KILL "${jid}_0" && killed=1
    fi
    # Every job of this submission leaves the queue (the merge job with
    # it: its dependency can no longer be met).
    n=0
    while squeue -h | grep -q . && [ $n -lt 600 ]; do
        sleep 0.1
        n=$((n + 1))
    done
    [ -z "$(squeue -h)" ] || { fail "jobs still queued: $(squeue -h)"; break; }
    if [ $killed -eq 1 ] && [ -e "$T/k/points.db" ]; then
        fail "the merge ran although a task was killed"
    fi
done
[ $killed -eq 1 ] || fail "no task was caught between its first and last point in $tries tries"
committed=$(sqlite3 "$T/k/points.shard-0-of-$N.db" "SELECT count(*) FROM points")
[ "$committed" -lt $PER ] || fail "the killed shard has all its points"
sh $SW -s $S -n $N -c 1 -o "$T/k" -q "$Q" -l "$T/klogs" -w > "$T/k2.out" 2>&1 ||
    fail "resubmission: exit $?: $(cat "$T/k2.out")"
jid2=$(sed -n 's/^array job \([0-9]*\) .*/\1/p' "$T/k2.out")
[ "$(reused "$T/klogs/task-${jid2}_0.out")" = "$committed" ] ||
    fail "the resubmitted shard 0 reused '$(reused "$T/klogs/task-${jid2}_0.out")' points, its database had $committed"
same "$T/k" "Slurm, a task killed and the job resubmitted"

[ $fails -eq 0 ] && echo "test_cluster_slurm.sh: ok (4 shards; task 0 killed after $committed of $PER points, resubmission reused them; $tries tries)"
[ $fails -eq 0 ]

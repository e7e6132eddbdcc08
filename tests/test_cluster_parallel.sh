#!/bin/sh
# GNU parallel runs a sharded study for real: the 32-point cluster study
# (tests/studies/cluster.cfg, SystemC engine) as 4 shards, two at a time,
# each `qarray sweep --shard i/4 --resume` into its own database; `qarray
# merge --shards 4` then equals the one-shot run row for row (points.csv,
# the layer CSVs, the database rows). Then the same with a shard's qarray
# killed (SIGKILL) in the middle of its points: parallel reports the job
# failed, `parallel --resume-failed` runs it again, the shard reuses the
# points its database had committed, and the merge equals the one-shot run.
# Run from the repository root (make test, make test-cluster).
set -u
T=$(mktemp -d "${TMPDIR:-/tmp}/qa_cluster_parallel.XXXXXX") || exit 1
pid=""
trap '[ -n "$pid" ] && kill -KILL -- -$pid 2> /dev/null; rm -rf "$T"' EXIT
. tests/cluster_lib.sh

command -v parallel > /dev/null || { echo "FAIL: GNU parallel not installed (make deps)"; exit 1; }
parallel --version < /dev/null | head -n 1 | grep -q '^GNU parallel' ||
    { echo "FAIL: $(command -v parallel) is not GNU parallel"; exit 1; }
reference

# run DIR [parallel options]: the 4 shards, 2 at a time, logged in DIR.
run() {
    dir=$1
    shift
    parallel --will-cite -j 2 --joblog "$dir.jobs" "$@" \
        "$Q" sweep -s $S -o "$dir" --shard {}/$N -j 1 --resume --no-plot \
        ::: $(seq 0 $((N - 1))) < /dev/null
}

mkdir -p "$T/p"
run "$T/p" > "$T/p.out" 2>&1 || fail "parallel: exit $?: $(cat "$T/p.out")"
"$Q" merge -s $S -o "$T/p" --shards $N --no-plot > "$T/m.out" 2>&1 ||
    fail "merge: $(cat "$T/m.out")"
same "$T/p" "GNU parallel, 4 shards"

# A worker killed mid-run, the failed job run again. The kill must land
# between the shard's first and last point; on a machine so fast or so
# slow that it misses, the run is tried again (at most 3 times).
tries=0
killed=0
while [ $killed -eq 0 ] && [ $tries -lt 3 ]; do
    tries=$((tries + 1))
    rm -rf "$T/k" "$T/k.jobs"
    mkdir -p "$T/k"
    setsid sh -c "$(command -v parallel) --will-cite -j 2 --joblog '$T/k.jobs' \
        '$Q' sweep -s $S -o '$T/k' --shard {}/$N -j 1 --resume --no-plot \
        ::: $(seq 0 $((N - 1))) < /dev/null" > "$T/k1.out" 2>&1 &
    pid=$!
    if mid "$T/k/points.shard-0-of-$N.db"; then
        # The shard's own qarray (its command line names this folder).
        victim=$(ps -eo pid=,comm=,args= | awk -v d="$T/k" -v s="--shard 0/$N" \
            '$2 == "qarray" && index($0, d) && index($0, s) { print $1 }')
        if [ -n "$victim" ]; then
            kill -KILL $victim 2> /dev/null && killed=1
        fi
    fi
    wait $pid
    rc=$?
    pid=""
    if [ $killed -eq 1 ]; then
        [ $rc -ne 0 ] || fail "parallel exited 0 although a job was killed"
        awk 'NR > 1 && $7 != 0' "$T/k.jobs" | grep -q . ||
            fail "the joblog shows no failed job: $(cat "$T/k.jobs")"
    fi
done
[ $killed -eq 1 ] || fail "no shard was caught between its first and last point in $tries tries"
committed=$(sqlite3 "$T/k/points.shard-0-of-$N.db" "SELECT count(*) FROM points")
# The job resubmitted: parallel runs the failed one again.
parallel --will-cite -j 2 --joblog "$T/k.jobs" --resume-failed \
    "$Q" sweep -s $S -o "$T/k" --shard {}/$N -j 1 --resume --no-plot \
    ::: $(seq 0 $((N - 1))) < /dev/null > "$T/k2.out" 2>&1 ||
    fail "parallel --resume-failed: exit $?: $(cat "$T/k2.out")"
[ "$(reused "$T/k2.out")" = "$committed" ] ||
    fail "the rerun of shard 0 reused '$(reused "$T/k2.out")' points, its database had $committed: $(cat "$T/k2.out")"
"$Q" merge -s $S -o "$T/k" --shards $N --no-plot > "$T/m.out" 2>&1 ||
    fail "merge after the kill: $(cat "$T/m.out")"
same "$T/k" "GNU parallel, a shard killed and run again"

[ $fails -eq 0 ] && echo "test_cluster_parallel.sh: ok (4 shards; shard 0 killed after $committed of $PER points, rerun reused them; $tries tries)"
[ $fails -eq 0 ]

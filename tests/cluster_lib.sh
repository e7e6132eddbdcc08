# cluster_lib.sh: what the cluster tests (tests/test_cluster_*.sh) share,
# sourced by them: the study, the one-shot reference run, the comparison
# of a merged result with it row for row, and waiting for a shard to be in
# the middle of its points. Sets Q, S, N, T and fails=0.
Q=${QARRAY:-build/qarray}
S=tests/studies/cluster.cfg
N=4                         # shards
PER=8                       # points per shard (32 / 4)
fails=0
fail() {
    echo "FAIL: $*"
    fails=$((fails + 1))
}

# The one-shot run every sharded run must equal.
reference() {
    "$Q" sweep -s $S -o "$T/ref" -j 2 --no-plot > "$T/ref.out" 2>&1 ||
        { echo "FAIL: reference sweep: $(cat "$T/ref.out")"; exit 1; }
}

# dump DB: every row of the points and layers tables, in order, as text.
dump() {
    sqlite3 "$1" "SELECT * FROM points ORDER BY point; SELECT * FROM layers ORDER BY point, idx"
}

# same DIR WHAT: DIR's merged results equal the reference: points.csv and
# the layer CSVs byte for byte, and the database row for row.
same() {
    cmp -s "$T/ref/points.csv" "$1/points.csv" || fail "$2: points.csv differs from the one-shot run"
    diff -r "$T/ref/layers" "$1/layers" > /dev/null 2>&1 || fail "$2: layer CSVs differ from the one-shot run"
    dump "$T/ref/points.db" > "$T/ref.dump"
    dump "$1/points.db" > "$T/got.dump"
    [ -s "$T/ref.dump" ] && cmp -s "$T/ref.dump" "$T/got.dump" ||
        fail "$2: database rows differ from the one-shot run"
}

# mid DB: wait (up to 60 s) until the shard database has some of its
# points but not all; 0 then, 1 if the shard finished (or never started)
# first.
mid() {
    n=0
    while [ $n -lt 3000 ]; do
        rows=$(sqlite3 "$1" "SELECT count(*) FROM points" 2> /dev/null || echo 0)
        [ -n "$rows" ] || rows=0
        [ "$rows" -ge 1 ] && [ "$rows" -lt $PER ] && return 0
        [ "$rows" -ge $PER ] && return 1
        sleep 0.02
        n=$((n + 1))
    done
    return 1
}

# reused FILE: the "already done" count of the sweep summary line in FILE
# for shard 0 (qarray sweep prints "cluster: 8 points (R run, D already
# done) ...").
reused() {
    sed -n "s/^cluster: $PER points ([0-9]* run, \([0-9]*\) already done).*points.shard-0-of-$N.csv\$/\1/p" "$1" | head -n 1
}

#!/bin/sh
# Nothing lost: `qarray sweep` (64 SystemC points on two workers, then the
# table and the plots) is killed with SIGKILL at moments spread over its
# run. After each kill every file under its final name must be
# byte-identical to the same file of an uninterrupted sweep (layer CSVs,
# points.csv, plot data, PNG and SVG; the database is binary and checked
# through what it gives back); then `--resume` must reuse every point the
# database had committed (a killed run loses only the points in flight)
# and finish with every file identical to the uninterrupted sweep, and no
# worker of the killed sweep may still be running. Temporaries
# (NAME.tmp.PID, plots/.tmp.PID/) a killed write leaves are counted, and
# never taken for results.
set -u
Q=./build/qarray
T=$(mktemp -d "${TMPDIR:-/tmp}/qa_kill_sweep.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
fail=0
no() { echo "FAIL: $*"; fail=1; }
cat > "$T/kill.cfg" <<'CFG'
name = "kill";
arch = "arch/tiny.cfg";
engine = "systemc";
workload = "resnet20";
batch = [1, 4, 16, 64];
dram_gbps = ("unlimited", 16);
first_last = (8, "same");
bits = [16, 8, 4, 2];
plot = { batch = 4; first_last = 8; dram_gbps = 16; };
CFG
sweep() { $Q sweep -s "$T/kill.cfg" -j 2 -o "$@"; }

t0=$(date +%s%N)
sweep "$T/ref" > /dev/null 2>&1 || { echo "FAIL: reference sweep"; exit 1; }
ms=$(( ($(date +%s%N) - t0) / 1000000 + 5 ))

# Every result file under its final name equals the reference's (one
# diff; temporaries excluded and counted); with "all", nothing may be
# missing either.
check() {
    dir=$1 what=$2 all=$3
    tmps=$((tmps + $(find "$dir" -name '*.tmp.*' | wc -l)))
    diff -rq --exclude='*.tmp.*' --exclude='points.db*' "$T/ref" "$dir" > "$T/diff"
    grep -v "^Only in $T/ref" "$T/diff" | while read -r line; do
        echo "FAIL: $what: $line"
    done | grep . && fail=1
    if [ "$all" = all ] && grep -q "^Only in $T/ref" "$T/diff"; then
        no "$what: missing $(grep "^Only in $T/ref" "$T/diff" | head -n 3)"
    fi
    return 0
}

kills=4
tmps=0
committed=""
i=1
while [ $i -le $kills ]; do
    at=$((ms * i / (kills + 1)))
    rm -rf "$T/k"
    # setsid: qarray leads its own process group. $! is qarray itself.
    setsid $Q sweep -s "$T/kill.cfg" -j 2 -o "$T/k" > /dev/null 2>&1 &
    pid=$!
    sleep "$(awk "BEGIN { print $at / 1000 }")"
    workers=$(ps -o pid=,comm= --ppid $pid 2> /dev/null | awk '$2 == "qarray" { print $1 }')
    # Odd kills take the whole group (a batch system stopping the job:
    # workers, simulations and gnuplot die mid-write too), even kills the
    # sweep process alone (its workers must then die with it).
    if [ $((i % 2)) -eq 1 ]; then
        kill -KILL -- -$pid 2> /dev/null
    else
        kill -KILL $pid 2> /dev/null
    fi
    wait $pid 2> /dev/null
    # Regression: workers outlived a killed sweep, ran points on and
    # raced the resume. They must die with it. (gnuplot, drawing one
    # figure into the sweep's temporary folder, is left to finish it.)
    sleep 0.05
    for w in $workers; do
        state=$(ps -o stat= -p "$w" 2> /dev/null | tr -d ' ')
        case "$state" in
        "" | Z*) ;;
        *) no "kill at $at ms: worker $w still running (state $state)"
           kill -KILL "$w" 2> /dev/null ;;
        esac
    done
    [ -d "$T/k" ] && check "$T/k" "kill at $at ms" some
    rows=0
    [ -f "$T/k/points.db" ] &&
        rows=$(sqlite3 "$T/k/points.db" "SELECT count(*) FROM points" 2> /dev/null)
    sweep "$T/k" --resume > "$T/out" 2>&1 || no "resume after kill at $at ms failed"
    grep -q "^kill: 64 points ($((64 - rows)) run, $rows already done)" "$T/out" ||
        no "resume after kill at $at ms: $rows rows committed, but: $(head -n 1 "$T/out")"
    committed="$committed $rows"
    grep -q "did not validate" "$T/out" && no "resume after kill at $at ms: a committed row did not validate"
    check "$T/k" "resume after kill at $at ms" all
    i=$((i + 1))
done

# Regression, deterministic: killed while gnuplot draws. gnuplot opens its
# figure at `set output` and fills it at `unset output`, so a figure drawn
# in place was left empty or half-written under its final name.
for delay in 0.03; do
    rm -rf "$T/g"
    setsid $Q sweep -s "$T/kill.cfg" -j 2 -o "$T/g" > /dev/null 2>&1 &
    pid=$!
    n=0
    while ! ps -o comm= --ppid $pid 2> /dev/null | grep -q gnuplot &&
          [ $n -lt 500 ]; do
        sleep 0.005
        n=$((n + 1))
    done
    sleep $delay
    kill -KILL -- -$pid 2> /dev/null
    wait $pid 2> /dev/null
    check "$T/g" "kill while plotting (+${delay} s)" some
done

# Regression, deterministic: two long SystemC points on two workers; the
# sweep is killed while they run. Its workers used to run their points to
# the end as orphans (minutes on a real study); they must die with it.
cat > "$T/long.cfg" <<'CFG'
name = "long";
arch = "arch/pact2018.cfg";
engine = "systemc";
workload = "resnet50";
batch = 1024;
bits = [16, 4];
CFG
setsid $Q sweep -s "$T/long.cfg" -j 2 -o "$T/long" --no-plot > /dev/null 2>&1 &
pid=$!
workers=""
n=0
while [ "$(echo $workers | wc -w)" -lt 2 ] && [ $n -lt 300 ]; do
    workers=$(ps -o pid=,comm= --ppid $pid 2> /dev/null | awk '$2 == "qarray" { print $1 }')
    sleep 0.01
    n=$((n + 1))
done
kill -KILL $pid 2> /dev/null
wait $pid 2> /dev/null
[ -n "$workers" ] || no "long sweep: no workers seen"
sleep 0.1
for w in $workers; do
    state=$(ps -o stat= -p "$w" 2> /dev/null | tr -d ' ')
    case "$state" in
    "" | Z*) ;;
    *) no "long sweep: worker $w still running (state $state) after the sweep was killed"
       kill -KILL -- -$pid 2> /dev/null ;;
    esac
done

[ $fail -eq 0 ] && echo "test_kill_sweep.sh: ok ($kills kills over ${ms} ms, points committed at each kill:$committed, all reused; $tmps temporaries left by killed writes)"
exit $fail

#!/bin/sh
# Nothing lost: `qarray run -o DIR` is killed (SIGKILL) at many moments of
# its run, from start-up to the last write. After every kill, each file
# under its final name in DIR must be byte-identical to the same file of an
# uninterrupted run (a killed write may leave only a NAME.tmp.PID file,
# which no reader takes for a result). Running the same command again into
# the same folder must then give exactly the uninterrupted results.
# (`qarray run` has no --resume: a point is one short job, rerun it.)
set -u
Q=./build/qarray
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0
no() { echo "FAIL: $*"; fail=1; }
run() { $Q run -c arch/pact2018.cfg -w resnet50 --bits 4 --batch 16 -o "$1"; }

run "$T/ref" > /dev/null 2>&1 || { echo "FAIL: reference run"; exit 1; }
# The run's length in ms on this machine, to spread the kills over it.
t0=$(date +%s%N)
run "$T/ref2" > /dev/null 2>&1
ms=$(( ($(date +%s%N) - t0) / 1000000 + 5 ))

# Every file under a final name must equal the reference's.
check_complete() {
    [ -d "$1" ] || return 0
    for f in "$1"/*; do
        [ -e "$f" ] || continue
        case "$f" in *.tmp.*) tmps=$((tmps + 1)); continue ;; esac
        b=$(basename "$f")
        if [ ! -f "$T/ref/$b" ]; then
            no "kill at $2 ms: unexpected file $b"
        elif ! cmp -s "$f" "$T/ref/$b"; then
            no "kill at $2 ms: $b is incomplete or differs"
        fi
    done
}

kills=16
tmps=0
i=0
while [ $i -lt $kills ]; do
    at=$((ms * i / kills))
    rm -rf "$T/k"
    # exec: $! must be qarray itself, not a subshell running the function
    (exec $Q run -c arch/pact2018.cfg -w resnet50 --bits 4 --batch 16 \
        -o "$T/k" > /dev/null 2>&1) &
    pid=$!
    sleep "$(awk "BEGIN { print $at / 1000 }")"
    kill -KILL $pid 2> /dev/null
    wait $pid 2> /dev/null
    check_complete "$T/k" $at
    # Rerun into the killed folder (stale temporaries and all).
    run "$T/k" > /dev/null 2>&1 || no "rerun after kill at $at ms failed"
    for b in config.cfg layers.csv summary.csv; do
        cmp -s "$T/k/$b" "$T/ref/$b" || no "rerun after kill at $at ms: $b differs"
    done
    i=$((i + 1))
done

# Regression: the SystemC engine simulates in a forked child; a killed
# qarray left that child running on as an orphan until its simulation
# ended. It must die with its parent.
$Q run -c arch/pact2018.cfg -w resnet50 --bits 4 --batch 1024 -o "$T/orphan" \
    > /dev/null 2>&1 &
pid=$!
child=""
n=0
while [ -z "$child" ] && [ $n -lt 200 ]; do
    child=$(ps -o pid= --ppid $pid 2> /dev/null | head -n 1 | tr -d ' ')
    [ -z "$child" ] && sleep 0.01
    n=$((n + 1))
done
kill -KILL $pid 2> /dev/null
wait $pid 2> /dev/null
if [ -z "$child" ]; then
    no "no simulation child seen"
else
    sleep 0.1
    state=$(ps -o stat= -p "$child" 2> /dev/null | tr -d ' ')
    case "$state" in
    "" | Z*) ;;
    *) no "simulation child $child still running (state $state) after its parent was killed"
       kill -KILL "$child" 2> /dev/null ;;
    esac
fi

[ $fail -eq 0 ] && echo "test_kill_run.sh: ok ($kills kills over ${ms} ms, $tmps temporaries left by killed writes)"
exit $fail

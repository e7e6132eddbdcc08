#!/bin/sh
# sweep_slurm.sh: run a qarray study on a Slurm cluster: a job array of N
# shards (task i runs `qarray sweep --shard i/N --resume`, each into its own
# database OUT/points.shard-i-of-N.db), then a merge job that starts when
# every task succeeded (`qarray merge --shards N`: OUT/points.db,
# OUT/points.csv, the layer CSVs, the comparison and the plots).
#
#   sim/study/sweep_slurm.sh -s STUDY -n N [options] [-- qarray sweep options]
#
#   -s STUDY      the study file (paths inside it relative to this folder)
#   -n N          shards = array tasks (1 <= N <= the study's points)
#   -c CPUS       CPUs per task, also its worker processes (default 1)
#   -t TIME       time limit per task (sbatch --time; default 01:00:00)
#   -m MEM        memory per task (sbatch --mem; default: the cluster's)
#   -p PARTITION  partition (default: the cluster's)
#   -A ACCOUNT    account (default: the cluster's)
#   -o OUT        output folder (default: the study's out)
#   -q QARRAY     the qarray binary (default ./qarray)
#   -l LOGDIR     where the jobs' logs go (default slurm-logs)
#   -w            wait for the merge job and exit with its status
#
# Run it from the repository root, on a filesystem every node sees (the
# binary, the study and architecture files, OUT). A task that dies (node
# failure, time limit, a kill) leaves the points it committed in its
# database; running this script again with the same arguments resubmits
# everything, and each task runs only what its database lacks. Prints the
# two job ids. Any other sbatch option goes in through sbatch's SBATCH_*
# environment variables (SBATCH_QOS, SBATCH_RESERVATION, ...).
set -eu

me=sweep_slurm.sh
die() {
    echo "$me: $*" >&2
    exit 2
}
whole() { # whole NAME VALUE: a positive whole number, or die
    case "$2" in
    '' | *[!0-9]* | 0*) die "$1: '$2' is not a positive whole number" ;;
    esac
}

# The array task itself (Slurm runs this file again with --task).
if [ "${1:-}" = --task ]; then
    shift
    q=$1 study=$2 n=$3 cpus=$4 out=$5
    shift 5
    i=${SLURM_ARRAY_TASK_ID:?not a task of a Slurm job array}
    set -- -s "$study" --shard "$i/$n" -j "$cpus" --resume --no-plot "$@"
    [ -n "$out" ] && set -- "$@" -o "$out"
    exec "$q" sweep "$@"
fi
if [ "${1:-}" = --merge ]; then
    shift
    q=$1 study=$2 n=$3 out=$4
    shift 4
    set -- -s "$study" --shards "$n" "$@"
    [ -n "$out" ] && set -- "$@" -o "$out"
    exec "$q" merge "$@"
fi

study="" n="" cpus=1 time=01:00:00 mem="" part="" acct="" out="" q=./qarray
logs="" wait=0
while [ $# -gt 0 ]; do
    case "$1" in
    -s | -n | -c | -t | -m | -p | -A | -o | -q | -l)
        [ $# -ge 2 ] || die "$1: needs a value"
        case "$1" in
        -s) study=$2 ;; -n) n=$2 ;; -c) cpus=$2 ;; -t) time=$2 ;;
        -m) mem=$2 ;; -p) part=$2 ;; -A) acct=$2 ;; -o) out=$2 ;;
        -q) q=$2 ;; -l) logs=$2 ;;
        esac
        shift 2 ;;
    -w) wait=1; shift ;;
    -h | --help) sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    --) shift; break ;;
    *) die "$1: unknown option (-h lists them)" ;;
    esac
done
[ -n "$study" ] || die "-s: the study file is required"
[ -n "$n" ] || die "-n: the number of shards is required"
whole -n "$n"
whole -c "$cpus"
[ -f "$study" ] || die "-s: $study: no such file"
[ -x "$q" ] || die "-q: $q: not an executable (build it with make)"
command -v sbatch > /dev/null || die "sbatch not found: not a Slurm cluster"
# qarray checks the study and the options; its message is the error.
points=$("$q" sweep -s "$study" --list "$@" ${out:+-o "$out"}) ||
    die "qarray refused the study or the options above"
points=$(printf '%s\n' "$points" | wc -l)
[ "$n" -le "$points" ] ||
    die "-n: $n shards of a study of $points points: at most one shard per point"
logdir=${logs:-slurm-logs}
mkdir -p "$logdir"
q=$(cd "$(dirname "$q")" && pwd)/$(basename "$q")

opts="--cpus-per-task=$cpus --time=$time${mem:+ --mem=$mem}${part:+ --partition=$part}${acct:+ --account=$acct}"
# shellcheck disable=SC2086 # opts holds whole options
jid=$(sbatch --parsable --job-name=qarray-sweep --array=0-$((n - 1)) $opts \
    --output="$logdir/task-%A_%a.out" "$0" --task "$q" "$study" "$n" "$cpus" "$out" "$@") ||
    die "sbatch refused the array job"
jid=${jid%%;*}
# The merge takes the engine override the shards had; other sweep options
# (-j, --resume) are not merge's.
mopts=""
prev=""
for a in "$@"; do
    [ "$prev" = --engine ] && mopts="--engine $a"
    case "$a" in --engine=*) mopts="$a" ;; esac
    prev=$a
done
# shellcheck disable=SC2086
mid=$(sbatch --parsable --job-name=qarray-merge --dependency=afterok:"$jid" \
    --kill-on-invalid-dep=yes --cpus-per-task=1 --time="$time"${part:+ --partition=$part}${acct:+ --account=$acct} \
    --output="$logdir/merge-%j.out" "$0" --merge "$q" "$study" "$n" "$out" $mopts) ||
    die "sbatch refused the merge job (array job $jid is queued)"
mid=${mid%%;*}
echo "array job $jid ($n tasks), merge job $mid; logs in $logdir"
[ "$wait" -eq 1 ] || exit 0
# Wait for the merge job to leave the queue, then ask how it ended.
while squeue -h -j "$mid" 2> /dev/null | grep -q .; do
    sleep 1
done
state=$(sacct -n -X -j "$mid" -o State 2> /dev/null | head -n 1 | tr -d ' ') || state=""
if [ -f "$logdir/merge-$mid.out" ] && grep -q " points from $n databases -> " "$logdir/merge-$mid.out"; then
    exit 0
fi
echo "$me: the merge job $mid did not finish${state:+ ($state)}: see $logdir" >&2
exit 1

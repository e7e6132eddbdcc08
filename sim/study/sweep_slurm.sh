#!/bin/sh
# sweep_slurm.sh: one shard of a qarray study per task of a Slurm job array.
# Run from the repository root (paths in study files are relative to it):
#
#   jid=$(sbatch --parsable --array=0-99 sim/study/sweep_slurm.sh arch/studies/pact2018_map.cfg)
#   sbatch --dependency=afterok:$jid --wrap \
#       "./qarray merge -s arch/studies/pact2018_map.cfg results/pact2018_map/points.shard-*-of-100.csv"
#
# Task i of n runs the points with id % n == i on the task's CPUs and
# writes results/<study>/points.shard-i-of-n.csv; --resume makes a requeued
# or resubmitted task skip the points it finished. Extra arguments go to
# qarray sweep (e.g. --engine analytic). The array must start at 0.
#SBATCH --job-name=qarray-sweep
#SBATCH --cpus-per-task=4
#SBATCH --time=01:00:00
#SBATCH --output=slurm-%A_%a.out
set -eu
study=${1:?usage: sbatch --array=0-N sim/study/sweep_slurm.sh STUDY [qarray sweep options]}
shift
i=${SLURM_ARRAY_TASK_ID:?not in a Slurm job array}
n=${SLURM_ARRAY_TASK_COUNT:-$((SLURM_ARRAY_TASK_MAX + 1))}
exec ./qarray sweep -s "$study" --shard "$i/$n" -j "${SLURM_CPUS_PER_TASK:-1}" \
    --resume --no-plot "$@"

#!/bin/sh
# scalesim_table.sh: the per-layer table of models/README.md ("qarray and
# SCALE-Sim"). SCALE-Sim v2's own ResNet-50 topology on one 32x32
# output-stationary array (tests/golden/scalesim/a32x32_os.cfg: one core,
# no DRAM limit or latency, a scratchpad that holds every layer), run twice
# with `qarray run`: compute cycles of qarray's own model
# (core.timing = "qarray", the default) and of SCALE-Sim v2's count
# (core.timing = "scalesim", which equals what SCALE-Sim v2 reported,
# tests/golden/scalesim/cycles.csv). Prints a Markdown table. Run from the
# repository root after make; QARRAY names another binary.
set -eu
Q=${QARRAY:-./qarray}
G=tests/golden/scalesim
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
sed 's/timing = "scalesim"/timing = "qarray"/' $G/a32x32_os.cfg > "$T/qarray.cfg"
grep -q 'timing = "qarray"' "$T/qarray.cfg"
$Q run -c "$T/qarray.cfg" --topo $G/topologies/Resnet50.csv --engine analytic \
    -o "$T/q" > /dev/null
$Q run -c $G/a32x32_os.cfg --topo $G/topologies/Resnet50.csv --engine analytic \
    -o "$T/s" > /dev/null
# Columns by name; the GEMM is SCALE-Sim's: pixels x window x filters.
awk -F, '
    FNR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
    FNR == NR { q[FNR] = $col["compute_cycles"]; next }
    { n++
      s = $col["compute_cycles"]
      printf "| %s | %d x %d x %d | %d | %d | %.2f |\n", $col["layer"],
             $col["P"] * $col["Q"], $col["C"] * $col["R"] * $col["S"],
             $col["K"], q[FNR], s, q[FNR] / s
      tq += q[FNR]; ts += s
      if (q[FNR] >= 0.95 * s && q[FNR] <= 1.05 * s) near++ }
    BEGIN { print "| layer | GEMM M x K x N | qarray | SCALE-Sim v2 | ratio |"
            print "|---|---|---:|---:|---:|" }
    END { printf "| all %d layers (%d within 5%%) | | %d | %d | %.2f |\n", n,
                 near, tq, ts, tq / ts }' "$T/q/layers.csv" "$T/s/layers.csv"

#!/bin/sh
# mac_area.sh: the MACs of models/rtl synthesized with Yosys to a generic
# gate library, counted in cells, transistors and gate equivalents; the data
# behind qarray's `synth` area model (models/area_synth.c).
#
#   models/rtl/synth/mac_area.sh                 all rows: models/rtl/mac_area.csv
#   models/rtl/synth/mac_area.sh KIND BITS       one row (and the header) to stdout
#
# Kinds (ACC = 32, the chip's acc_bits):
#   fixed   qa_mac_acc: a signed BITS x BITS multiplier, a 32-bit adder and
#           the 32-bit accumulator register with clear and enable
#   mul     the multiplier of qa_mac alone (qa_mac with c = 0, 2*BITS out)
#   config  qa_mac_cfg: the precision-configurable 16-bit MAC, 16/BITS lanes
#           of BITS bits (one circuit: the same counts for BITS 16, 8, 4, 2)
#
# Flow (Yosys 0.23, deterministic): synth -flatten; every flip-flop
# legalized to a plain $_DFF_P_ (enables and clears become gates, so they
# are counted); abc -g AND,NAND,OR,NOR,XOR,XNOR,MUX maps the logic to
# two-input gates and 2:1 muxes (plus inverters); `stat -tech cmos` counts
# transistors with Yosys's own CMOS table (kernel/cost.h):
#   NOT 2, NAND 4, NOR 4, AND 6, OR 6, XOR 12, XNOR 12, MUX 12, DFF_P 16.
# Gate equivalents (NAND2 = 1): transistors / 4. This script recomputes
# the transistors from the cell counts with that table and stops if Yosys
# says otherwise (a different Yosys, or a cell the table lacks).
set -eu
cd "$(dirname "$0")/../../.."
RTL=models/rtl
OUT=$RTL/mac_area.csv
HEADER="kind,bits,lanes,acc_bits,cells,not,nand,nor,and,or,xor,xnor,mux,dff,transistors,ge"

command -v yosys > /dev/null || { echo "mac_area.sh: yosys is not installed (Debian package yosys)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# synth TOP FILES PARAMS: synthesize, leave the stat report in $tmp/stat.
synth() {
    top=$1 files=$2 params=$3
    yosys -q -l "$tmp/log" -p "read_verilog $files; $params synth -flatten -top $top; dfflegalize -cell \$_DFF_P_ 01; abc -g AND,NAND,OR,NOR,XOR,XNOR,MUX; opt_clean; tee -q -o $tmp/stat stat -tech cmos" > /dev/null
}

# row KIND BITS LANES ACC: one CSV row from $tmp/stat.
row() {
    awk -v kind="$1" -v bits="$2" -v lanes="$3" -v acc="$4" '
        /Number of cells:/ { cells = $4 }
        $1 ~ /^\$_[A-Z_]+_$/ { n[$1] = $2 }
        /Estimated number of transistors:/ { tr = $5 }
        END {
            w["$_NOT_"] = 2; w["$_NAND_"] = 4; w["$_NOR_"] = 4; w["$_AND_"] = 6
            w["$_OR_"] = 6; w["$_XOR_"] = 12; w["$_XNOR_"] = 12
            w["$_MUX_"] = 12; w["$_DFF_P_"] = 16
            sum = 0
            for (c in n) {
                if (!(c in w)) { print "mac_area.sh: cell " c " has no weight" > "/dev/stderr"; exit 1 }
                sum += n[c] * w[c]
            }
            if (tr == "" || tr != sum "") {
                print "mac_area.sh: yosys counts " tr " transistors, the table " sum > "/dev/stderr"; exit 1
            }
            printf "%s,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d,%.1f\n", kind, bits, lanes, acc, cells,
                n["$_NOT_"], n["$_NAND_"], n["$_NOR_"], n["$_AND_"], n["$_OR_"], n["$_XOR_"],
                n["$_XNOR_"], n["$_MUX_"], n["$_DFF_P_"], sum, sum / 4
        }' "$tmp/stat"
}

fixed() {
    synth qa_mac_acc "$RTL/qa_mac.v $RTL/qa_mac_acc.v" "chparam -set W $1 -set ACC 32 qa_mac_acc;"
    row fixed "$1" 1 32
}

# qa_mac with its addend tied to 0: the multiplier, which ABC strips of
# the adder.
mul() {
    cat > "$tmp/mul.v" <<EOT
module qa_mul_only #(parameter W = 8) (
    input wire signed [W-1:0] a, input wire signed [W-1:0] b,
    output wire signed [2*W-1:0] y);
    qa_mac #(.W(W), .ACC(2 * W)) u (.a(a), .b(b), .c({2*W{1'b0}}), .y(y));
endmodule
EOT
    synth qa_mul_only "$RTL/qa_mac.v $tmp/mul.v" "chparam -set W $1 qa_mul_only;"
    row mul "$1" 1 0
}

config() {
    synth qa_mac_cfg "$RTL/qa_mul_cfg.v $RTL/qa_mac_cfg.v" "chparam -set ACC 32 qa_mac_cfg;"
    for b in "$@"; do
        row config "$b" $((16 / b)) 32
    done
}

if [ $# -eq 2 ]; then
    echo "$HEADER"
    case $1 in
    fixed) fixed "$2" ;;
    mul) mul "$2" ;;
    config) config "$2" ;;
    *) echo "mac_area.sh: unknown kind $1 (fixed, mul, config)" >&2; exit 2 ;;
    esac
    exit 0
fi
[ $# -eq 0 ] || { echo "usage: mac_area.sh [KIND BITS]" >&2; exit 2; }
{
    echo "$HEADER"
    for b in 2 3 4 8 16; do fixed "$b"; done
    for b in 2 3 4 8 16; do mul "$b"; done
    config 16 8 4 2
} > "$tmp/out.csv"
mv "$tmp/out.csv" "$OUT"
echo "wrote $OUT"

#!/bin/sh
# End-to-end `qarray run`: a small design point on arch/tiny.cfg must give
# exactly the golden CSVs (regenerate them with `make golden` after an
# intended model change, and say why in the commit); bad input must fail
# with one clear message, a non-zero exit and no output file.
set -u
Q=./build/qarray
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0
no() { echo "FAIL: $*"; fail=1; }

# Golden run: every column of both files, bit for bit.
$Q run -c arch/tiny.cfg -w resnet20 --bits 4 --batch 2 --engine analytic \
    -o "$T/tiny" > "$T/out.txt" 2>&1 || no "golden run exited non-zero"
for f in layers.csv summary.csv; do
    cmp -s "$T/tiny/$f" "tests/golden/tiny_resnet20_w4_$f" ||
        no "$f differs from tests/golden/tiny_resnet20_w4_$f"
done
grep -q "speedup" "$T/out.txt" || no "summary has no speedup line"
[ -f "$T/tiny/config.cfg" ] || no "effective config not written"
# The effective config loads back and gives the same result.
$Q run -c "$T/tiny/config.cfg" -w resnet20 --bits 4 --batch 2 \
    --engine analytic -o "$T/again.csv" > /dev/null 2>&1 || no "rerun from config.cfg failed"
cmp -s "$T/again.csv" "$T/tiny/layers.csv" || no "config.cfg does not reproduce the run"

# A chip name is a user string: with a comma, quotes and '#' it is one
# RFC 4180 field of summary.csv (quoted, inner quotes doubled).
sed 's/^name = .*/name = "a, \\"b\\" #c";/' arch/tiny.cfg > "$T/named.cfg"
$Q run -c "$T/named.cfg" -w resnet20 --bits 4 --batch 2 --engine analytic \
    -o "$T/named" > /dev/null 2>&1 || no "run of a chip named a, \"b\" #c failed"
sed -n 2p "$T/named/summary.csv" | grep -q '^"a, ""b"" #c",resnet20,analytic,4,4,8,2,2,' ||
    no "summary.csv row of a chip named a, \"b\" #c: $(sed -n 2p "$T/named/summary.csv")"

# Bad input: exit code, message, nothing written.
expect_fail() {
    msg=$1
    shift
    rm -rf "$T/bad"
    if "$@" -o "$T/bad" > "$T/err.txt" 2>&1; then
        no "succeeded: $*"
    fi
    grep -q -- "$msg" "$T/err.txt" || no "message '$msg' not in: $(cat "$T/err.txt")"
    [ -e "$T/bad" ] && no "left output behind: $*"
    return 0
}
expect_fail "bits: 'x' is not" $Q run --bits x
expect_fail "bits: '4/0' is not" $Q run --bits 4/0
expect_fail "--bw: expected a number of GB/s or \"unlimited\", got 'fast'" $Q run --bw fast
expect_fail "--sram: must be in 1024..1099511627776 bytes, is 12" $Q run --sram 12
expect_fail "--bw: must be in 0.001..1000000 GB/s or \"unlimited\", is 1e-9" $Q run --bw 1e-9
expect_fail "engine: 'spice' is not" $Q run --engine spice
expect_fail "tests/bad/arch_range.cfg:1: cores: must be in 1..4096, is 0" $Q run -c tests/bad/arch_range.cfg
expect_fail "no_such.cfg: cannot open" $Q run -c no_such.cfg
expect_fail "unknown network" $Q run -w resnet51
expect_fail "conv1: does not fit" $Q run -c arch/tiny.cfg --sram 1KiB
expect_fail "qarray: --frobnicate: unknown option (qarray run --help)" $Q run --frobnicate
expect_fail "qarray: --bits: needs a value" $Q run --bits
expect_fail "qarray: --bits: given twice ('4', then '8')" $Q run --bits 4 -b 8
expect_fail "qarray: --batch: '0' is not an integer in 1..65536" $Q run --batch 0
expect_fail "qarray: resnet20: unexpected argument (qarray run --help)" $Q run resnet20
# Options that would silently lose to another are refused, naming both.
expect_fail "qarray: --topo: cannot be combined with --workload (give one network)" \
    $Q run -w resnet20 --topo tests/bad/topo_zero.csv
expect_fail "qarray: --model: cannot be combined with --bits (the model file holds the bits of every layer)" \
    $Q run -m m.safetensors --bits 4
expect_fail "qarray: --fpsc: cannot be combined with --shortcut-bits (--fpsc is --shortcut-bits 16)" \
    $Q run --fpsc --shortcut-bits 8
expect_fail "qarray: --vcd: cannot be combined with --engine analytic (the analytic engine has no signals to dump)" \
    $Q run -c arch/tiny.cfg -w resnet20 --engine analytic --vcd "$T/x.vcd"
[ -e "$T/x.vcd" ] && no "--vcd with the analytic engine wrote a file"
$Q run --help | grep -q "usage: qarray run" || no "run --help"
# --opt=value and short options with the value attached
$Q run -c arch/tiny.cfg --workload=resnet20 -b4 --batch=2 --engine=analytic \
    -o "$T/eq.csv" > /dev/null 2>&1 || no "run with --opt=value"
cmp -s "$T/eq.csv" "$T/tiny/layers.csv" || no "--opt=value gives another run"
$Q area -c arch/pact2018.cfg | grep -q "14.00" || no "area table lacks the 14x density at 2 bits"

[ $fail -eq 0 ] && echo "test_cli_run.sh: ok"
exit $fail

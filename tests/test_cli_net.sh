#!/bin/sh
# End-to-end tests of `qarray net`: totals of the built-in networks, the bit
# policy flags, SCALE-Sim CSV export and re-import, and bad input: one line
# "qarray: ..." on stderr, nothing on stdout, non-zero exit, no output file.
# Run from the repository root; QARRAY overrides the binary.
Q=${QARRAY:-build/qarray}
T=$(mktemp -d /tmp/qa_cli_net.XXXXXX) || exit 1
trap 'rm -rf "$T"' EXIT
fails=0

fail() {
    echo "FAIL: $*"
    fails=$((fails + 1))
}

# expect_total ARGS... -- LINE: the last stdout line of `qarray net ARGS`
expect_total() {
    want=$1
    shift
    got=$("$Q" net "$@" | tail -n 1)
    [ "$got" = "$want" ] || fail "qarray net $*: got '$got', want '$want'"
}

# expect_error MESSAGE ARGS...: exit non-zero, stdout empty, stderr = MESSAGE
expect_error() {
    want=$1
    shift
    if "$Q" net "$@" >"$T/out" 2>"$T/err"; then
        fail "qarray net $*: exit 0"
    fi
    [ -s "$T/out" ] && fail "qarray net $*: printed to stdout"
    [ "$(cat "$T/err")" = "$want" ] ||
        fail "qarray net $*: stderr '$(cat "$T/err")', want '$want'"
}

"$Q" net --help | grep -q '^usage: qarray net' || fail "--help"

expect_total "total: 4089184256 MACs (4.089 G), 25502912 weights (51005824 bytes at the layers' w_bits)" -w resnet50
expect_total "total: 3857973248 MACs (3.858 G), 25502912 weights (51005824 bytes at the layers' w_bits)" -w resnet50v1
expect_total "total: 4089184256 MACs (4.089 G), 25502912 weights (51005824 bytes at the layers' w_bits)" -w resnet50preact
expect_total "total: 1814073344 MACs (1.814 G), 11678912 weights (23357824 bytes at the layers' w_bits)" -w resnet18
expect_total "total: 3663761408 MACs (3.664 G), 21779648 weights (43559296 bytes at the layers' w_bits)" -w resnet34
expect_total "total: 31021952 MACs (0.031 G), 270608 weights (541216 bytes at the layers' w_bits)" -w resnet20
# batch scales MACs, not weights
expect_total "total: 32713474048 MACs (32.713 G), 25502912 weights (51005824 bytes at the layers' w_bits)" -w resnet50 --batch 8
# 4-bit weights, conv1 (9408) and fc (2048000) at 8 bits:
# (25502912 - 9408 - 2048000)/2 + 9408 + 2048000 = 13780160 bytes
expect_total "total: 4089184256 MACs (4.089 G), 25502912 weights (13780160 bytes at the layers' w_bits)" -w resnet50 --bits 4/4 --first-last 8
# rows: conv1 at 8/8 storing 16 (the maxpool feeds a 16-bit projection)
"$Q" net -w resnet50 --bits 4/2 --first-last 8 --shortcut-bits 16 >"$T/r50.txt"
grep -q '^  0 conv1 .* 8  8 16$' "$T/r50.txt" || fail "conv1 bits"
grep -q '^  5 layer1.0.downsample .* 16 16 16$' "$T/r50.txt" || fail "fpsc bits"
grep -q '^  3 layer1.0.conv2 .*  4  2  2$' "$T/r50.txt" || fail "w4/a2 bits"
grep -q '^ 71 fc .*  8  8 16$' "$T/r50.txt" || fail "fc bits"

# export, then re-import: same totals; 1 header + 54 rows
"$Q" net -w resnet50 -o "$T/r50.csv" >/dev/null 2>"$T/err" || fail "-o"
[ "$(wc -l <"$T/r50.csv")" -eq 55 ] || fail "r50.csv rows"
head -n 2 "$T/r50.csv" | tail -n 1 | grep -q '^conv1, 229, 229, 7, 7, 3, 64, 2,$' ||
    fail "conv1 row"
expect_total "total: 4089184256 MACs (4.089 G), 25502912 weights (51005824 bytes at the layers' w_bits)" --topo "$T/r50.csv"
"$Q" net --topo "$T/r50.csv" | head -n 1 |
    grep -q '^network r50: 54 layers (54 conv/fc)' || fail "topo header line"

# bad input
expect_error "qarray: --workload: unknown network 'nope' (built-in: resnet50, resnet50v1, resnet50preact, resnet18, resnet34, resnet20)" -w nope
expect_error "qarray: --batch: '0' is not an integer in 1..65536" -w resnet50 --batch 0
expect_error "qarray: --bits: '4/17' is not W or W/A with bits in 1..16" -w resnet50 --bits 4/17
expect_error "qarray: --first-last: 'x' is not an integer in 1..16" -w resnet50 --first-last x
expect_error "qarray: --frist-last: unknown option (qarray net --help)" -w resnet50 --frist-last 8
expect_error "qarray: --out: needs a value" -w resnet50 -o
expect_error "qarray: --shortcut: unknown option (qarray net --help)" -w resnet50 --shortcut 16
expect_error "qarray: --topo: cannot be combined with --workload (give one network)" -w resnet50 --topo "$T/r50.csv"
expect_error "qarray: tests/bad/topo_filter.csv:2: Filter Height: 7 larger than IFMAP Height 5" --topo tests/bad/topo_filter.csv
expect_error "qarray: $T/none.csv: cannot open topology CSV: No such file or directory" --topo "$T/none.csv"
# no output file on error, not even a temp file
expect_error "qarray: --workload: unknown network 'x' (built-in: resnet50, resnet50v1, resnet50preact, resnet18, resnet34, resnet20)" -w x -o "$T/x.csv"
expect_error "qarray: tests/bad/topo_zero.csv:2: Channels: must be positive, got 0" --topo tests/bad/topo_zero.csv -o "$T/x.csv"
ls "$T" | grep -q '^x\.csv' && fail "partial output file left"

[ "$fails" -eq 0 ] || exit 1
echo "test_cli_net.sh: ok"

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
grep -q "^  energy          286.88 uJ per inference (143.44 uJ per image): MAC 57%," "$T/out.txt" ||
    no "summary has no energy line: $(grep energy "$T/out.txt")"
grep -q "^  energy ratio    2.438x less energy than the same chip at 16 bits (speedup 2.954x)" "$T/out.txt" ||
    no "summary has no energy ratio beside the speedup"
# Without an energy group: no energy, said so; the effective config has
# no energy group either.
sed '/^energy = {/,/^};/d' arch/tiny.cfg > "$T/noenergy.cfg"
$Q run -c "$T/noenergy.cfg" -w resnet20 --bits 4 --batch 2 --engine analytic \
    -o "$T/noenergy" > "$T/out2.txt" 2>&1 || no "run without an energy group failed"
grep -q "energy          not modelled: the architecture file has no energy group" "$T/out2.txt" ||
    no "no 'not modelled' line: $(cat "$T/out2.txt")"
grep -q "energy" "$T/noenergy/config.cfg" && no "config.cfg of a chip without energy has an energy group"
# An energy group of zeros (valid: every range starts at 0) is not "no
# energy group".
sed -E 's/^(  (mul8_pj|add8_pj|hop_pj_per_bit|sram_read_pj_per_byte|sram_write_pj_per_byte|dram_pj_per_bit|leak_logic_mw_per_mm2|leak_sram_mw_per_mm2) = ).*/\10.0;/' \
    arch/tiny.cfg > "$T/zeroenergy.cfg"
$Q run -c "$T/zeroenergy.cfg" -w resnet20 --bits 4 --engine analytic > "$T/out2z.txt" 2>&1 ||
    no "run with an energy group of zeros failed"
grep -q "^  energy          0 uJ per inference: the values of the architecture file's energy group give no energy$" \
    "$T/out2z.txt" || no "energy group of zeros: $(grep energy "$T/out2z.txt")"
[ -f "$T/tiny/config.cfg" ] || no "effective config not written"
# The effective config loads back and gives the same result.
$Q run -c "$T/tiny/config.cfg" -w resnet20 --bits 4 --batch 2 \
    --engine analytic -o "$T/again.csv" > /dev/null 2>&1 || no "rerun from config.cfg failed"
cmp -s "$T/again.csv" "$T/tiny/layers.csv" || no "config.cfg does not reproduce the run"

# SCALE-Sim v2's timing (core.timing = "scalesim") end to end on its own
# ResNet-50 topology, 32x32 output stationary: on both engines the run takes
# 4,434,168 cycles, and every layer's compute cycles are what SCALE-Sim v2
# reported for it (tests/golden/scalesim/cycles.csv).
awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
    $c["topology_file"] == "Resnet50_clean.csv" {
        print $c["layer_name"] "," $c["total_cycles"] }' \
    tests/golden/scalesim/cycles.csv > "$T/ss_want.txt"
[ "$(wc -l < "$T/ss_want.txt")" -eq 54 ] || no "golden ResNet-50 rows: not 54"
for eng in analytic systemc; do
    $Q run -c tests/golden/scalesim/a32x32_os.cfg --engine $eng \
        --topo tests/golden/scalesim/topologies/Resnet50.csv -o "$T/ss_$eng" \
        > /dev/null 2>&1 || no "scalesim run ($eng) exited non-zero"
    awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
        NR == 2 { print $c["cycles"] }' "$T/ss_$eng/summary.csv" |
        grep -qx 4434168 || no "scalesim ResNet-50 ($eng): not 4434168 cycles"
    awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
        { print $c["layer"] "," $c["compute_cycles"] }' \
        "$T/ss_$eng/layers.csv" > "$T/ss_got.txt"
    cmp -s "$T/ss_want.txt" "$T/ss_got.txt" ||
        no "scalesim ResNet-50 ($eng): layer cycles differ from SCALE-Sim's"
done

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
# in range but not written as an integer: no range the value meets
expect_fail "qarray: --cores: expected an integer, got '1e3'" $Q run --cores 1e3
expect_fail "qarray: --sram: \"2048.5\" is not a whole number of bytes" $Q run --sram 2048.5
expect_fail "engine: 'spice' is not" $Q run --engine spice
expect_fail "tests/bad/arch_range.cfg:1: cores: must be in 1..4096, is 0" $Q run -c tests/bad/arch_range.cfg
expect_fail "no_such.cfg: cannot open" $Q run -c no_such.cfg
expect_fail "tests/bad/energy_unit.cfg:14: energy.dram_pj_per_bit: \"8 mW/mm2\": mW/mm2 is not a unit of pJ/bit" \
    $Q run -c tests/bad/energy_unit.cfg
expect_fail "tests/bad/energy_missing.cfg:2: energy.scale: missing" $Q run -c tests/bad/energy_missing.cfg
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
# SCALE-Sim's timing maps a core's share of a layer as one tile: it must fit.
expect_fail "qarray: Conv1: does not fit: the smallest tile (with core.timing \"scalesim\", a core's whole share of the layer) needs more than the 1048576 bytes of scratchpad per core" \
    $Q run -c tests/golden/scalesim/a32x32_os.cfg --sram 1MiB --engine analytic \
    --topo tests/golden/scalesim/topologies/Resnet50.csv

# A long legal run (0.01 GHz, one PE, ResNet-50 at batch 32: 1.3e11
# cycles, beyond 2^63 femtoseconds): the SystemC engine's time wrapped into
# negative cycles with exit status 0. Both engines count it (one core,
# unlimited bandwidth: the same cycles).
sed -e 's/^clock_ghz = .*/clock_ghz = 0.01;/' -e 's/^cores = .*/cores = 1;/' \
    -e 's/rows = .*/rows = 1;/' -e 's/cols = .*/cols = 1;/' \
    -e 's/gbps = .*/gbps = "unlimited";/' arch/tiny.cfg > "$T/slow.cfg"
for eng in analytic systemc; do
    $Q run -c "$T/slow.cfg" -w resnet50 --batch 32 --sram 2MiB --engine $eng \
        > "$T/slow_$eng.txt" 2>&1 || no "slow run on $eng: $(cat "$T/slow_$eng.txt")"
done
c1=$(sed -n 's/^  cycles *\([0-9-]*\) .*/\1/p' "$T/slow_analytic.txt")
c2=$(sed -n 's/^  cycles *\([0-9-]*\) .*/\1/p' "$T/slow_systemc.txt")
[ -n "$c1" ] && [ "$c1" = "$c2" ] && [ "$c1" -gt 92233720368 ] ||
    no "slow run: analytic $c1 cycles, systemc $c2 cycles"

# Bits above base_bits are multi-cycle MACs (ceil(b / base)^2 cycles): on
# a chip of 4-bit lanes a 16-bit network is far slower than a 4-bit one
# (it ran exactly as fast), and the summary names the 4-bit baseline.
sed 's/base_bits = 16;/base_bits = 4;/' arch/tiny.cfg > "$T/b4.cfg"
$Q run -c "$T/b4.cfg" -w resnet20 --bits 16 --first-last 16 --engine analytic \
    > "$T/b16.txt" 2>&1 || no "16 bits on 4-bit lanes: $(cat "$T/b16.txt")"
$Q run -c "$T/b4.cfg" -w resnet20 --bits 4 --first-last 4 --engine analytic \
    > "$T/b4.txt" 2>&1 || no "4 bits on 4-bit lanes: $(cat "$T/b4.txt")"
c16=$(sed -n 's/^  cycles *\([0-9]*\) .*/\1/p' "$T/b16.txt")
c4=$(sed -n 's/^  cycles *\([0-9]*\) .*/\1/p' "$T/b4.txt")
[ -n "$c16" ] && [ -n "$c4" ] && [ "$c16" -gt $((8 * c4)) ] ||
    no "16 bits on 4-bit lanes: $c16 cycles, 4 bits: $c4 cycles"
grep -q "over the same chip at 4 bits" "$T/b16.txt" ||
    no "the summary does not name the 4-bit baseline: $(cat "$T/b16.txt")"

$Q run --help | grep -q "usage: qarray run" || no "run --help"
# --opt=value and short options with the value attached
$Q run -c arch/tiny.cfg --workload=resnet20 -b4 --batch=2 --engine=analytic \
    -o "$T/eq.csv" > /dev/null 2>&1 || no "run with --opt=value"
cmp -s "$T/eq.csv" "$T/tiny/layers.csv" || no "--opt=value gives another run"
$Q area -c arch/pact2018.cfg | grep -q "14.00" || no "area table lacks the 14x density at 2 bits"
# TOPS/W at peak, hand-computed on tiny (tests/test_energy.c): 2 / 6.5056
$Q area -c arch/tiny.cfg | grep -q "^   16 .* 0.307$" || no "area table lacks tiny's 0.307 TOPS/W at 16 bits"
$Q area -c "$T/noenergy.cfg" | grep -q "^   16 .* -$" || no "area table of a chip without energy"

# Run from another folder, the default architecture file is not found:
# the error says the default is relative to the current folder.
msg=$(cd "$T" && "$OLDPWD/$Q" run --engine analytic 2>&1 >/dev/null)
[ "$msg" = "qarray: arch/pact2018.cfg: cannot open architecture file: No such file or directory (the default -c is relative to the current folder: run qarray from its own folder, or give -c FILE)" ] ||
    no "default -c from another folder: '$msg'"
# The same path given with -c is the user's: no word about a default.
msg=$(cd "$T" && "$OLDPWD/$Q" run --engine analytic -c arch/pact2018.cfg 2>&1 >/dev/null)
[ "$msg" = "qarray: arch/pact2018.cfg: cannot open architecture file: No such file or directory" ] ||
    no "-c arch/pact2018.cfg from another folder: '$msg'"

[ $fail -eq 0 ] && echo "test_cli_run.sh: ok"
exit $fail

#!/bin/sh
# End-to-end tests of `qarray validate` and `qarray run -m`: a tiny model
# trained for one epoch on the synthetic set runs bit-exact on tiny.cfg at
# every dataflow through the SystemC cores; a flipped weight code and a
# too-narrow accumulator make it fail with one line naming the layer;
# `run -m` times exactly the model's layers, and a trained or generated
# ResNet-20 has the layers of the built-in resnet20; bad input gives one line
# "qarray: ..." on stderr, a non-zero exit and no output file.
# Run from the repository root; QARRAY overrides the binary.
Q=${QARRAY:-build/qarray}
T=$(mktemp -d "${TMPDIR:-/tmp}/qa_cli_validate.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
fails=0
export OMP_NUM_THREADS=1

fail() {
    echo "FAIL: $*"
    fails=$((fails + 1))
}

# expect_error MESSAGE CMD ARGS...: exit non-zero, stderr is exactly MESSAGE
expect_error() {
    want=$1
    shift
    if "$Q" "$@" >"$T/out" 2>"$T/err"; then
        fail "qarray $*: exit 0"
    fi
    [ "$(cat "$T/err")" = "$want" ] ||
        fail "qarray $*: stderr '$(cat "$T/err")', want '$want'"
}

"$Q" validate --help | grep -q "^usage: qarray validate" || fail "validate --help"
"$Q" tradeoff --help | grep -q "^usage: qarray tradeoff" || fail "tradeoff --help"
"$Q" run --help | grep -q "^  -m, --model FILE" || fail "run --help has no --model"

cat >"$T/tiny.cfg" <<'CFG'
model: { arch = "cnn"; width = 1.0; };
data: { synthetic = 600; };
train: { epochs = 1; batch = 50; seed = 2; lr = 0.1; };
quant: { w_method = "sawb"; a_method = "pact"; w_bits = 4; a_bits = 4; alpha_init = 3.0; };
CFG
"$Q" train -c "$T/tiny.cfg" -o "$T/tiny.ckpt" --export "$T/m.safetensors" >"$T/log" 2>&1 ||
    fail "training the tiny model: $(cat "$T/log")"

for df in ws os is; do
    "$Q" validate -m "$T/m.safetensors" -c arch/tiny.cfg --dataflow $df --input 3 --batch 2 \
        -o "$T/v_$df.csv" >"$T/v" 2>&1 || fail "validate $df: $(cat "$T/v")"
    grep -q "^layers 7 (4 on the array), outputs compared 40110, mismatches 0, overflowing layers 0$" "$T/v" ||
        fail "validate $df summary: $(cat "$T/v")"
    grep -q "same outputs, cycles and largest partial sums" "$T/v" || fail "validate $df: pe_ref"
    grep -q "^predicted class: chip == integer reference on 3 of 3 images$" "$T/v" ||
        fail "validate $df predictions"
    [ "$(wc -l <"$T/v_$df.csv")" -eq 8 ] || fail "validate $df: csv rows"
done
# the analytic engine computes the same tiles: same table but for the cycles column
"$Q" validate -m "$T/m.safetensors" -c arch/tiny.cfg --input 3 --batch 2 --engine analytic >"$T/c" 2>&1 ||
    fail "validate --engine analytic: $(cat "$T/c")"
cut -d, -f1-20,22- "$T/v_ws.csv" >"$T/a"
"$Q" validate -m "$T/m.safetensors" -c arch/tiny.cfg --input 3 --batch 2 --engine analytic -o "$T/c.csv" >/dev/null 2>&1
cut -d, -f1-20,22- "$T/c.csv" >"$T/b"
cmp -s "$T/a" "$T/b" || fail "analytic engine and SystemC cores differ"
# --exact-acc: every array layer's largest partial sum exact (acc_exact 1,
# no "<=" in the table), never below the default run's final sums, and
# never above its bounds
"$Q" validate -m "$T/m.safetensors" -c arch/tiny.cfg --input 3 --batch 2 --exact-acc \
    -o "$T/x.csv" >"$T/x" 2>&1 || fail "validate --exact-acc: $(cat "$T/x")"
grep -q "<=" "$T/x" && fail "validate --exact-acc shows a bound: $(cat "$T/x")"
awk -F, 'NR > 1 && ($2 == "conv" || $2 == "fc") && $22 != 1 { bad = 1 } END { exit bad }' "$T/x.csv" ||
    fail "validate --exact-acc: a layer not exact"
paste -d, "$T/x.csv" "$T/v_ws.csv" | awk -F, 'NR > 1 && ($2 == "conv" || $2 == "fc") &&
    ($11 + 0 > $35 + 0 || $11 + 0 < $23 + 0) { bad = 1 } END { exit bad }' ||
    fail "validate --exact-acc: exact max|acc| outside [final sums, bound]"

# fault injection: weight 5 of c2.conv is in output channel 0
expect_error "qarray: $T/m.safetensors: c2.conv: 392 outputs differ from the integer reference, first at image 0 channel 0 row 0 column 1: chip 4, reference 5" \
    validate -m "$T/m.safetensors" -c arch/tiny.cfg --input 3 --flip c2.conv:5:3
expect_error "qarray: $T/m.safetensors: c1.conv: accumulator overflow: partial sums need 19 bits, the chip has 16" \
    validate -m "$T/m.safetensors" -c arch/tiny.cfg --input 3 --acc-bits 16

# run -m: the model's 7 layers, 4-bit inner layers
"$Q" run -m "$T/m.safetensors" -c arch/tiny.cfg -o "$T/run.csv" >"$T/r" 2>&1 || fail "run -m: $(cat "$T/r")"
grep -q "W4/A4, first/last 8 bits" "$T/r" || fail "run -m bits: $(cat "$T/r")"
[ "$(wc -l <"$T/run.csv")" -eq 8 ] || fail "run -m: csv rows"
grep -q "^c2.conv," "$T/run.csv" || fail "run -m: layer names"

# A trained ResNet-20 (and a generated one) run by `run -m` has the layers of
# the built-in resnet20 by name; the classifier is the model file's fc, its
# global pool on the vector unit "fc.pool".
cat >"$T/r20.cfg" <<'CFG'
model: { arch = "resnet20"; width = 0.25; };
data: { synthetic = 200; };
train: { epochs = 1; batch = 50; seed = 2; lr = 0.1; };
quant: { w_method = "sawb"; a_method = "pact"; w_bits = 4; a_bits = 4; alpha_init = 3.0; };
CFG
"$Q" train -c "$T/r20.cfg" -o "$T/r20.ckpt" --export "$T/r20t.safetensors" >"$T/log" 2>&1 ||
    fail "training resnet20: $(cat "$T/log")"
grep -q '^  alpha: conv1.act=[0-9.]* layer1.0.conv1.act=[0-9.]* layer1.0.add.act=' "$T/log" ||
    fail "resnet20 alpha names: $(cat "$T/log")"
"$Q" quantize -w resnet20 --method pact-sawb --bits 4/4 --batch 2 \
    -o "$T/r20q.safetensors" >"$T/q" 2>&1 || fail "quantize -w resnet20: $(cat "$T/q")"
"$Q" run -w resnet20 -c arch/tiny.cfg --engine analytic -o "$T/r20w" >/dev/null 2>&1 ||
    fail "run -w resnet20"
cut -d, -f1 "$T/r20w/layers.csv" >"$T/names_w"
for m in r20t r20q; do
    "$Q" run -m "$T/$m.safetensors" -c arch/tiny.cfg --engine analytic -o "$T/$m.csv" >"$T/r" 2>&1 ||
        fail "run -m $m: $(cat "$T/r")"
    cut -d, -f1 "$T/$m.csv" | sed 's/^fc\.pool$/avgpool/' >"$T/names_m"
    cmp -s "$T/names_w" "$T/names_m" || fail "run -m $m: layers differ from resnet20's"
done

# tradeoff: accuracy beside speed, one row per model (real data only)
if [ -f /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz ] || [ -n "$QARRAY_FASHION_MNIST" ]; then
    "$Q" tradeoff -o "$T/to" --limit 100 --float-acc 90 "$T/m.safetensors" >"$T/t" 2>&1 ||
        fail "tradeoff: $(cat "$T/t")"
    grep -q "^W4A4 .*%" "$T/t" || fail "tradeoff row: $(cat "$T/t")"
    [ "$(wc -l <"$T/to/tradeoff.csv")" -eq 3 ] || fail "tradeoff csv rows"
    if command -v gnuplot >/dev/null; then
        [ -s "$T/to/tradeoff.png" ] || fail "tradeoff: no plot"
    fi
fi
expect_error "qarray: --out: required (qarray tradeoff --help)" tradeoff "$T/m.safetensors"
expect_error "qarray: --model: required (qarray validate --help)" validate -c arch/tiny.cfg
expect_error "qarray: --flip: no layer 'c9' in the model" \
    validate -m "$T/m.safetensors" -c arch/tiny.cfg --flip c9:1:1 -o "$T/bad.csv"
expect_error "qarray: --flip: 'c2.conv:1' is not LAYER:INDEX:BIT" \
    validate -m "$T/m.safetensors" -c arch/tiny.cfg --flip c2.conv:1 -o "$T/bad.csv"
expect_error "qarray: bit: 4 outside 0..3" \
    validate -m "$T/m.safetensors" -c arch/tiny.cfg --flip c2.conv:1:4 -o "$T/bad.csv"
expect_error "qarray: --engine: 'fast' is not one of analytic, systemc" validate -m "$T/m.safetensors" --engine fast
expect_error "qarray: --engine: 'c' is not one of analytic, systemc" validate -m "$T/m.safetensors" --engine c
# options that would be silently ignored are refused, naming both
expect_error "qarray: --input: cannot be combined with --dataset (--dataset runs the test set, not random images)" \
    validate -m "$T/m.safetensors" --dataset --input 3
expect_error "qarray: --limit: only with --dataset (it counts test images)" \
    validate -m "$T/m.safetensors" --input 3 --limit 2
expect_error "qarray: --acc-bits: must be in 4..64 bits, is 2" validate -m "$T/m.safetensors" --acc-bits 2
expect_error "qarray: --batch: '0' is not an integer in 1..4096" validate -m "$T/m.safetensors" --batch 0
echo "not a model" >"$T/junk.safetensors"
expect_error "qarray: $T/junk.safetensors: header: header length 8029109312199880558 does not fit a 12-byte file" \
    validate -m "$T/junk.safetensors" -c arch/tiny.cfg -o "$T/bad.csv"
[ -e "$T/bad.csv" ] && fail "bad input left an output file"
ls "$T" | grep -q tmp && fail "temporary file left behind"

[ "$fails" -eq 0 ] || exit 1
echo "cli validate: ok"

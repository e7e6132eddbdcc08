#!/bin/sh
# End-to-end tests of `qarray train`, `eval` and `quantize`: usage on --help;
# a tiny synthetic run writes a checkpoint and an integer model that `eval`
# reads; resuming a finished run changes nothing; bad input gives one line
# "qarray: ..." on stderr, a non-zero exit and no output file.
# Run from the repository root; QARRAY overrides the binary.
Q=${QARRAY:-build/qarray}
T=$(mktemp -d /tmp/qa_cli_train.XXXXXX) || exit 1
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

for c in train eval quantize; do
    "$Q" $c --help | grep -q "^usage: qarray $c" || fail "$c --help"
done

cat >"$T/tiny.cfg" <<'CFG'
model: { arch = "cnn"; width = 1.0; };
data: { synthetic = 600; };
train: { epochs = 1; batch = 50; seed = 2; lr = 0.1; };
quant: { w_method = "sawb"; a_method = "pact"; w_bits = 4; a_bits = 4; alpha_init = 3.0; };
CFG
"$Q" train -c "$T/tiny.cfg" -o "$T/sub/tiny.ckpt" --export "$T/tiny.safetensors" >"$T/log" 2>&1 ||
    fail "tiny run: $(cat "$T/log")"
grep -q '^epoch   1/1 ' "$T/log" || fail "no epoch line"
grep -q '^  alpha: c1.act=' "$T/log" || fail "no alpha line"
grep -q '^integer model: test .*same class on' "$T/log" || fail "no integer check line"
[ -s "$T/sub/tiny.ckpt" ] || fail "no checkpoint"
cp "$T/sub/tiny.ckpt" "$T/before.ckpt"
"$Q" train -c "$T/tiny.cfg" -o "$T/sub/tiny.ckpt" --resume >"$T/log2" 2>&1 || fail "resume: $(cat "$T/log2")"
grep -q '^resumed .* at epoch 1' "$T/log2" || fail "no resume line"
cmp -s "$T/sub/tiny.ckpt" "$T/before.ckpt" || fail "resuming a finished run changed it"
if [ -f /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz ] || [ -n "$QARRAY_FASHION_MNIST" ]; then
    "$Q" eval -m "$T/tiny.safetensors" --limit 100 >"$T/ev" 2>&1 || fail "eval: $(cat "$T/ev")"
    grep -q "integer network, 6 layers, test accuracy .* of 100)" "$T/ev" || fail "eval: $(cat "$T/ev")"
    # eval reads the test set only: a folder without the training files will do
    D=${QARRAY_FASHION_MNIST:-/usr/share/datasets/fashion-mnist}
    mkdir -p "$T/testonly"
    ln -s "$D/t10k-images-idx3-ubyte.gz" "$D/t10k-labels-idx1-ubyte.gz" "$T/testonly/"
    "$Q" eval -m "$T/tiny.safetensors" --limit 100 --data "$T/testonly" >"$T/ev2" 2>&1 ||
        fail "eval without the training files: $(cat "$T/ev2")"
    [ "$(head -n 1 "$T/ev")" = "$(head -n 1 "$T/ev2")" ] || fail "eval of the test-only folder differs"
fi

printf 'model: { arch = "resnet20";\n  widht = 2.0; };\n' >"$T/bad.cfg"
expect_error "qarray: $T/bad.cfg:2: model.widht: unknown key (qarray train --help lists them)" train -c "$T/bad.cfg" -o "$T/bad.ckpt"
[ -e "$T/bad.ckpt" ] && fail "bad recipe left a checkpoint"
expect_error "qarray: train.epochs: must be in 1..10000, is 0" train -c "$T/tiny.cfg" --set train.epochs=0 -o "$T/bad.ckpt"
echo "not a model" >"$T/junk.safetensors"
expect_error "qarray: $T/junk.safetensors: header: header length 8029109312199880558 does not fit a 12-byte file" eval -m "$T/junk.safetensors"
expect_error "qarray: --method: unknown method 'lsq' (pact-sawb, apot, faq, dorefa)" quantize -w resnet50 --method lsq --bits 4 -o "$T/r.safetensors"
expect_error "qarray: --workload: unknown network 'resnet51' (built-in: resnet50, resnet50v1, resnet50preact, resnet18, resnet34, resnet20)" quantize -w resnet51 --method apot --bits 4/4 -o "$T/r.safetensors"
expect_error "qarray: --bits: '4/9' is not W or W/A with bits in 1..8" quantize -w resnet50 --method apot --bits 4/9 -o "$T/r.safetensors"
expect_error "qarray: --wbits: unknown option (qarray quantize --help)" quantize -w resnet50 --method apot --wbits 4 --abits 4 -o "$T/r.safetensors"
expect_error "qarray: --bits: required (qarray quantize --help)" quantize -w resnet50 --method apot -o "$T/r.safetensors"
expect_error "qarray: --resume: only with --out (the checkpoint to continue)" train -c "$T/tiny.cfg" --resume
expect_error "qarray: --set: 'train.epochs' is not KEY=VALUE" train -c "$T/tiny.cfg" --set train.epochs -o "$T/bad.ckpt"
expect_error "qarray: --set: '=4' is not KEY=VALUE" train -c "$T/tiny.cfg" --set =4 -o "$T/bad.ckpt"
[ -e "$T/bad.ckpt" ] && fail "bad --set left a checkpoint"
[ -e "$T/r.safetensors" ] && fail "failed quantize left a file"
ls "$T" | grep -q '\.tmp\.' && fail "temporary file left behind"

[ "$fails" -eq 0 ] && echo "test_cli_train: all passed"
[ "$fails" -eq 0 ]

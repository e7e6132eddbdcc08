#!/bin/sh
# End-to-end `qarray net --onnx` and `qarray run --onnx` on the models of
# tests/onnx (made by tests/onnx/make_models.py): ResNet-18 exported from
# PyTorch gives the built-in network's totals and, on both engines, its
# cycles and per-layer CSV (all but the names); MobileNetV2 and a ViT-B/16
# encoder block run on both engines, which agree exactly at one core and
# unlimited bandwidth; a study file takes an ONNX workload;
# broken models fail with one line naming the file and the node, a
# non-zero exit and no output. Run from the repository root.
set -u
Q=${QARRAY:-build/qarray}
T=$(mktemp -d /tmp/qa_cli_onnx.XXXXXX) || exit 1
trap 'rm -rf "$T"' EXIT
fails=0
fail() {
    echo "FAIL: $*"
    fails=$((fails + 1))
}

# The totals line of `qarray net` is the built-in network's.
want=$("$Q" net -w resnet18 | tail -n 1)
got=$("$Q" net --onnx tests/onnx/resnet18.onnx | tail -n 1)
[ "$got" = "$want" ] || fail "net --onnx resnet18: '$got', want '$want'"
"$Q" net --onnx tests/onnx/mobilenet_v2.onnx | tail -n 1 |
    grep -q '^total: 300774272 MACs' || fail "net --onnx mobilenet_v2: not 300774272 MACs"
# a depthwise conv shows its groups, an attention matmul its heads
"$Q" net --onnx tests/onnx/mobilenet_v2.onnx | grep -q ' conv/32 ' ||
    fail "net --onnx mobilenet_v2: no conv/32 row"
"$Q" net --onnx tests/onnx/vit_b16_block_op17.onnx | grep -q ' matmul/12 ' ||
    fail "net --onnx vit block: no matmul/12 row"

# The same cycles and per-layer CSV as the built-in ResNet-18, both engines.
for engine in analytic systemc; do
    "$Q" run -w resnet18 --bits 4 --engine "$engine" -o "$T/b_$engine" > "$T/b.txt" 2>&1 ||
        fail "run -w resnet18 --engine $engine"
    "$Q" run --onnx tests/onnx/resnet18.onnx --bits 4 --engine "$engine" \
        -o "$T/o_$engine" > "$T/o.txt" 2>&1 || fail "run --onnx resnet18 --engine $engine"
    a=$(grep ' cycles ' "$T/b.txt")
    b=$(grep ' cycles ' "$T/o.txt")
    [ -n "$a" ] && [ "$a" = "$b" ] || fail "$engine: cycles '$b', built-in '$a'"
    cut -d, -f2- "$T/b_$engine/layers.csv" > "$T/b.csv"
    cut -d, -f2- "$T/o_$engine/layers.csv" > "$T/o.csv"
    cmp -s "$T/b.csv" "$T/o.csv" || fail "$engine: layers.csv of the ONNX ResNet-18 differs"
done

# MobileNetV2 and the encoder block on both engines, with a per-layer CSV
# that says how the groups and the matmuls ran.
for m in mobilenet_v2 vit_b16_block_op13; do
    for engine in analytic systemc; do
        "$Q" run --onnx "tests/onnx/$m.onnx" --bits 8 --engine "$engine" \
            -o "$T/$m.csv" > "$T/out.txt" 2>&1 || fail "run --onnx $m --engine $engine"
        grep -q "^$m on pact2018 ($engine engine)" "$T/out.txt" ||
            fail "run --onnx $m --engine $engine: no summary"
    done
done
grep -q 'groups, .* per pass block-diagonal' "$T/mobilenet_v2.csv" ||
    fail "mobilenet_v2: no packed depthwise layer in layers.csv"
grep -q '^self_attn.MatMul_1,matmul,.*both operands activations' "$T/vit_b16_block_op13.csv" ||
    fail "vit block: the Q K^T matmul does not say its operands are activations"

# Where the SystemC model has no contention to add (one core, unlimited
# bandwidth) it agrees with the analytic model on the new layer kinds too.
for m in mobilenet_v2 vit_b16_block_op17 kinds_op13; do
    a=$("$Q" run --onnx "tests/onnx/$m.onnx" --bits 4 --cores 1 --bw unlimited --engine analytic | grep ' cycles ')
    s=$("$Q" run --onnx "tests/onnx/$m.onnx" --bits 4 --cores 1 --bw unlimited --engine systemc | grep ' cycles ')
    [ -n "$a" ] && [ "$a" = "$s" ] || fail "$m, 1 core, unlimited: analytic '$a', systemc '$s'"
done

# A study whose workload is an ONNX model (the onnx key), one point.
cat > "$T/study.cfg" <<EOF
name = "onnx";
arch = "arch/pact2018.cfg";
out = "$T/sweep";
onnx = "tests/onnx/mobilenet_v2.onnx";
engine = "analytic";
bits = [8];
EOF
"$Q" sweep -s "$T/study.cfg" --no-plot > "$T/sweep.txt" 2>&1 || fail "sweep with onnx = ..."
grep -q 'tests/onnx/mobilenet_v2.onnx' "$T/sweep/points.csv" || fail "points.csv has no ONNX workload"
sed 's|^onnx = .*|onnx = "resnet50";|' "$T/study.cfg" > "$T/bad.cfg"
if "$Q" sweep -s "$T/bad.cfg" > "$T/out.txt" 2> "$T/err.txt"; then fail "onnx = resnet50 accepted"; fi
grep -q 'onnx: "resnet50": expected an ONNX model path ending in .onnx' "$T/err.txt" ||
    fail "onnx = resnet50: $(cat "$T/err.txt")"
sed 's|^engine = .*|workload = "resnet18";|' "$T/study.cfg" > "$T/both.cfg"
if "$Q" sweep -s "$T/both.cfg" > "$T/out.txt" 2> "$T/err.txt"; then fail "workload and onnx accepted"; fi
grep -q 'the workload is given twice (workload and onnx are one axis)' "$T/err.txt" ||
    fail "workload and onnx: $(cat "$T/err.txt")"

# expect_error STATUS MESSAGE ARGS...: exit status, stderr = MESSAGE, stdout empty
expect_error() {
    status=$1 want=$2
    shift 2
    "$Q" "$@" > "$T/out" 2> "$T/err"
    rc=$?
    [ "$rc" = "$status" ] || fail "qarray $*: exit $rc, want $status"
    [ -s "$T/out" ] && fail "qarray $*: printed to stdout"
    [ "$(cat "$T/err")" = "$want" ] || fail "qarray $*: stderr '$(cat "$T/err")', want '$want'"
}
B=tests/onnx/bad
expect_error 1 "qarray: $B/unsupported_op.onnx: nms1: NonMaxSuppression: unsupported op 'NonMaxSuppression' of domain 'ai.onnx' (opset 13)" \
    net --onnx $B/unsupported_op.onnx
expect_error 1 "qarray: $B/truncated.onnx: not an ONNX model, or cut short: its 5162 bytes do not parse as a ModelProto" \
    run --onnx $B/truncated.onnx -o "$T/none"
[ -e "$T/none" ] && fail "a failed run wrote its output"
expect_error 1 "qarray: $B/dynamic_batch.onnx: graph: input 'input': dimension 0 ('batch') is dynamic: give the input's shape with --input-shape input=D0xD1x... (a study: input_shape = \"input=...\")" \
    net --onnx $B/dynamic_batch.onnx
"$Q" net --onnx $B/dynamic_batch.onnx --input-shape input=1x8x10x10 > /dev/null 2>&1 ||
    fail "--input-shape does not fix the dynamic batch"
# A study gives the shape with input_shape; its points equal qarray run's.
cat > "$T/dyn.cfg" <<EOF
name = "dyn"; arch = "arch/tiny.cfg"; out = "$T/dyn"; engine = "analytic";
onnx = "$B/dynamic_batch.onnx";
input_shape = "input=1x8x10x10";
bits = 4;
EOF
"$Q" sweep -s "$T/dyn.cfg" --no-plot -j 1 >/dev/null 2>"$T/err" || fail "study input_shape: $(cat "$T/err")"
"$Q" run -c arch/tiny.cfg --engine analytic --onnx $B/dynamic_batch.onnx \
    --input-shape input=1x8x10x10 -b 4 > "$T/dyn_run.txt" 2>&1 || fail "dyn run"
want=$(sed -n 's/^ *cycles *\([0-9,]*\).*/\1/p' "$T/dyn_run.txt" | head -1 | tr -d ,)
got=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "cycles") c = i } NR == 2 { print $c }' "$T/dyn/points.csv")
[ -n "$want" ] && [ "$got" = "$want" ] || fail "study input_shape: cycles $got, qarray run $want"
sed 's/input_shape = .*/input_shape = "input=1x8xx10";/' "$T/dyn.cfg" > "$T/dyn_bad.cfg"
expect_error 1 "qarray: $T/dyn_bad.cfg:3: input_shape: 'input=1x8xx10': expected 1 to 8 dimensions after '=', as 1x3x224x224" \
    sweep -s "$T/dyn_bad.cfg" --no-plot
expect_error 2 "qarray: --input-shape: 'input=1xx8': expected 1 to 8 dimensions after '=', as 1x3x224x224" \
    net --onnx $B/dynamic_batch.onnx --input-shape input=1xx8
expect_error 2 "qarray: --input-shape: only with --onnx" net -w resnet18 --input-shape input=1
# A study's input_shape that nothing would read, an empty list and a
# misspelt name are refused, each naming what is wrong.
sed 's/^onnx = .*/workload = "resnet20";/' "$T/dyn.cfg" > "$T/dyn_bad.cfg"
expect_error 1 "qarray: $T/dyn_bad.cfg:3: input_shape: no workload of the study is an ONNX model (.onnx): the shapes would apply to nothing" \
    sweep -s "$T/dyn_bad.cfg" --no-plot
sed 's/input_shape = .*/input_shape = [];/' "$T/dyn.cfg" > "$T/dyn_bad.cfg"
expect_error 1 "qarray: $T/dyn_bad.cfg:3: input_shape: empty list: give at least one NAME=D0xD1x... or leave input_shape out" \
    sweep -s "$T/dyn_bad.cfg" --no-plot
sed 's/input_shape = .*/input_shape = "inptu=1x8x10x10";/' "$T/dyn.cfg" > "$T/dyn_bad.cfg"
expect_error 1 "qarray: $B/dynamic_batch.onnx: graph: an input shape is given for 'inptu', which is not an input of the graph (or is an initializer)" \
    sweep -s "$T/dyn_bad.cfg" --no-plot
expect_error 1 "qarray: $B/cycle.onnx: relu1: Relu: the graph has a cycle: input 'c1' depends on this node's own output" \
    net --onnx $B/cycle.onnx

# A FIFO named as the model (or as its external data, or as the model of
# qarray eval) is refused before it is opened: the open would wait for a
# writer forever. timeout turns a hang into exit 124.
mkfifo "$T/fifo.onnx"
timeout 10 "$Q" run --onnx "$T/fifo.onnx" > "$T/out" 2> "$T/err"
rc=$?
[ "$rc" = 1 ] || fail "run --onnx FIFO: exit $rc, want 1"
[ "$(cat "$T/err")" = "qarray: $T/fifo.onnx: cannot open ONNX model: not a regular file" ] ||
    fail "run --onnx FIFO: stderr '$(cat "$T/err")'"
timeout 10 "$Q" eval -m "$T/fifo.onnx" > "$T/out" 2> "$T/err"
rc=$?
[ "$rc" = 1 ] || fail "eval -m FIFO: exit $rc, want 1"
[ "$(cat "$T/err")" = "qarray: $T/fifo.onnx: cannot open ONNX model: not a regular file" ] ||
    fail "eval -m FIFO: stderr '$(cat "$T/err")'"
mkdir "$T/ext"
cp tests/onnx/external.onnx "$T/ext/"
mkfifo "$T/ext/external.onnx.data"
timeout 10 "$Q" net --onnx "$T/ext/external.onnx" > "$T/out" 2> "$T/err"
rc=$?
[ "$rc" = 1 ] || fail "external data FIFO: exit $rc, want 1"
grep -q "external data file '$T/ext/external.onnx.data' cannot be read" "$T/err" ||
    fail "external data FIFO: stderr '$(cat "$T/err")'"

[ "$fails" = 0 ] || exit 1
echo "test_cli_onnx: ok"

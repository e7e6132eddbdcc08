#!/bin/sh
# End-to-end tests of quantized ONNX models (quant/int/onnx_q.c): the QDQ
# models of tests/onnx/make_qdq.py run bit-exact on the simulated chip
# (qarray validate), QLinearConv / QLinearMatMul among them, and per-layer
# bits reach qarray run; malformed
# quantization parameters and ops that cannot run as integers give one error
# line naming the node; and ONNX Runtime (npm onnxruntime-node, installed
# into build/ort with --ignore-scripts) computes the same codes as qarray's
# integer reference, layer by layer, on 1000 Fashion-MNIST test images: the
# hand-made models bit-exact, the PyTorch-quantized CNN
# (tests/onnx/make_torch_qdq.py) within 1 LSB on a few codes in 10^5 (its
# float bias and ONNX Runtime's float accumulation). qarray export --onnx
# writes a trained qarray model (tests/onnx/qarray_cnn_w4a4.safetensors)
# that reads back as the same integer network with the same logits, and
# that ONNX Runtime classifies as qarray does.
# Run from the repository root; QARRAY overrides the binary, ORT_DIR the
# folder of onnxruntime-node.
Q=${QARRAY:-build/qarray}
ORT_DIR=${ORT_DIR:-build/ort}
O=tests/onnx
B=$O/bad
T=$(mktemp -d "${TMPDIR:-/tmp}/qa_cli_onnxq.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
fails=0
export OMP_NUM_THREADS=1

fail() {
    echo "FAIL: $*"
    fails=$((fails + 1))
}

expect_error() {
    want=$1
    shift
    if "$Q" "$@" >"$T/out" 2>"$T/err"; then
        fail "qarray $*: exit 0"
    fi
    [ "$(cat "$T/err")" = "$want" ] ||
        fail "qarray $*: stderr '$(cat "$T/err")', want '$want'"
}

for m in qdq_cnn_op13 qdq_odd_op13 qdq_int4_op21 qlinear_op13 torch_cnn_op13; do
    "$Q" validate -m $O/$m.onnx --arch arch/tiny.cfg --input 2 >"$T/v" 2>&1 ||
        fail "validate $m: $(tail -3 "$T/v")"
    grep -q "mismatches 0, overflowing layers 0" "$T/v" || fail "validate $m: not bit-exact"
done
# per-layer bits from the model: the int4 model's convs are 4-bit weights
"$Q" run --arch arch/tiny.cfg -m $O/qdq_int4_op21.onnx -o "$T/run.csv" >/dev/null 2>&1 ||
    fail "run -m qdq_int4_op21.onnx"
grep -q "^conv13,.*" "$T/run.csv" || fail "run -m: no layer conv13"
[ "$(head -1 "$T/run.csv" | tr ',' '\n' | grep -n '^w_bits$' | cut -d: -f1)" ] &&
    col=$(head -1 "$T/run.csv" | tr ',' '\n' | grep -n '^w_bits$' | cut -d: -f1) &&
    [ "$(grep '^conv13,' "$T/run.csv" | cut -d, -f"$col")" = 4 ] ||
    fail "run -m: conv13 does not have 4-bit weights"

# qarray's model out and back
S=$O/qarray_cnn_w4a4
"$Q" export -m $S.safetensors --onnx "$T/cnn.onnx" >"$T/x" 2>&1 || fail "export: $(cat "$T/x")"
grep -q "opset 21; read back: the same integer network" "$T/x" || fail "export: $(cat "$T/x")"
"$Q" eval -m $S.safetensors --limit 1000 -o "$T/a.csv" --codes "$T/a.bin" >/dev/null 2>&1 &&
    "$Q" eval -m "$T/cnn.onnx" --limit 1000 -o "$T/b.csv" --codes "$T/b.bin" >/dev/null 2>&1 &&
    cmp -s "$T/a.csv" "$T/b.csv" && cmp -s "$T/a.bin" "$T/b.bin" ||
    fail "export: the ONNX model's logits or codes differ from the model file's"
expect_error "qarray: --onnx: required (qarray export --help)" export -m $S.safetensors
# ResNet-20: residual branches and adds out and back
"$Q" quantize -w resnet20 --method pact-sawb -b 4/4 -o "$T/r20.safetensors" >/dev/null 2>&1
"$Q" export -m "$T/r20.safetensors" --onnx "$T/r20.onnx" >"$T/x" 2>&1 &&
    grep -q "31 layers .* read back: the same integer network" "$T/x" ||
    fail "export resnet20: $(cat "$T/x")"
"$Q" eval -m "$T/r20.safetensors" --limit 20 --codes "$T/a.bin" >/dev/null 2>&1 &&
    "$Q" eval -m "$T/r20.onnx" --limit 20 --codes "$T/b.bin" >/dev/null 2>&1 &&
    cmp -s "$T/a.bin" "$T/b.bin" || fail "export resnet20: the codes differ when read back"
# 3-bit APoT and 2-bit FAQ weights (in int4, with their bits in the
# metadata) keep their bits through export and read-back
for mb in apot:3 faq:2; do
    m=${mb%:*} b=${mb#*:}
    "$Q" quantize -w resnet20 --method $m -b $b/$b -o "$T/r20_$m.safetensors" >/dev/null 2>&1
    "$Q" export -m "$T/r20_$m.safetensors" --onnx "$T/r20_$m.onnx" >"$T/x" 2>&1 &&
        grep -q "read back: the same integer network" "$T/x" || fail "export $m $b-bit: $(cat "$T/x")"
    "$Q" run --arch arch/tiny.cfg -m "$T/r20_$m.onnx" -o "$T/r20_$m.csv" >/dev/null 2>&1 ||
        fail "run -m $m $b-bit"
    col=$(head -1 "$T/r20_$m.csv" | tr ',' '\n' | grep -n '^w_bits$' | cut -d: -f1)
    [ "$(grep '^layer1.0.conv1,' "$T/r20_$m.csv" | cut -d, -f"$col")" = "$b" ] ||
        fail "export $m: layer1.0.conv1 does not have $b-bit weights when read back"
done
expect_error "qarray: $T/none/r20.onnx: cannot write: No such file or directory" \
    export -m "$T/r20.safetensors" --onnx "$T/none/r20.onnx"

expect_error "qarray: $B/q_zero_scale.onnx: node 'wdq8' (DequantizeLinear): scale 0: scales must be finite and positive" \
    eval -m $B/q_zero_scale.onnx
expect_error "qarray: $B/q_nan_scale.onnx: node 'wdq8' (DequantizeLinear): scale nan: scales must be finite and positive" \
    eval -m $B/q_nan_scale.onnx
expect_error "qarray: $B/q_channels.onnx: node 'wdq8' (DequantizeLinear): per-channel scale has 3 values, axis 0 has 4" \
    validate -m $B/q_channels.onnx
expect_error "qarray: $B/q_zero_point.onnx: graph: constant 'zp2': value 300 outside uint8" \
    validate -m $B/q_zero_point.onnx
expect_error "qarray: $B/q_asym_weights.onnx: node 'conv13' (Conv): weight zero point 0 of uint8 codes: the array takes symmetric signed weights (codes minus zero point would need 9 bits)" \
    validate -m $B/q_asym_weights.onnx
expect_error "qarray: $B/q_float_op.onnx: node 'relu14' (Sigmoid): Sigmoid cannot run as integers on the array (quantized models take QuantizeLinear, DequantizeLinear, QLinearConv, QLinearMatMul, Conv, Gemm, MatMul, Add, Relu, Clip, MaxPool, GlobalAveragePool and shape-only ops)" \
    validate -m $B/q_float_op.onnx
expect_error "qarray: $B/q_int32_codes.onnx: node 'q17' (QuantizeLinear): 32-bit codes: above the array's widest (16 bits)" \
    run -m $B/q_int32_codes.onnx
# QLinearConv / QLinearMatMul: malformed parameters, and ONNX's own
# QLinearConv test (libonnx-testdata), whose uint8 weights with zero point
# 255 the array cannot take
expect_error "qarray: $B/qlin_channels.onnx: node 'qconv12' (QLinearConv): 7 scales but 8 zero points" \
    validate -m $B/qlin_channels.onnx
expect_error "qarray: $B/qlin_zero_scale.onnx: node 'qconv12' (QLinearConv): scale 0: scales must be finite and positive" \
    eval -m $B/qlin_zero_scale.onnx
expect_error "qarray: $B/qlin_float_bias.onnx: node 'qconv12' (QLinearConv): the bias 'b11' must be an int32 constant of 8 values (x_scale x w_scale units)" \
    validate -m $B/qlin_float_bias.onnx
expect_error "qarray: $B/qlin_testdata_asym.onnx: node 'qlinearconv9' (QLinearConv): weight zero point 255 of uint8 codes: the array takes symmetric signed weights (codes minus zero point would need 9 bits)" \
    validate -m $B/qlin_testdata_asym.onnx

# QONNX: the same network as Quant nodes, IntQuant nodes and QDQ with the
# weights' bits in the metadata (tests/onnx/make_qonnx.py) is one integer
# network: the same codes, logits and per-layer bits (3-, 2- and 5-bit
# weights stay so)
for m in qonnx_w3a4 qonnx_intquant qonnx_twin_op13; do
    "$Q" eval -m $O/$m.onnx --limit 200 -o "$T/$m.csv" --codes "$T/$m.bin" >/dev/null 2>&1 &&
        "$Q" run --arch arch/tiny.cfg -m $O/$m.onnx -o "$T/$m.run.csv" >/dev/null 2>&1 ||
        fail "qonnx $m: not read"
done
for m in qonnx_intquant qonnx_twin_op13; do
    cmp -s "$T/qonnx_w3a4.csv" "$T/$m.csv" && cmp -s "$T/qonnx_w3a4.bin" "$T/$m.bin" &&
        cmp -s "$T/qonnx_w3a4.run.csv" "$T/$m.run.csv" ||
        fail "qonnx: $m is not the same integer network as qonnx_w3a4"
done
col=$(head -1 "$T/qonnx_w3a4.run.csv" | tr ',' '\n' | grep -n '^w_bits$' | cut -d: -f1)
[ "$(grep '^conv' "$T/qonnx_w3a4.run.csv" | cut -d, -f"$col" | tr '\n' ' ')" = "3 2 5 " ] ||
    fail "qonnx: weight bits $(grep '^conv' "$T/qonnx_w3a4.run.csv" | cut -d, -f"$col" | tr '\n' ' '), want 3 2 5"
expect_error "qarray: $B/qonnx_bits_frac.onnx: node 'wquant13' (Quant): bit width 2.5: an integer of 2..32 bits" \
    validate -m $B/qonnx_bits_frac.onnx
expect_error "qarray: $B/qonnx_bits_wide.onnx: node 'wquant13' (Quant): 17-bit codes: above the array's widest (16 bits)" \
    validate -m $B/qonnx_bits_wide.onnx
expect_error "qarray: $B/qonnx_rounding.onnx: node 'wquant13' (Quant): rounding_mode HALF_UP: ROUND, ROUND_TO_ZERO and FLOOR are read" \
    validate -m $B/qonnx_rounding.onnx
expect_error "qarray: $B/qonnx_act_floor.onnx: node 'quant30' (Quant): rounding_mode FLOOR of an activation: the array's requantization rounds to nearest (ROUND)" \
    eval -m $B/qonnx_act_floor.onnx
expect_error "qarray: $B/qonnx_zero_scale.onnx: node 'quant30' (Quant): scale 0: scales must be finite and positive" \
    validate -m $B/qonnx_zero_scale.onnx
expect_error "qarray: $B/qonnx_channels.onnx: node 'wquant13' (Quant): 7 scales: per channel along the weights' first axis only (one scale per tensor is what the array's requantization takes)" \
    validate -m $B/qonnx_channels.onnx
expect_error "qarray: $B/qdq_weight_bits.onnx: node 'conv1' (Conv): the metadata declares 9-bit weights, their codes are 8-bit" \
    validate -m $B/qdq_weight_bits.onnx

# ONNX Runtime as the outside reference: needs node, npm (to install it
# once) and Debian's python3-onnx (for the taps).
DATA=/usr/share/datasets/fashion-mnist
if ! command -v node >/dev/null || ! /usr/bin/python3 -c "import onnx" 2>/dev/null ||
    [ ! -e "$DATA/t10k-images-idx3-ubyte.gz" ]; then
    echo "test_cli_onnxq: SKIP onnxruntime comparison (needs node, python3-onnx and dataset-fashion-mnist)"
else
    if [ ! -d "$ORT_DIR/node_modules/onnxruntime-node" ]; then
        mkdir -p "$ORT_DIR" && npm install --prefix "$ORT_DIR" --ignore-scripts --no-audit \
            --no-fund onnxruntime-node@1.31.1 >"$T/npm" 2>&1 || fail "npm install: $(tail -3 "$T/npm")"
    fi
    for m in qdq_cnn_op13 qdq_odd_op13 qdq_int4_op21 qlinear_op13 qonnx_twin_op13; do
        /usr/bin/python3 $O/taps.py $O/$m.onnx "$T/taps.onnx" &&
            "$Q" eval -m $O/$m.onnx --limit 1000 -o "$T/l.csv" --codes "$T/c.bin" >/dev/null &&
            node $O/ort_compare.js "$ORT_DIR" $O/$m.onnx "$T/l.csv" "$DATA" 1000 "$T/taps.onnx" \
                "$T/c.bin" >"$T/cmp" 2>&1 || fail "ort_compare $m: $(cat "$T/cmp")"
        grep -q "codes differ" "$T/cmp" || fail "ort_compare $m: no layers compared"
        grep "codes differ" "$T/cmp" | grep -qv "(bit-exact)" &&
            fail "ort_compare $m: $(cat "$T/cmp")"
    done
    node $O/ort_compare.js "$ORT_DIR" "$T/cnn.onnx" "$T/a.csv" "$DATA" 1000 >"$T/cmp" 2>&1 ||
        fail "ort_compare export: $(cat "$T/cmp")"
    grep -q "predicted class equal on 1000 (100.00%)" "$T/cmp" ||
        fail "ort_compare export: $(cat "$T/cmp")"
    m=torch_cnn_op13
    "$Q" eval -m $O/$m.onnx --limit 1000 -o "$T/l.csv" --codes "$T/c.bin" >/dev/null &&
        /usr/bin/python3 $O/taps.py $O/$m.onnx "$T/taps.onnx" &&
        node $O/ort_compare.js "$ORT_DIR" $O/$m.onnx "$T/l.csv" "$DATA" 1000 "$T/taps.onnx" \
            "$T/c.bin" >"$T/cmp" 2>&1 || fail "ort_compare $m: $(cat "$T/cmp")"
    [ "$(grep -c "codes differ" "$T/cmp")" = 4 ] || fail "ort_compare $m: $(cat "$T/cmp")"
    # every layer: at most 1 LSB, on fewer than 1 code in 10^4
    awk '/codes differ/ { if ($3 * 10000 > $5) bad = 1;
                          if ($0 ~ /at most/ && $(NF - 1) > 1) bad = 1 }
         /predicted class equal/ { split($0, a, "("); if (a[2] + 0 < 95) bad = 1 }
         END { exit bad }' "$T/cmp" || fail "ort_compare $m: $(cat "$T/cmp")"
fi

[ "$fails" = 0 ] || exit 1
echo "test_cli_onnxq: ok"

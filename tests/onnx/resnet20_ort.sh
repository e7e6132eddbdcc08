#!/bin/sh
# The 10,000-image measurements of quant/int/README.md (not part of make
# test: about 15 min on two cores, most of it training):
#  1. a ResNet-20 trained by PyTorch (tests/onnx/make_torch_resnet20.py,
#     300 steps) and quantized by PyTorch's own post-training quantization
#     (qnnpack), exported as QDQ: qarray's integer network vs ONNX Runtime;
#  2. a ResNet-20 trained by qarray (tests/onnx/qarray_r20_w4a4.cfg, 300
#     steps at W4/A4) exported with qarray export --onnx: ONNX Runtime vs
#     qarray's integer network.
# Each: predicted classes, accuracies and logits on the 10,000 test images,
# every layer's codes on the first 1,000 for PyTorch's model
# (tests/onnx/ort_compare.js). Run from the repository root after make;
# OUT (default results/onnx_r20) keeps the models and logs.
set -e
Q=${QARRAY:-build/qarray}
ORT_DIR=${ORT_DIR:-build/ort}
DATA=${QARRAY_FASHION_MNIST:-/usr/share/datasets/fashion-mnist}
OUT=${OUT:-results/onnx_r20}
O=tests/onnx
mkdir -p "$OUT"
if [ ! -d "$ORT_DIR/node_modules/onnxruntime-node" ]; then
    mkdir -p "$ORT_DIR"
    npm install --prefix "$ORT_DIR" --ignore-scripts --no-audit --no-fund onnxruntime-node@1.31.1
fi

# Classes and logits on all 10,000 test images; every layer's codes on the
# first 1,000 (a ResNet-20's codes take 878 KB an image).
# (qarray's own export keeps a residual branch as int32 without a
# QuantizeLinear: no tap, so its layers are compared through the read-back
# check of qarray export instead.)
compare() { # MODEL.onnx NAME [taps]
    "$Q" eval -m "$1" -o "$OUT/$2.csv" | head -n 1
    node $O/ort_compare.js "$ORT_DIR" "$1" "$OUT/$2.csv" "$DATA" 10000
    [ "${3:-}" = taps ] || return 0
    /usr/bin/python3 $O/taps.py "$1" "$OUT/$2_taps.onnx"
    "$Q" eval -m "$1" --limit 1000 -o "$OUT/$2_1k.csv" --codes "$OUT/$2.codes" >/dev/null
    node $O/ort_compare.js "$ORT_DIR" "$1" "$OUT/$2_1k.csv" "$DATA" 1000 "$OUT/$2_taps.onnx" \
        "$OUT/$2.codes"
    rm -f "$OUT/$2.codes"
}

[ -e "$OUT/torch_r20.onnx" ] ||
    /usr/bin/python3 $O/make_torch_resnet20.py "$OUT/torch_r20.onnx" 300 2>&1 | grep -v Warning
compare "$OUT/torch_r20.onnx" torch_r20 taps

[ -e "$OUT/qarray_r20.safetensors" ] ||
    "$Q" train -c $O/qarray_r20_w4a4.cfg -o "$OUT/qarray_r20.ckpt" \
        --export "$OUT/qarray_r20.safetensors" | grep -v alpha
"$Q" export -m "$OUT/qarray_r20.safetensors" --onnx "$OUT/qarray_r20.onnx"
"$Q" eval -m "$OUT/qarray_r20.safetensors" | head -n 1
compare "$OUT/qarray_r20.onnx" qarray_r20

#!/usr/bin/python3
"""Copy of an ONNX model whose inputs and outputs take any batch: the first
dimension of each becomes the symbolic "N". `qarray export --onnx` writes
batch 1 (one image, as ONNX Runtime's comparison runs it); the speed
comparison of `make bench` (tests/tools/ort_bench.js) runs batches.

usage: /usr/bin/python3 tests/tools/onnx_batch.py IN.onnx OUT.onnx
(Debian's python3-onnx.)"""
import sys

import onnx


def main():
    src, dst = sys.argv[1:3]
    m = onnx.load(src)
    for v in list(m.graph.input) + list(m.graph.output):
        v.type.tensor_type.shape.dim[0].dim_param = "N"
    onnx.save(m, dst)


if __name__ == "__main__":
    main()

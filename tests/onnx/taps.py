#!/usr/bin/python3
"""Adds every integer layer's output codes to a QDQ model's outputs, for
the layer-by-layer comparison of tests/onnx/ort_compare.js:
    /usr/bin/python3 tests/onnx/taps.py IN.onnx OUT.onnx
A tap is the QuantizeLinear that ends a layer (after a Conv, Relu, Clip, Add
or MaxPool), a QLinearConv, or a MaxPool of a QLinearConv's or
QuantizeLinear's codes, in node order: the order in which qarray makes its
integer ops (quant/int/onnx_q.c). Each is cast to int32 and named tap_K_offO, O the
offset of signed codes to qarray's unsigned ones (128 for int8)."""
import sys

import onnx
from onnx import TensorProto, helper

m = onnx.load(sys.argv[1])
g = m.graph
made_by = {o: n for n in g.node for o in n.output}
inits = {t.name: t for t in g.initializer}
offsets = {TensorProto.INT8: 128, TensorProto.INT16: 32768, 22: 8}
k = 0

def zero_point(n):
    """The zero point of the codes n makes (QuantizeLinear: input 2,
    QLinearConv: input 7, MaxPool: its input's)."""
    if n.op_type == "MaxPool":
        return zero_point(made_by[n.input[0]])
    k = 7 if n.op_type == "QLinearConv" else 2
    return inits.get(n.input[k]) if len(n.input) > k else None


for n in list(g.node):
    src = made_by.get(n.input[0]) if n.input else None
    if n.op_type == "QLinearConv":
        pass
    elif n.op_type == "MaxPool":
        if src is None or src.op_type not in ("QLinearConv", "QuantizeLinear"):
            continue
    elif n.op_type != "QuantizeLinear":
        continue
    elif src is None or src.op_type not in ("Conv", "Relu", "Clip", "Add", "MaxPool"):
        continue
    zp = zero_point(n)
    off = offsets.get(zp.data_type, 0) if zp is not None else 0
    name = f"tap_{k}_off{off}"
    g.node.append(helper.make_node("Cast", [n.output[0]], [name], to=TensorProto.INT32))
    g.output.append(helper.make_tensor_value_info(name, TensorProto.INT32, None))
    k += 1
onnx.save(m, sys.argv[2])

#!/usr/bin/python3
"""Builds the quantized (QDQ) ONNX test models of tests/test_cli_onnxq.sh.

Run with Debian's Python (python3-onnx 1.12 lives there):
    /usr/bin/python3 tests/onnx/make_qdq.py [OUTDIR]
Every model takes a 1x1x28x28 image (a Fashion-MNIST test image) quantized
with scale 1/255, and ends in global average pooling and a Gemm, qarray's
integer classifier. Weights are seeded random codes; scales are chosen so
the activations use their range. Deterministic; the outputs (a few KB) are
committed, rerun this only to change them.
  qdq_cnn_op13     per-channel int8 conv, MaxPool, depthwise conv (group 8),
                   uint8 activations with a zero point after a conv without
                   Relu, 1x1 conv, int32 biases
  qdq_odd_op13     5x3 kernels, stride 2, 7 and 13 channels, uint8 weights
                   with zero point 128, Clip to 4-bit codes, residual Add
  qdq_int4_op21    int4 per-channel weights, uint4 activations (opset 21)
  qlinear_op13     QLinearConv (int8 per-channel weights with an int32 bias;
                   uint8 weights with zero point 128; a 1x1 conv at stride 2),
                   MaxPool of uint8 codes, QLinearMatMul as the classifier
  bad/q_*.onnx     malformed quantization parameters and ops that cannot run
                   as integers (each gets one error line)
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
BAD = os.path.join(OUT, "bad")
os.makedirs(BAD, exist_ok=True)
INT4, UINT4 = 22, 21


def save(model, path):
    onnx.save(model, path)
    print(f"{path}: {os.path.getsize(path)} bytes")


def tensor(name, arr, dt=None):
    """An initializer; dt INT4/UINT4 packs two codes a byte (onnx 1.12 has no
    helper for them)."""
    if dt in (INT4, UINT4):
        codes = (np.asarray(arr).astype(np.int64).ravel() & 15).astype(np.uint8)
        if codes.size % 2:
            codes = np.append(codes, 0)
        raw = (codes[0::2] | (codes[1::2] << 4)).astype(np.uint8).tobytes()
        return TensorProto(name=name, data_type=dt, dims=list(np.shape(arr)), raw_data=raw)
    return numpy_helper.from_array(np.asarray(arr), name)


class G:
    """A graph under construction."""

    def __init__(self, name, wdt=np.int8, adt=np.uint8):
        self.name, self.nodes, self.inits, self.n = name, [], [], 0
        self.rng = np.random.default_rng(sum(map(ord, name)))

    def uniq(self, p):
        self.n += 1
        return f"{p}{self.n}"

    def init(self, p, arr, dt=None):
        n = self.uniq(p)
        self.inits.append(tensor(n, arr, dt))
        return n

    def node(self, op, ins, p, **attrs):
        out = self.uniq(p)
        self.nodes.append(helper.make_node(op, ins, [out], name=out, **attrs))
        return out

    def q(self, x, scale, zp, zdt=np.uint8, qdt=None):
        s = self.init("s", np.float32(scale))
        z = self.init("zp", np.array(zp, dtype=zdt) if qdt is None else np.array(zp), qdt)
        return self.node("QuantizeLinear", [x, s, z], "q"), s, z

    def dq(self, x, s, z):
        return self.node("DequantizeLinear", [x, s, z], "dq")

    def qdq(self, x, scale, zp=0, zdt=np.uint8, qdt=None):
        y, s, z = self.q(x, scale, zp, zdt, qdt)
        return self.dq(y, s, z)

    def weights(self, shape, bits=8, signed=True, zp=0, per_channel=True, qdt=None):
        lo, hi = (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1) if signed else (0, 2**bits - 1)
        codes = self.rng.integers(lo, hi + 1, size=shape)
        K = shape[0]
        fan = int(np.prod(shape[1:]))
        base = 1.0 / (np.sqrt(fan) * (hi - lo) / 4)
        scale = (base * self.rng.uniform(0.7, 1.3, size=K)).astype(np.float32)
        if not per_channel:
            scale = np.float32(scale[0])
        dt = np.int8 if signed and qdt is None else np.uint8 if qdt is None else None
        w = self.init("w", codes.astype(dt) if dt else codes, qdt)
        s = self.init("ws", scale)
        zpa = np.full(K, zp) if per_channel else np.array(zp)
        z = self.init("wz", zpa.astype(dt) if dt else zpa, qdt)
        kw = {"axis": 0} if per_channel else {}
        return self.node("DequantizeLinear", [w, s, z], "wdq", **kw), scale

    def bias(self, K, s_x, s_w):
        s_b = (np.float32(s_x) * np.asarray(s_w, dtype=np.float32)).astype(np.float32)
        codes = self.rng.integers(-2000, 2000, size=K).astype(np.int32)
        b = self.init("b", codes)
        s = self.init("bs", s_b if np.ndim(s_b) else np.float32(s_b))
        z = self.init("bz", np.zeros(K, np.int32) if np.ndim(s_b) else np.int32(0))
        kw = {"axis": 0} if np.ndim(s_b) else {}
        return self.node("DequantizeLinear", [b, s, z], "bdq", **kw)

    def conv(self, x, s_x, K, C, R, S, s_y, zp_y=0, stride=1, pad=0, group=1, act="relu",
             bits=8, signed=True, wzp=0, qdt=None, out_qdt=None, out_zdt=np.uint8, clip=None):
        w, s_w = self.weights((K, C // group, R, S), bits, signed, wzp, qdt=qdt)
        b = self.bias(K, s_x, s_w)
        y = self.node("Conv", [x, w, b], "conv", strides=[stride, stride],
                      pads=[pad] * 4, group=group, kernel_shape=[R, S])
        if act == "relu":
            y = self.node("Relu", [y], "relu")
        if clip is not None:
            lo = self.init("clo", np.float32(0.0))
            hi = self.init("chi", np.float32(clip))
            y = self.node("Clip", [y, lo, hi], "clip")
        return self.qdq(y, s_y, zp_y, out_zdt, out_qdt)

    def head(self, x, s_x, C, K=10):
        g = self.node("GlobalAveragePool", [x], "gap")
        g = self.qdq(g, s_x)
        f = self.node("Flatten", [g], "flat")
        w, s_w = self.weights((K, C), per_channel=False)
        b = self.bias(K, s_x, s_w)
        return self.node("Gemm", [f, w, b], "fc", transB=1)

    def model(self, out, opset=13, ir=7):
        inp = helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 1, 28, 28])
        outp = helper.make_tensor_value_info(out, TensorProto.FLOAT, [1, 10])
        g = helper.make_graph(self.nodes, self.name, [inp], [outp], self.inits)
        m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)],
                              producer_name="qarray tests/onnx/make_qdq.py")
        m.ir_version = ir
        return m


def cnn():
    g = G("qdq_cnn")
    x = g.qdq("image", 1 / 255)
    x = g.conv(x, 1 / 255, 8, 1, 3, 3, 0.02, pad=1)
    x = g.node("MaxPool", [x], "pool", kernel_shape=[2, 2], strides=[2, 2])
    x = g.qdq(x, 0.02)
    x = g.conv(x, 0.02, 8, 8, 3, 3, 0.03, zp_y=110, pad=1, group=8, act=None)
    x = g.conv(x, 0.03, 16, 8, 1, 1, 0.02)
    return g.model(g.head(x, 0.02, 16))


def odd():
    g = G("qdq_odd")
    x = g.qdq("image", 1 / 255)
    x = g.conv(x, 1 / 255, 7, 1, 5, 3, 0.05, stride=2, pad=1, act=None, signed=False,
               wzp=128, clip=0.75)
    a = g.conv(x, 0.05, 13, 7, 3, 3, 0.04, pad=1)
    b = g.conv(x, 0.05, 13, 7, 1, 1, 0.04)
    y = g.node("Add", [a, b], "add")
    y = g.node("Relu", [y], "relu")
    y = g.qdq(y, 0.06)
    return g.model(g.head(y, 0.06, 13))


def int4():
    g = G("qdq_int4")
    x = g.qdq("image", 1 / 255)
    x = g.conv(x, 1 / 255, 8, 1, 3, 3, 0.1, pad=1, bits=4, qdt=INT4, out_qdt=UINT4)
    x = g.conv(x, 0.1, 12, 8, 3, 3, 0.1, stride=2, bits=4, qdt=INT4, out_qdt=UINT4)
    return g.model(g.head(x, 0.1, 12), opset=21, ir=10)


def qlinear_conv(g, x, s_x, K, C, R, S, s_y, stride=1, pad=0, signed=True, per_channel=True,
                 bias=True):
    """QLinearConv of uint8 codes x (scale s_x, zero point 0) to uint8 codes
    of scale s_y, zero point 0 (the clamp at 0 is the Relu)."""
    lo, hi = (-128, 127) if signed else (0, 255)
    codes = g.rng.integers(lo, hi + 1, size=(K, C, R, S))
    scale = (1.0 / (np.sqrt(C * R * S) * 64) * g.rng.uniform(0.7, 1.3, size=K)).astype(np.float32)
    if not per_channel:
        scale = scale[:1]
    dt = np.int8 if signed else np.uint8
    ins = [x, g.init("xs", np.float32(s_x)), g.init("xz", np.uint8(0)),
           g.init("w", codes.astype(dt)), g.init("ws", scale),
           g.init("wz", np.full(len(scale), 0 if signed else 128, dt)),
           g.init("ys", np.float32(s_y)), g.init("yz", np.uint8(0))]
    if bias:
        ins.append(g.init("b", g.rng.integers(-3000, 3000, size=K).astype(np.int32)))
    return g.node("QLinearConv", ins, "qconv", strides=[stride, stride], pads=[pad] * 4)


def qlinear():
    g = G("qlinear")
    s = g.init("s", np.float32(1 / 255))
    x = g.node("QuantizeLinear", ["image", s, g.init("zp", np.uint8(0))], "q")
    x = qlinear_conv(g, x, 1 / 255, 8, 1, 3, 3, 0.02, pad=1)
    x = g.node("MaxPool", [x], "pool", kernel_shape=[2, 2], strides=[2, 2])
    x = qlinear_conv(g, x, 0.02, 12, 8, 3, 3, 0.03, pad=1, signed=False, per_channel=False,
                     bias=False)
    x = qlinear_conv(g, x, 0.03, 16, 12, 1, 1, 0.03, stride=2)
    x = g.node("DequantizeLinear", [x, g.init("s", np.float32(0.03)),
                                    g.init("zp", np.uint8(0))], "dq")
    x = g.node("GlobalAveragePool", [x], "gap")
    s, z = g.init("s", np.float32(0.03)), g.init("zp", np.uint8(0))
    x = g.node("QuantizeLinear", [x, s, z], "q")
    x = g.node("Flatten", [x], "flat")
    w = g.rng.integers(-128, 128, size=(16, 10)).astype(np.int8)
    y = g.node("QLinearMatMul", [x, s, z, g.init("w", w), g.init("ws", np.float32(0.01)),
                                 g.init("wz", np.int8(0)), g.init("ys", np.float32(0.05)),
                                 g.init("yz", np.uint8(128))], "qmm")
    y = g.node("DequantizeLinear", [y, g.init("s", np.float32(0.05)),
                                    g.init("zp", np.uint8(128))], "logits")
    return g.model(y)


def testdata_qlinearconv():
    """ONNX's own QLinearConv test (libonnx-testdata) with its recorded
    inputs as initializers, the image quantized to its x, and qarray's
    classifier after it: uint8 weights with zero point 255, which the array
    cannot take."""
    d = "/usr/share/libonnx-testdata/data/node/test_qlinearconv/test_data_set_0"
    vals = []
    for i in range(8):
        t = TensorProto()
        with open(os.path.join(d, f"input_{i}.pb"), "rb") as f:
            t.ParseFromString(f.read())
        vals.append(numpy_helper.to_array(t))
    g = G("testdata_qlinearconv")
    xs, xz = g.init("xs", vals[1]), g.init("xz", vals[2])
    x = g.node("QuantizeLinear", ["image", xs, xz], "q")
    ins = [x, xs, xz] + [g.init(n, v) for n, v in zip(("w", "ws", "wz", "ys", "yz"), vals[3:])]
    y = g.node("QLinearConv", ins, "qlinearconv")
    y = g.node("DequantizeLinear", [y, ins[6], ins[7]], "dq")
    m = g.model(g.head(y, float(vals[6]), 1))
    m.graph.input[0].type.tensor_type.shape.dim[2].dim_value = 7
    m.graph.input[0].type.tensor_type.shape.dim[3].dim_value = 7
    return m


def bad_models():
    def small(mutate, name):
        g = G("bad")
        x = g.qdq("image", 1 / 255)
        x = g.conv(x, 1 / 255, 4, 1, 3, 3, 0.02, pad=1)
        m = g.model(g.head(x, 0.02, 4))
        mutate(m)
        save(m, os.path.join(BAD, name))

    def init(m, name):
        return next(t for t in m.graph.initializer if t.name == name)

    def set_scale(v):
        def f(m):
            init(m, "ws6").CopyFrom(numpy_helper.from_array(np.full(4, v, np.float32), "ws6"))
        return f

    small(set_scale(0.0), "q_zero_scale.onnx")
    small(set_scale(np.nan), "q_nan_scale.onnx")

    def short(m):
        init(m, "ws6").CopyFrom(numpy_helper.from_array(np.full(3, 0.1, np.float32), "ws6"))
        init(m, "wz7").CopyFrom(numpy_helper.from_array(np.zeros(3, np.int8), "wz7"))
    small(short, "q_channels.onnx")

    def zp_range(m):
        t = init(m, "zp2")
        t.ClearField("raw_data")
        t.data_type, t.int32_data[:] = TensorProto.UINT8, [300]
    small(zp_range, "q_zero_point.onnx")

    def asym(m):
        w = init(m, "w5")
        codes = numpy_helper.to_array(w).astype(np.int16) + 128
        w.CopyFrom(numpy_helper.from_array(codes.astype(np.uint8), "w5"))
        init(m, "wz7").CopyFrom(numpy_helper.from_array(np.zeros(4, np.uint8), "wz7"))
    small(asym, "q_asym_weights.onnx")

    def float_op(m):
        n = next(n for n in m.graph.node if n.op_type == "Relu")
        n.op_type = "Sigmoid"
    small(float_op, "q_float_op.onnx")

    def wide(m):
        for t in ("zp16",):
            init(m, t).CopyFrom(numpy_helper.from_array(np.int32(0), t))
    small(wide, "q_int32_codes.onnx")

    def qlin(mutate, name):
        m = qlinear()
        mutate(m)
        save(m, os.path.join(BAD, name))

    def qlin_scale(m):
        init(m, "ws7").CopyFrom(numpy_helper.from_array(np.float32([0.1] * 7), "ws7"))
    qlin(qlin_scale, "qlin_channels.onnx")

    def qlin_zero(m):
        init(m, "ys9").CopyFrom(numpy_helper.from_array(np.float32(0), "ys9"))
    qlin(qlin_zero, "qlin_zero_scale.onnx")

    def qlin_bias(m):
        init(m, "b11").CopyFrom(numpy_helper.from_array(np.zeros(8, np.float32), "b11"))
    qlin(qlin_bias, "qlin_float_bias.onnx")
    if os.path.isdir("/usr/share/libonnx-testdata"):
        save(testdata_qlinearconv(), os.path.join(BAD, "qlin_testdata_asym.onnx"))


if __name__ == "__main__":
    save(cnn(), os.path.join(OUT, "qdq_cnn_op13.onnx"))
    save(odd(), os.path.join(OUT, "qdq_odd_op13.onnx"))
    save(int4(), os.path.join(OUT, "qdq_int4_op21.onnx"))
    save(qlinear(), os.path.join(OUT, "qlinear_op13.onnx"))
    bad_models()

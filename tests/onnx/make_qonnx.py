#!/usr/bin/python3
"""Builds one network twice, as QONNX (Quant nodes, as Brevitas exports:
float weight initializers -> Quant, activations Quant after Relu) and as
standard QDQ with the same scales and bits, for tests/test_cli_onnxq.sh:
qarray must read both as the same integer network, and ONNX Runtime (which
cannot run QONNX ops) runs the QDQ one.
    /usr/bin/python3 tests/onnx/make_qonnx.py [OUTDIR]
  qonnx_w3a4.onnx      3-bit per-channel weights (ROUND), 4-bit activations;
                       2-bit weights (FLOOR), 5-bit activations; 5-bit narrow
                       weights (ROUND_TO_ZERO), 8-bit activations; 8-bit fc;
                       int32 biases through 32-bit Quant nodes
  qonnx_intquant.onnx  the same with IntQuant nodes of domain onnx.brevitas
  qonnx_twin_op13.onnx the same as QDQ: int8 containers for the 2-, 3- and
                       5-bit weight codes with their bits in the metadata
                       (qarray.weight_bits.<tensor>), Clip for 4- and 5-bit
                       activation codes
  bad/qonnx_*.onnx     a non-integer bit width, 17 bits, a rounding mode not
                       read, FLOOR on an activation, a zero scale, 7 scales
                       for 8 channels; bad/qdq_weight_bits.onnx: the QDQ twin
                       declaring 9-bit weights in int8
Deterministic; the outputs (a few KB) are committed."""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
BAD = os.path.join(OUT, "bad")
DOMAIN = "qonnx.custom_op.general"
ROUNDING = {"ROUND": np.round, "FLOOR": np.floor, "ROUND_TO_ZERO": np.trunc}


def save(model, path):
    onnx.save(model, path)
    print(f"{path}: {os.path.getsize(path)} bytes")


class Twin:
    """The QONNX graph (q) and the QDQ graph (d) built side by side."""

    def __init__(self, seed=7):
        self.rng = np.random.default_rng(seed)
        self.q, self.d, self.qi, self.di, self.n = [], [], [], [], 0
        self.meta = {}

    def name(self, p):
        self.n += 1
        return f"{p}{self.n}"

    def init(self, lst, p, arr):
        n = self.name(p)
        lst.append(numpy_helper.from_array(np.asarray(arr), n))
        return n

    def quant(self, x, scale, bits, signed=0, narrow=0, rounding="ROUND", zp=0.0):
        """Quant node on the QONNX side."""
        ins = [x, self.init(self.qi, "s", np.float32(scale)), self.init(self.qi, "z", np.float32(zp)),
               self.init(self.qi, "bw", np.float32(bits))]
        out = self.name("quant")
        self.q.append(helper.make_node("Quant", ins, [out], name=out, domain=DOMAIN,
                                       signed=signed, narrow=narrow, rounding_mode=rounding))
        return out

    def qdq(self, x, scale, bits):
        """QuantizeLinear / DequantizeLinear (uint8) on the QDQ side, a Clip
        before it for fewer than 8 bits."""
        if bits < 8:
            c = self.name("clip")
            self.d.append(helper.make_node("Clip", [x, self.init(self.di, "lo", np.float32(0)),
                                                    self.init(self.di, "hi", np.float32(scale * (2**bits - 1)))],
                                           [c], name=c))
            x = c
        s, z = self.init(self.di, "s", np.float32(scale)), self.init(self.di, "z", np.uint8(0))
        q, dq = self.name("q"), self.name("dq")
        self.d.append(helper.make_node("QuantizeLinear", [x, s, z], [q], name=q))
        self.d.append(helper.make_node("DequantizeLinear", [q, s, z], [dq], name=dq))
        return dq

    def act(self, xq, xd, scale, bits):
        return self.quant(xq, scale, bits), self.qdq(xd, scale, bits)

    def weights(self, shape, bits, per_channel, narrow=0, rounding="ROUND"):
        K = shape[0]
        fan = int(np.prod(shape[1:]))
        s = (1.0 / (np.sqrt(fan) * 2 ** (bits - 1)) * self.rng.uniform(0.7, 1.3, size=K)).astype(np.float32)
        if not per_channel:
            s = s[:1]
        sb = s.reshape([-1] + [1] * (len(shape) - 1)) if per_channel else np.float32(s[0])
        w = (self.rng.normal(size=shape) * sb * 2 ** (bits - 2)).astype(np.float32)
        lo, hi = -(2 ** (bits - 1)) + narrow, 2 ** (bits - 1) - 1
        codes = np.clip(ROUNDING[rounding](w.astype(np.float64) / sb.astype(np.float64)), lo, hi)
        # QONNX: float weights -> Quant
        wq = self.init(self.qi, "w", w)
        ins = [wq, self.init(self.qi, "s", sb), self.init(self.qi, "z", np.float32(0)),
               self.init(self.qi, "bw", np.float32(bits))]
        outq = self.name("wquant")
        self.q.append(helper.make_node("Quant", ins, [outq], name=outq, domain=DOMAIN,
                                       signed=1, narrow=narrow, rounding_mode=rounding))
        # QDQ: int8 codes, their bits in the metadata
        wd = self.init(self.di, "w", codes.astype(np.int8))
        if bits < 8:
            self.meta["qarray.weight_bits." + wd] = str(bits)
        kw = {"axis": 0} if per_channel else {}
        self.last_scale = s if per_channel else s[0]
        sd = self.init(self.di, "ws", s if per_channel else np.float32(s[0]))
        zd = self.init(self.di, "wz", np.zeros(K, np.int8) if per_channel else np.int8(0))
        outd = self.name("wdq")
        self.d.append(helper.make_node("DequantizeLinear", [wd, sd, zd], [outd], name=outd, **kw))
        return outq, outd

    def both(self, op, xq, xd, extra_q, extra_d, name, **attrs):
        """The same node on both sides (same name: the same op names)."""
        self.q.append(helper.make_node(op, [xq] + extra_q, [name + "_q"], name=name, **attrs))
        self.d.append(helper.make_node(op, [xd] + extra_d, [name + "_d"], name=name, **attrs))
        return name + "_q", name + "_d"

    def bias(self, K, s_x, s_w):
        """int32 bias codes in units of s_x * s_w: on the QONNX side a float
        bias through a 32-bit Quant (as Brevitas's Int32Bias), on the QDQ
        side int32 codes through DequantizeLinear."""
        s_b = (np.float32(s_x) * np.broadcast_to(np.asarray(s_w, np.float32), (K,))).astype(np.float32)
        codes = self.rng.integers(-2000, 2000, size=K).astype(np.int32)
        ins = [self.init(self.qi, "b", (codes * s_b).astype(np.float32)), self.init(self.qi, "bs", s_b),
               self.init(self.qi, "z", np.float32(0)), self.init(self.qi, "bw", np.float32(32))]
        bq = self.name("bquant")
        self.q.append(helper.make_node("Quant", ins, [bq], name=bq, domain=DOMAIN, signed=1,
                                       narrow=0, rounding_mode="ROUND"))
        bd = self.name("bdq")
        self.d.append(helper.make_node("DequantizeLinear", [self.init(self.di, "b", codes),
                                                            self.init(self.di, "bs", s_b),
                                                            self.init(self.di, "bz", np.zeros(K, np.int32))],
                                       [bd], name=bd, axis=0))
        return bq, bd

    def conv(self, xq, xd, s_x, name, K, C, R, bits, per_channel, scale_y, abits, stride=1,
             pad=0, narrow=0, rounding="ROUND"):
        wq, wd = self.weights((K, C, R, R), bits, per_channel, narrow, rounding)
        bq, bd = self.bias(K, s_x, self.last_scale)
        yq, yd = self.both("Conv", xq, xd, [wq, bq], [wd, bd], name, strides=[stride] * 2,
                           pads=[pad] * 4, kernel_shape=[R, R])
        yq, yd = self.both("Relu", yq, yd, [], [], name + "_relu")
        return self.act(yq, yd, scale_y, abits)

    def models(self, outq, outd):
        inp = helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 1, 28, 28])
        mq = helper.make_model(
            helper.make_graph(self.q, "qonnx", [inp], [helper.make_tensor_value_info(outq, TensorProto.FLOAT, [1, 10])], self.qi),
            opset_imports=[helper.make_opsetid("", 13), helper.make_opsetid(DOMAIN, 1)],
            producer_name="qarray tests/onnx/make_qonnx.py")
        md = helper.make_model(
            helper.make_graph(self.d, "qdq_twin", [inp], [helper.make_tensor_value_info(outd, TensorProto.FLOAT, [1, 10])], self.di),
            opset_imports=[helper.make_opsetid("", 13)], producer_name="qarray tests/onnx/make_qonnx.py")
        mq.ir_version = md.ir_version = 7
        helper.set_model_props(md, self.meta)
        return mq, md


def build():
    t = Twin()
    xq, xd = t.act("image", "image", 1 / 255, 8)
    xq, xd = t.conv(xq, xd, 1 / 255, "conv1", 8, 1, 3, 3, True, 0.1, 4, pad=1)
    xq, xd = t.conv(xq, xd, 0.1, "conv2", 12, 8, 3, 2, False, 0.05, 5, stride=2,
                    rounding="FLOOR")
    xq, xd = t.conv(xq, xd, 0.05, "conv3", 16, 12, 1, 5, True, 0.04, 8, narrow=1,
                    rounding="ROUND_TO_ZERO")
    xq, xd = t.both("GlobalAveragePool", xq, xd, [], [], "gap")
    xq, xd = t.act(xq, xd, 0.04, 8)
    xq, xd = t.both("Flatten", xq, xd, [], [], "flat")
    wq, wd = t.weights((10, 16), 8, False)
    b = np.zeros(10, np.float32)
    yq, yd = t.both("Gemm", xq, xd, [wq, t.init(t.qi, "b", b)], [wd, t.init(t.di, "b", b)],
                    "fc", transB=1)
    return t.models(yq, yd)


def bad_models():
    def bad(name, mutate):
        mq, _ = build()
        mutate(mq)
        save(mq, os.path.join(BAD, name))

    def init(m, name):
        return next(t for t in m.graph.initializer if t.name == name)

    def node(m, name):
        return next(n for n in m.graph.node if n.name == name)

    def set_input(op_name, k, arr):
        """Replace input k of the node op_name (a Quant) by arr."""
        def f(m):
            t = node(m, op_name).input[k]
            init(m, t).CopyFrom(numpy_helper.from_array(np.asarray(arr, np.float32), t))
        return f

    def set_rounding(op_name, mode):
        def f(m):
            a = next(a for a in node(m, op_name).attribute if a.name == "rounding_mode")
            a.s = mode
        return f

    # the first weights' Quant and the first activation Quant after a conv
    mq, _ = build()
    wq = next(n.name for n in mq.graph.node if n.name.startswith("wquant"))
    aq = next(n.name for n in mq.graph.node if n.input[0] == "conv1_relu_q")
    bad("qonnx_bits_frac.onnx", set_input(wq, 3, 2.5))
    bad("qonnx_bits_wide.onnx", set_input(wq, 3, 17))
    bad("qonnx_rounding.onnx", set_rounding(wq, b"HALF_UP"))
    bad("qonnx_act_floor.onnx", set_rounding(aq, b"FLOOR"))
    bad("qonnx_zero_scale.onnx", set_input(aq, 1, 0))
    bad("qonnx_channels.onnx", set_input(wq, 1, np.full((7, 1, 1, 1), 0.1)))
    _, md = build()
    md.metadata_props[0].value = "9"
    save(md, os.path.join(BAD, "qdq_weight_bits.onnx"))


if __name__ == "__main__":
    os.makedirs(BAD, exist_ok=True)
    mq, md = build()
    save(mq, os.path.join(OUT, "qonnx_w3a4.onnx"))
    save(md, os.path.join(OUT, "qonnx_twin_op13.onnx"))
    for n in mq.graph.node:
        if n.op_type == "Quant":
            n.op_type, n.domain = "IntQuant", "onnx.brevitas"
    mq.opset_import[1].domain = "onnx.brevitas"
    save(mq, os.path.join(OUT, "qonnx_intquant.onnx"))
    bad_models()

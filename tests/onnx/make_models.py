#!/usr/bin/python3
"""Builds the ONNX test models of tests/test_onnx.c and the CLI tests.

Run with Debian's Python (the torch and onnx packages live there):
    /usr/bin/python3 tests/onnx/make_models.py [OUTDIR]
Needs python3-torch, python3-torchvision, python3-onnx (Debian bookworm:
torch 1.13.1, TorchScript exporter, opsets up to 17). The exported networks
keep their weights as graph inputs (export_params=False), so a ResNet-50 is
26 KB: qarray reads shapes, never weight values. The outputs are committed;
rerun this only to change them. Deterministic: fixed seeds, no timestamps.
"""
import os
import sys
import warnings

import numpy as np
import onnx
from onnx import TensorProto, helper

warnings.filterwarnings("ignore")
OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
BAD = os.path.join(OUT, "bad")
os.makedirs(BAD, exist_ok=True)


def save(model, path):
    onnx.save(model, path)
    print(f"{path}: {os.path.getsize(path)} bytes")


def export_torch():
    import torch
    import torchvision

    torch.manual_seed(0)
    tv = torchvision.models
    img = torch.randn(1, 3, 224, 224)
    cases = [
        ("resnet50", tv.resnet50(weights=None), img, 17, {}),
        ("resnet18", tv.resnet18(weights=None), img, 17, {}),
        # BatchNormalization kept as nodes: the reader folds them itself
        ("resnet18_bn", tv.resnet18(weights=None), img, 13,
         {"training": torch.onnx.TrainingMode.PRESERVE}),
        ("mobilenet_v2", tv.mobilenet_v2(weights=None), img, 17, {}),
    ]
    # One ViT-B/16 encoder block (197 tokens of 768, 12 heads, MLP 3072,
    # GELU): at opset 13 the exporter decomposes layer norm into ReduceMean,
    # Sub, Pow, Sqrt, Div; at opset 17 it writes LayerNormalization.
    block = torch.nn.TransformerEncoderLayer(768, 12, dim_feedforward=3072,
                                             activation="gelu", batch_first=True)
    tokens = torch.randn(1, 197, 768)
    cases.append(("vit_b16_block_op13", block, tokens, 13, {}))
    cases.append(("vit_b16_block_op17", block, tokens, 17, {}))
    for name, model, x, opset, kw in cases:
        model.eval()
        path = os.path.join(OUT, name + ".onnx")
        # No torch.no_grad(): with it, the encoder block takes PyTorch's fused
        # fast path, which the 1.13 exporter cannot write.
        torch.onnx.export(model, x, path, export_params=False, opset_version=opset,
                          input_names=["input"], output_names=["output"],
                          do_constant_folding=False, **kw)
        print(f"{path}: {os.path.getsize(path)} bytes")


def value(name, shape, elem=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, elem, shape)


def zeros(name, dims):
    """An initializer of zeros as raw bytes (what external data needs)."""
    n = int(np.prod(dims))
    return helper.make_tensor(name, TensorProto.FLOAT, dims,
                              np.zeros(n, np.float32).tobytes(), raw=True)


def conv_net(opset, group=1, name="small"):
    """input 1x8x10x10 -> conv 3x3 (group) -> relu -> conv 1x1 -> gap -> fc."""
    nodes = [
        helper.make_node("Conv", ["input", "w1", "b1"], ["c1"], name="conv1",
                         kernel_shape=[3, 3], pads=[1, 1, 1, 1], group=group),
        helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
        helper.make_node("Conv", ["r1", "w2"], ["c2"], name="conv2", kernel_shape=[1, 1]),
        helper.make_node("GlobalAveragePool", ["c2"], ["g"], name="gap"),
        helper.make_node("Flatten", ["g"], ["f"], name="flatten", axis=1),
        helper.make_node("Gemm", ["f", "fcw", "fcb"], ["output"], name="fc", transB=1),
    ]
    inits = [zeros("w1", [16, 8 // group, 3, 3]), zeros("b1", [16]),
             zeros("w2", [16, 16, 1, 1]), zeros("fcw", [10, 16]), zeros("fcb", [10])]
    g = helper.make_graph(nodes, name, [value("input", [1, 8, 10, 10])],
                          [value("output", [1, 10])], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)],
                          producer_name="qarray-tests")
    m.ir_version = 7
    return m


def hand_models():
    # opsets at both ends of the supported range
    save(conv_net(11), os.path.join(OUT, "small_op11.onnx"))
    m = conv_net(21)
    m.ir_version = 10
    save(m, os.path.join(OUT, "small_op21.onnx"))
    save(conv_net(13, group=8, name="grouped"), os.path.join(OUT, "grouped_op13.onnx"))

    # conv1's output also read by Shape (for a reshape target): the Relu
    # still fuses into conv1, as a Shape reads no data.
    m = conv_net(13, name="shape_reader")
    m.graph.node[1].output[0] = "r0"
    m.graph.node.insert(2, helper.make_node("Shape", ["c1"], ["s1"], name="shape1"))
    m.graph.node.insert(3, helper.make_node("Reshape", ["r0", "s1"], ["r1"],
                                            name="reshape1"))
    save(m, os.path.join(OUT, "shape_reader_op13.onnx"))

    # Conv with asymmetric pads, dilation, strides 2x1, auto_pad and a 1-D
    # conv; MaxPool with ceil_mode; Concat of two activations; a broadcast
    # Mul; attention-like MatMul of two activations; Split; Softmax.
    nodes = [
        helper.make_node("Conv", ["input", "wa"], ["a"], name="asym",
                         kernel_shape=[3, 3], pads=[0, 1, 2, 1], strides=[2, 1],
                         dilations=[2, 2]),
        helper.make_node("MaxPool", ["a"], ["p"], name="pool", kernel_shape=[3, 3],
                         strides=[2, 2], ceil_mode=1),
        helper.make_node("Conv", ["p", "wb"], ["b"], name="same", kernel_shape=[3, 3],
                         auto_pad="SAME_UPPER"),
        helper.make_node("Concat", ["p", "b"], ["cat"], name="cat", axis=1),
        helper.make_node("ReduceMean", ["cat"], ["m"], name="mean", axes=[2, 3], keepdims=1),
        helper.make_node("Sigmoid", ["m"], ["s"], name="gate"),
        helper.make_node("Mul", ["cat", "s"], ["se"], name="scale"),
        helper.make_node("Reshape", ["se", "shape"], ["t"], name="tokens"),
        helper.make_node("Transpose", ["t"], ["t_T"], name="tr", perm=[0, 2, 1]),
        helper.make_node("MatMul", ["t", "t_T"], ["att"], name="qk"),
        helper.make_node("Softmax", ["att"], ["sm"], name="softmax", axis=-1),
        helper.make_node("MatMul", ["sm", "t"], ["output"], name="av"),
    ]
    inits = [
        zeros("wa", [8, 4, 3, 3]), zeros("wb", [8, 8, 3, 3]),
        helper.make_tensor("shape", TensorProto.INT64, [3],
                           np.array([1, 16, -1], np.int64).tobytes(), raw=True),
    ]
    g = helper.make_graph(nodes, "kinds", [value("input", [1, 4, 21, 16])],
                          [value("output", [1, 16, 35])], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)],
                          producer_name="qarray-tests")
    m.ir_version = 7
    save(m, os.path.join(OUT, "kinds_op13.onnx"))

    # The same model with every initializer in an external data file, the
    # Reshape's target shape included (the reader must fetch its values).
    m.graph.name = "external"
    data = os.path.join(OUT, "external.onnx.data")
    if os.path.exists(data):
        os.remove(data)  # onnx appends to it
    onnx.save_model(m, os.path.join(OUT, "external.onnx"), save_as_external_data=True,
                    all_tensors_to_one_file=True, location="external.onnx.data",
                    size_threshold=0)
    print(os.path.join(OUT, "external.onnx"), "+ external.onnx.data")


    # ---- error cases ----
    m = conv_net(13)
    m.graph.node.insert(1, helper.make_node("NonMaxSuppression", ["c1"], ["nms"],
                                            name="nms1"))
    m.graph.node[2].input[0] = "nms"
    save(m, os.path.join(BAD, "unsupported_op.onnx"))

    m = conv_net(13)
    m.graph.node[1].domain = "com.example"
    m.opset_import.append(helper.make_opsetid("com.example", 1))
    save(m, os.path.join(BAD, "custom_domain.onnx"))

    data = open(os.path.join(OUT, "resnet18.onnx"), "rb").read()
    with open(os.path.join(BAD, "truncated.onnx"), "wb") as f:
        f.write(data[: len(data) // 2])
    print(os.path.join(BAD, "truncated.onnx"))

    m = conv_net(13)
    m.graph.input[0].type.tensor_type.shape.dim[0].dim_param = "batch"
    save(m, os.path.join(BAD, "dynamic_batch.onnx"))

    m = conv_net(13)  # relu1 reads conv2's output: a cycle
    m.graph.node[0].input[0] = "c2"
    save(m, os.path.join(BAD, "cycle.onnx"))

    m = conv_net(13)
    m.graph.input[0].type.tensor_type.shape.dim[2].dim_value = 1 << 40
    save(m, os.path.join(BAD, "absurd_dims.onnx"))

    m = conv_net(13)
    m.graph.node[2].input[0] = "nowhere"
    save(m, os.path.join(BAD, "undefined_input.onnx"))

    m = conv_net(13)
    m.opset_import[0].version = 9
    save(m, os.path.join(BAD, "old_opset.onnx"))

    m = conv_net(13)
    del m.graph.initializer[0]  # w1 neither an initializer nor an input
    save(m, os.path.join(BAD, "missing_weight.onnx"))


if __name__ == "__main__":
    export_torch()
    hand_models()

#!/usr/bin/python3
"""A small CNN trained a few hundred steps on Fashion-MNIST, quantized with
PyTorch's own post-training quantization (eager mode, qnnpack: per-tensor
int8 weights, uint8 activations) and exported as QDQ ONNX (opset 13):
    /usr/bin/python3 tests/onnx/make_torch_qdq.py [OUT.onnx]
Needs python3-torch (Debian bookworm: 1.13.1) and dataset-fashion-mnist.
Deterministic (fixed seeds, one thread); about 20 s. The output (about
5 KB) is committed as tests/onnx/torch_cnn_op13.onnx."""
import gzip
import os
import sys

import numpy as np
import torch
import torch.nn as nn

torch.manual_seed(0)
torch.set_num_threads(1)
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "torch_cnn_op13.onnx")
DATA = "/usr/share/datasets/fashion-mnist"


def idx(name, off):
    with gzip.open(os.path.join(DATA, name)) as f:
        return np.frombuffer(f.read(), np.uint8, offset=off)


x_tr = torch.tensor(idx("train-images-idx3-ubyte.gz", 16).reshape(-1, 1, 28, 28) / 255.0,
                    dtype=torch.float32)
y_tr = torch.tensor(idx("train-labels-idx1-ubyte.gz", 8).astype(np.int64))


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.quant = torch.ao.quantization.QuantStub()
        self.conv1 = nn.Conv2d(1, 16, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(16)
        self.relu1 = nn.ReLU()
        self.pool = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(16, 32, 3, padding=1)
        self.relu2 = nn.ReLU()
        self.conv3 = nn.Conv2d(32, 32, 3, stride=2, padding=1)
        self.relu3 = nn.ReLU()
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(32, 10)
        self.dequant = torch.ao.quantization.DeQuantStub()

    def forward(self, x):
        x = self.quant(x)
        x = self.pool(self.relu1(self.bn1(self.conv1(x))))
        x = self.relu3(self.conv3(self.relu2(self.conv2(x))))
        x = torch.flatten(self.gap(x), 1)
        return self.dequant(self.fc(x))


net = Net()
opt = torch.optim.Adam(net.parameters(), lr=3e-3)
for step in range(400):
    i = torch.randint(0, len(x_tr), (128,))
    loss = nn.functional.cross_entropy(net(x_tr[i]), y_tr[i])
    opt.zero_grad()
    loss.backward()
    opt.step()
net.eval()
torch.backends.quantized.engine = "qnnpack"
net.qconfig = torch.ao.quantization.get_default_qconfig("qnnpack")
torch.ao.quantization.fuse_modules(net, [["conv1", "bn1", "relu1"], ["conv2", "relu2"],
                                         ["conv3", "relu3"]], inplace=True)
torch.ao.quantization.prepare(net, inplace=True)
with torch.no_grad():
    for k in range(8):
        net(x_tr[k * 256:(k + 1) * 256])
torch.ao.quantization.convert(net, inplace=True)
torch.onnx.export(net, x_tr[:1], OUT, opset_version=13, input_names=["image"],
                  output_names=["logits"])
print(f"{OUT}: {os.path.getsize(OUT)} bytes, last loss {loss.item():.3f}")

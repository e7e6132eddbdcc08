#!/usr/bin/python3
"""A ResNet-20 trained a few hundred steps on Fashion-MNIST with PyTorch,
quantized with PyTorch's own post-training quantization (eager mode,
qnnpack: per-tensor int8 weights, uint8 activations) and exported as QDQ
ONNX (opset 13), for tests/onnx/resnet20_ort.sh:
    /usr/bin/python3 tests/onnx/make_torch_resnet20.py OUT.onnx [STEPS]
Needs python3-torch (Debian bookworm: 1.13.1) and dataset-fashion-mnist.
One change to He et al.'s block: the Relu comes before the residual add, on
both branches (out = relu(bn2(conv2(.))) + relu(shortcut)), so both inputs
and the output of each add are uint8 codes with zero point 0: qarray's
integer add has no offset, and PyTorch's quantized add gives a zero point to
any signed input. Deterministic (fixed seeds); STEPS (default 300) batches
of 128."""
import gzip
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn

torch.manual_seed(0)
torch.set_num_threads(2)
OUT = sys.argv[1]
STEPS = int(sys.argv[2]) if len(sys.argv) > 2 else 300
DATA = os.environ.get("QARRAY_FASHION_MNIST", "/usr/share/datasets/fashion-mnist")


def idx(name, off):
    with gzip.open(os.path.join(DATA, name)) as f:
        return np.frombuffer(f.read(), np.uint8, offset=off)


x_tr = torch.tensor(idx("train-images-idx3-ubyte.gz", 16).reshape(-1, 1, 28, 28) / 255.0,
                    dtype=torch.float32)
y_tr = torch.tensor(idx("train-labels-idx1-ubyte.gz", 8).astype(np.int64))
x_te = torch.tensor(idx("t10k-images-idx3-ubyte.gz", 16).reshape(-1, 1, 28, 28) / 255.0,
                    dtype=torch.float32)
y_te = torch.tensor(idx("t10k-labels-idx1-ubyte.gz", 8).astype(np.int64))


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.relu2 = nn.ReLU()
        self.down = None
        if stride != 1 or cin != cout:
            self.down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False),
                                      nn.BatchNorm2d(cout), nn.ReLU())
        self.add = nn.quantized.FloatFunctional()

    def forward(self, x):
        y = self.relu2(self.bn2(self.conv2(self.relu1(self.bn1(self.conv1(x))))))
        return self.add.add(y, self.down(x) if self.down is not None else x)


class ResNet20(nn.Module):
    def __init__(self):
        super().__init__()
        self.quant = torch.ao.quantization.QuantStub()
        self.conv = nn.Conv2d(1, 16, 3, 1, 1, bias=False)
        self.bn = nn.BatchNorm2d(16)
        self.relu = nn.ReLU()
        blocks, cin = [], 16
        for cout, stride in ((16, 1), (32, 2), (64, 2)):
            for i in range(3):
                blocks.append(Block(cin, cout, stride if i == 0 else 1))
                cin = cout
        self.blocks = nn.Sequential(*blocks)
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(64, 10)
        self.dequant = torch.ao.quantization.DeQuantStub()

    def forward(self, x):
        x = self.blocks(self.relu(self.bn(self.conv(self.quant(x)))))
        return self.dequant(self.fc(torch.flatten(self.gap(x), 1)))


def accuracy(net):
    with torch.no_grad():
        return sum((net(x_te[i:i + 1000]).argmax(1) == y_te[i:i + 1000]).sum().item()
                   for i in range(0, 10000, 1000)) / 100


net = ResNet20()
opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
sched = torch.optim.lr_scheduler.OneCycleLR(opt, 0.1, total_steps=STEPS)
t0 = time.time()
for step in range(STEPS):
    i = torch.randint(0, len(x_tr), (128,))
    loss = nn.functional.cross_entropy(net(x_tr[i]), y_tr[i])
    opt.zero_grad()
    loss.backward()
    opt.step()
    sched.step()
net.eval()
print(f"{STEPS} steps in {time.time() - t0:.0f} s, last loss {loss.item():.3f}, "
      f"float test accuracy {accuracy(net):.2f}%")
torch.backends.quantized.engine = "qnnpack"
net.qconfig = torch.ao.quantization.get_default_qconfig("qnnpack")
fuse = [["conv", "bn", "relu"]]
for k, b in enumerate(net.blocks):
    fuse += [[f"blocks.{k}.conv1", f"blocks.{k}.bn1", f"blocks.{k}.relu1"],
             [f"blocks.{k}.conv2", f"blocks.{k}.bn2", f"blocks.{k}.relu2"]]
    if b.down is not None:
        fuse.append([f"blocks.{k}.down.0", f"blocks.{k}.down.1", f"blocks.{k}.down.2"])
torch.ao.quantization.fuse_modules(net, fuse, inplace=True)
torch.ao.quantization.prepare(net, inplace=True)
with torch.no_grad():
    for k in range(8):
        net(x_tr[k * 256:(k + 1) * 256])
torch.ao.quantization.convert(net, inplace=True)
print(f"quantized (PyTorch qnnpack) test accuracy {accuracy(net):.2f}%")
torch.onnx.export(net, x_tr[:1], OUT, opset_version=13, input_names=["image"],
                  output_names=["logits"])
print(f"{OUT}: {os.path.getsize(OUT)} bytes")

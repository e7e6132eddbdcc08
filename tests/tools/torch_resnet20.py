#!/usr/bin/python3
"""Float inference speed of ResNet-20 in PyTorch, the yardstick of `qarray
eval` in `make bench` (tests/bench_func.c). The network is workloads'
resnet20 (workloads/resnet.c): a 3x3 stem of 16 channels on 1x28x28,
three stages of three basic blocks (16, 32, 64 channels, stride 2 at the
first conv of stages 2 and 3, 1x1 projection shortcuts where the shape
changes), global average pool, fc 10. Batch norm is folded into the convs
(conv with bias, as the integer model has it); weights are seeded, since
speed does not depend on them. Runs N images in batches of B on T threads
(torch.set_num_threads) in eval mode under torch.inference_mode, after one
warm-up batch, and prints one line: "torch IMAGES_PER_S images/s ...".

usage: /usr/bin/python3 tests/tools/torch_resnet20.py [--images N]
           [--batch B] [--threads T] [--reps R]
(Debian's python3-torch; the pyenv python3 on PATH has no torch.)"""
import argparse
import time

import torch
import torch.nn as nn


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1)
        self.down = nn.Conv2d(cin, cout, 1, stride, 0) if stride != 1 or cin != cout else None

    def forward(self, x):
        y = torch.relu(self.conv1(x))
        y = self.conv2(y)
        return torch.relu(y + (self.down(x) if self.down is not None else x))


class ResNet20(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3, 1, 1)
        layers, cin = [], 16
        for stage, width in enumerate((16, 32, 64)):
            for b in range(3):
                layers.append(Block(cin, width, 2 if stage > 0 and b == 0 else 1))
                cin = width
        self.layers = nn.Sequential(*layers)
        self.fc = nn.Linear(64, 10)

    def forward(self, x):
        x = self.layers(torch.relu(self.conv1(x)))
        return self.fc(torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--images", type=int, default=10000)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--reps", type=int, default=1)
    a = ap.parse_args()
    torch.manual_seed(1)
    torch.set_num_threads(a.threads)
    net = ResNet20().eval()
    x = torch.rand(a.images, 1, 28, 28)
    best = []
    with torch.inference_mode():
        net(x[: a.batch])
        for _ in range(a.reps):
            t0 = time.perf_counter()
            for i in range(0, a.images, a.batch):
                net(x[i : i + a.batch])
            best.append(time.perf_counter() - t0)
    s = sorted(best)[len(best) // 2]
    print("torch %.0f images/s (%d images in %.3f s, batch %d, %d threads, median of %d, torch %s)"
          % (a.images / s, a.images, s, a.batch, a.threads, a.reps, torch.__version__))


if __name__ == "__main__":
    main()

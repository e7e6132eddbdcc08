#!/usr/bin/env python3
"""gauss_npy.py OUT.npy ROWS COLS SIGMA SEED: a float32 (ROWS, COLS) .npy of
N(0, SIGMA) values from Python's own random module (no numpy needed), the
input of the quant/README.md examples. With numpy the same file is
np.save(OUT, w.astype(np.float32))."""
import random
import struct
import sys

out, rows, cols, sigma, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), \
    float(sys.argv[4]), int(sys.argv[5])
random.seed(seed)
w = [random.gauss(0.0, sigma) for _ in range(rows * cols)]
d = "{'descr': '<f4', 'fortran_order': False, 'shape': (%d, %d), }" % (rows, cols)
d += " " * ((64 - (10 + len(d) + 1) % 64) % 64) + "\n"
with open(out, "wb") as f:
    f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(d)) + d.encode())
    f.write(struct.pack("<%df" % len(w), *w))

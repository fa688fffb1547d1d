#!/usr/bin/env python3
"""Compares two SpikeKit checkpoints (safetensors): same tensor names, shapes, dtypes and bytes, and the same epoch
and seed. Metadata that records the command line or wall-clock times may differ. Exit 0 when equal; else prints the
first difference and exits 1. Standard library only."""
import json
import struct
import sys


def read(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    meta = header.pop("__metadata__", {})
    body = data[8 + n:]
    tensors = {k: (v["dtype"], v["shape"], body[v["data_offsets"][0]:v["data_offsets"][1]]) for k, v in header.items()}
    return tensors, meta


def main():
    a, ma = read(sys.argv[1])
    b, mb = read(sys.argv[2])
    if sorted(a) != sorted(b):
        print(f"tensor names differ: {sorted(a)} vs {sorted(b)}")
        return 1
    for k in sorted(a):
        if a[k] != b[k]:
            print(f"tensor {k} differs")
            return 1
    for key in ("spikekit.epoch", "spikekit.seed", "spikekit.model", "spikekit.optimizer"):
        if ma.get(key) != mb.get(key):
            print(f"metadata {key} differs: {ma.get(key)} vs {mb.get(key)}")
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Write filters.h5 (+ filters.h5.json): datasets that exercise the HDF5 reader beyond the SHD layout.

Usage: python make_filters.py filters.h5   (needs h5py and numpy)
"""
import json
import sys

import h5py
import numpy as np

out = sys.argv[1]
rng = np.random.default_rng(11)
u16 = rng.integers(0, 700, 1000).astype("<u2")
f64 = rng.normal(size=(37, 23))
i32 = rng.integers(-2**31, 2**31 - 1, 300).astype("<i4")
i16 = rng.integers(-30000, 30000, 10).astype("<i2")
be_i4 = rng.integers(-1000, 1000, 17).astype(">i4")
be_f8 = rng.normal(size=17).astype(">f8")
f2 = rng.uniform(0, 1.4, 50).astype("<f2")
vlen = [rng.uniform(0, 1, int(k)).astype("<f4") for k in rng.integers(0, 40, 30)]
with h5py.File(out, "w") as f:
    f.create_dataset("deflate_shuffle_u16", data=u16, chunks=(128,), compression="gzip", shuffle=True)
    f.create_dataset("deflate_f64_2d", data=f64, chunks=(8, 5), compression="gzip", compression_opts=9)
    f.create_dataset("fletcher_i32", data=i32, chunks=(64,), fletcher32=True)
    dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
    dcpl.set_layout(h5py.h5d.COMPACT)
    space = h5py.h5s.create_simple((10,))
    h5py.h5d.create(f.id, b"compact_layout_i16", h5py.h5t.STD_I16LE, space, dcpl).write(
        h5py.h5s.ALL, h5py.h5s.ALL, i16)
    f.create_dataset("big_endian_i4", data=be_i4)
    f.create_dataset("big_endian_f8", data=be_f8)
    f.create_dataset("float16", data=f2)
    f.create_dataset("vlen_f4_deflate", (30,), dtype=h5py.vlen_dtype(np.dtype("<f4")), chunks=(7,), compression="gzip")
    for i, v in enumerate(vlen):
        f["vlen_f4_deflate"][i] = v
    f.create_dataset("unwritten_u8", (12,), dtype="u1")
    f.create_dataset("scalar_f8", data=np.float64(2.5))
    g = f.create_group("many")
    for k in range(12):  # more than 8 links: still a symbol table with the default libver
        g.create_dataset("d%02d" % k, data=np.arange(k + 1, dtype="<i2"))
golden = {
    "deflate_shuffle_u16": u16.tolist(), "deflate_f64_2d": f64.tolist(), "fletcher_i32": i32.tolist(),
    "compact_i16": i16.tolist(), "big_endian_i4": be_i4.tolist(), "big_endian_f8": be_f8.tolist(),
    "float16_bits": f2.view("<u2").tolist(), "vlen_f4_bits": [v.view("<u4").tolist() for v in vlen],
}
with open(out + ".json", "w") as fh:
    json.dump(golden, fh)

# Beside it: a user block (base address 512), soft links, and libver="latest" with dense (fractal heap) groups.
import os
folder = os.path.dirname(os.path.abspath(out))
with h5py.File(os.path.join(folder, "userblock.h5"), "w", userblock_size=512) as f:
    f["a/b"] = np.arange(5, dtype="<i4")
    f["a/link"] = h5py.SoftLink("/a/b")
with h5py.File(os.path.join(folder, "latest-extras.h5"), "w", libver="latest", userblock_size=1024) as f:
    f["a/b"] = np.arange(5, dtype="<i4")
    f["a/link"] = h5py.SoftLink("/a/b")
    g = f.create_group("dense")
    for k in range(20):
        g["x%02d" % k] = np.arange(k + 1, dtype="<i2")
    f.create_dataset("chunked", data=np.arange(100, dtype="<u2"), chunks=(10,))
    big = f.create_group("dense_big")  # 300 hard links: an indirect heap root and a 2-level v2 B-tree
    for k in range(300):
        big["link_with_a_longer_name_%03d" % k] = f["a/b"]

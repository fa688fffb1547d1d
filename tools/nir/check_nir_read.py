#!/usr/bin/env python3
"""Checks that `nir.read` (with its type checks) opens every NIR file SpikeKit wrote, and that the parameters
follow SpikeKit's mapping (docs/NIR.md): r = 1, v_leak = v_reset = 0, w_in = tau_syn / dt, weights and biases
float32 (a bias one per output or output channel).
Only the `nir` package (and its h5py and numpy) is needed.

    python3 tools/nir/check_nir_read.py FILE.nir ...
"""
import sys

import numpy as np
import nir


def check(path):
    g = nir.read(path)
    dt = float(g.metadata["spikekit.dt"])
    neurons = [n for n in g.nodes.values() if isinstance(n, (nir.CubaLIF, nir.CubaLI))]
    assert neurons, "no neuron nodes"
    for name, node in g.nodes.items():
        if isinstance(node, (nir.CubaLIF, nir.CubaLI)):
            assert np.all(node.r == 1) and np.all(node.v_leak == 0), name
            assert np.allclose(node.w_in, node.tau_syn / dt, rtol=1e-15, atol=0), name
            assert float(node.metadata["spikekit.dt"]) == dt, name
        if isinstance(node, nir.CubaLIF):
            assert np.all(node.v_reset == 0), name
            assert node.metadata["spikekit.reset"] in ("next-step", "same-step"), name
        if isinstance(node, (nir.Linear, nir.Affine, nir.Conv1d)):
            assert node.weight.dtype == np.float32, name
        if isinstance(node, (nir.Affine, nir.Conv1d)):
            assert node.bias.dtype == np.float32 and node.bias.shape == node.weight.shape[:1], name
    return f"{len(g.nodes)} nodes, {len(g.edges)} edges, dt {dt}"


failed = 0
for path in sys.argv[1:]:
    try:
        print(f"{path}: nir.read ok, {check(path)}")
    except Exception as e:  # report every file, then fail
        failed += 1
        print(f"{path}: FAILED: {type(e).__name__}: {e}")
print(f"nir.read opened {len(sys.argv) - 1 - failed} of {len(sys.argv) - 1} SpikeKit files")
sys.exit(1 if failed or len(sys.argv) < 2 else 0)

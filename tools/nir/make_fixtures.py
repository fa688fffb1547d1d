#!/usr/bin/env python3
"""Makes the NIR fixtures of Tests/SpikeKitTests/Fixtures/nir with the `nir` package (and snnTorch / Norse for the
graphs they export), plus the expected SpikeKit results of the hand-built graph from an independent NumPy
implementation of SpikeKit's discretisation (docs/NIR.md).

    python3 -m venv /tmp/venv-nir && /tmp/venv-nir/bin/pip install nir snntorch norse
    /tmp/venv-nir/bin/python tools/nir/make_fixtures.py [--out Tests/SpikeKitTests/Fixtures/nir] [--no-torch]

Files:
  nir-affine-cubalif-rec.nir   Input(8) -> Affine(16x8) -> CubaLIF(16) <-> Linear(16x16) -> Affine(4x16) -> CubaLI(4)
                               -> Output, written with nir.write (gzip-compressed, chunked datasets), gains
                               r*w_in*dt/tau_syn of 2 (hidden) and 0.5 (readout) at dt = 1 ms
  nir-affine-cubalif-rec-input.npy            [100, 8] input spikes (seeded)
  nir-affine-cubalif-rec-hidden.npy           [100, 16] hidden spikes SpikeKit must produce (same-step reset)
  nir-affine-cubalif-rec-output.npy           [100, 4] readout membrane U[n] SpikeKit must produce
  nir-conv2d.nir                              Input -> Conv2d -> Output: SpikeKit has no Conv2d
  snntorch-synaptic.nir                       snnTorch Linear -> Synaptic -> Linear -> Synaptic, export_to_nir
  snntorch-rsynaptic.nir                      snnTorch Linear -> RSynaptic (all-to-all) -> Linear -> Synaptic
  norse-lif.nir                               Norse Linear -> LIFCell -> Linear -> LIFCell, norse.torch.to_nir
"""
import argparse
import pathlib

import numpy as np
import nir

DT = 1e-3


def spikekit_reference(x, layers, threshold=1.0):
    """SpikeKit's forward pass (README "Spike functions and reset semantics", same-step reset, step escape noise):
    S[n] = 1[U[n] > theta]; I[n+1] = ls I[n] + W x[n] + V S[n]; U[n+1] = lm U[n] (1 - S[n]) + (1 - lm) I[n];
    a readout outputs U[n] with U[n+1] = lm U[n] + (1 - lm) I[n]. float32 throughout, as SpikeKit."""
    f = np.float32
    outs = []
    for layer in layers:
        W, V, tau_mem, tau_syn, readout = layer
        lm, ls = f(np.exp(-DT / tau_mem)), f(np.exp(-DT / tau_syn))
        T, N = x.shape[0], W.shape[0]
        I = np.zeros(N, f)
        U = np.zeros(N, f)
        out = np.zeros((T, N), f)
        margin = np.inf
        for n in range(T):
            if readout:
                out[n] = U
                U_next = lm * U + (f(1) - lm) * I
            else:
                S = (U - f(threshold) > 0).astype(f)
                margin = min(margin, float(np.min(np.abs(U - f(threshold)))))
                out[n] = S
                U_next = lm * U * (f(1) - S) + (f(1) - lm) * I
            drive = W @ x[n]
            if V is not None:
                drive = drive + V @ S
            I = ls * I + drive.astype(f)
            U = U_next.astype(f)
        outs.append(out)
        if not readout:
            print(f"  layer: {int(out.sum())} spikes, closest |U - theta| = {margin:.2e}")
        x = out
    return outs


def hand_built(out: pathlib.Path):
    rng = np.random.default_rng(12)
    n_in, n_hid, n_out, T = 8, 16, 4, 100
    tau_syn_h, tau_mem_h, tau_syn_o, tau_mem_o = 5e-3, 1e-2, 5e-3, 2e-2
    W1 = (rng.normal(0, 1.0, (n_hid, n_in))).astype(np.float32)
    V = (rng.normal(0, 0.3, (n_hid, n_hid))).astype(np.float32)
    W2 = (rng.normal(0, 0.5, (n_out, n_hid))).astype(np.float32)
    ones_h, ones_o = np.ones(n_hid), np.ones(n_out)
    # gain r * w_in * dt / tau_syn = 2 for the hidden layer and 0.5 for the readout.
    g = nir.NIRGraph(
        nodes={
            "input": nir.Input(input_type=np.array([n_in])),
            "fc1": nir.Affine(weight=W1, bias=np.zeros(n_hid, np.float32)),
            "lif": nir.CubaLIF(tau_syn=tau_syn_h * ones_h, tau_mem=tau_mem_h * ones_h, r=1.0 * ones_h,
                               v_leak=0 * ones_h, v_threshold=1.0 * ones_h, v_reset=0 * ones_h,
                               w_in=2 * tau_syn_h / DT * ones_h),
            "rec": nir.Linear(weight=V),
            "fc2": nir.Affine(weight=W2, bias=np.zeros(n_out, np.float32)),
            "li": nir.CubaLI(tau_syn=tau_syn_o * ones_o, tau_mem=tau_mem_o * ones_o, r=0.5 * ones_o,
                             v_leak=0 * ones_o, w_in=tau_syn_o / DT * ones_o),
            "output": nir.Output(output_type=np.array([n_out])),
        },
        edges=[("input", "fc1"), ("fc1", "lif"), ("lif", "rec"), ("rec", "lif"), ("lif", "fc2"), ("fc2", "li"),
               ("li", "output")],
    )
    nir.write(out / "nir-affine-cubalif-rec.nir", g)
    x = (rng.random((T, n_in)) < 0.2).astype(np.float32)
    # SpikeKit's weights: gain * W_NIR (the float64 product rounded to float32, as the importer computes it).
    f = lambda w, gain: (w.astype(np.float64) * gain).astype(np.float32)
    hidden, output = spikekit_reference(
        x, [(f(W1, 2.0), f(V, 2.0), tau_mem_h, tau_syn_h, False), (f(W2, 0.5), None, tau_mem_o, tau_syn_o, True)])
    np.save(out / "nir-affine-cubalif-rec-input.npy", x)
    np.save(out / "nir-affine-cubalif-rec-hidden.npy", hidden)
    np.save(out / "nir-affine-cubalif-rec-output.npy", output)
    assert nir.read(out / "nir-affine-cubalif-rec.nir") is not None

    conv = nir.NIRGraph(
        nodes={
            "input": nir.Input(input_type=np.array([1, 4, 4])),
            "conv": nir.Conv2d(input_shape=(4, 4), weight=np.ones((2, 1, 3, 3), np.float32), stride=1, padding=1,
                               dilation=1, groups=1, bias=np.zeros(2, np.float32)),
            "output": nir.Output(output_type=np.array([2, 4, 4])),
        },
        edges=[("input", "conv"), ("conv", "output")],
    )
    nir.write(out / "nir-conv2d.nir", conv)


def peers(out: pathlib.Path):
    import torch
    import snntorch as snn
    from snntorch.export_nir import export_to_nir
    import norse.torch as norse

    torch.manual_seed(3)

    class SynapticNet(torch.nn.Module):
        def __init__(self, recurrent=False):
            super().__init__()
            # Per-neuron alpha, beta and threshold: snnTorch exports their shapes as the layer's.
            full = lambda n, v: torch.full((n,), v)
            self.fc1 = torch.nn.Linear(8, 16)
            self.lif1 = (snn.RSynaptic(alpha=full(16, 0.9), beta=full(16, 0.8), threshold=full(16, 1.0),
                                       linear_features=16, init_hidden=False)
                         if recurrent else snn.Synaptic(alpha=full(16, 0.9), beta=full(16, 0.8), threshold=full(16, 1.0),
                                                        init_hidden=False))
            self.fc2 = torch.nn.Linear(16, 4)
            self.lif2 = snn.Synaptic(alpha=full(4, 0.9), beta=full(4, 0.8), threshold=full(4, 1.0), init_hidden=False)

        def forward(self, x):
            return self.lif2(self.fc2(self.lif1(self.fc1(x))[0]))[0]

    for name, recurrent in [("snntorch-synaptic.nir", False), ("snntorch-rsynaptic.nir", True)]:
        net = SynapticNet(recurrent)
        with torch.no_grad():
            net.fc1.bias.zero_()
            net.fc2.bias.zero_()
            if recurrent:
                net.lif1.recurrent.bias.zero_()
        g = export_to_nir(net, torch.zeros(1, 8), ignore_dims=[0])
        nir.write(out / name, g)
        nir.read(out / name)

    # Per-neuron parameters (Norse exports scalar parameters as 0-d arrays, which nir.write cannot compress).
    def lif(n):
        return norse.LIFCell(norse.LIFParameters(tau_syn_inv=torch.full((n,), 200.0), tau_mem_inv=torch.full((n,), 100.0),
                                                 v_leak=torch.zeros(n), v_th=torch.ones(n), v_reset=torch.zeros(n)))
    model = norse.SequentialState(torch.nn.Linear(8, 16, bias=False), lif(16), torch.nn.Linear(16, 4, bias=False), lif(4))
    g = norse.to_nir(model, torch.zeros(8))
    nir.write(out / "norse-lif.nir", g)
    nir.read(out / "norse-lif.nir")


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--out", default="Tests/SpikeKitTests/Fixtures/nir")
    p.add_argument("--no-torch", action="store_true", help="skip the snnTorch and Norse graphs")
    a = p.parse_args()
    out = pathlib.Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    hand_built(out)
    if not a.no_torch:
        peers(out)
    print("wrote", sorted(x.name for x in out.iterdir()))

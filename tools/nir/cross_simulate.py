#!/usr/bin/env python3
"""Cross-simulation of NIR graphs between SpikeKit and its peers (docs/NIR.md, "Cross-simulation").

A. SpikeKit -> Norse: a deterministic SpikeKit network (20 -> 40 LIF -> 10 LIF, same-step reset, tau_mem 10 ms,
   tau_syn 5 ms) is exported with `spikekit nir export`, loaded with `norse.torch.from_nir(graph, dt=dt)` and run on
   the same input spikes as `spikekit nir run`.
B. snnTorch -> SpikeKit: an snnTorch network (Linear -> Synaptic -> Linear -> Synaptic, reset to zero, no reset
   delay, the variant snnTorch's own NIR import builds) is exported with `snntorch.export_nir.export_to_nir`, run
   by snnTorch and by `spikekit nir run --dt 1e-4` (snnTorch's exporter assumes dt = 1e-4).
C. The same with a recurrent first layer (RSynaptic, all-to-all V), and as a control with V = 0.
D. A and B with biases: in A the SpikeKit layers have biases (exported as Affine nodes through `--weights`), in B
   the torch.nn.Linear layers have them (snnTorch exports Affine); and the V = 0 control of C with the recurrent
   Linear's bias (which SpikeKit adds to the layer's bias). Both peers import Affine as torch.nn.Linear with its
   bias, i.e. W s[n] + b at every step ahead of w_in, the synapse and r.
Also recorded: whether snnTorch's importer accepts SpikeKit's graph.

Each direction is run at a coarse and a fine time step relative to the time constants. The peers step the same
continuous-time equations differently (forward Euler, no connection delay; SpikeKit: exponential decay and one
step of delay per connection), so the script compares spike trains after shifting the peer's by the delay it
predicts (2 steps per spiking layer) and also reports the shift with the best agreement.

    /path/venv/bin/python tools/nir/cross_simulate.py --spikekit .build/release/spikekit [--json out.json]
"""
import argparse
import json
import pathlib
import subprocess
import tempfile

import numpy as np
import nir
import torch


def run_spikekit(binary, graph, x, work, dt=None):
    np.save(work / "input.npy", x.astype(np.float32))
    cmd = [binary, "nir", "run", str(graph), "--input", str(work / "input.npy"), "-o", str(work / "run")]
    if dt is not None:
        cmd += ["--dt", str(dt), "--reset", "same-step"]
    subprocess.run(cmd, check=True, capture_output=True)
    layers = sorted((work / "run").glob("spikes-layer*.npy"))
    return [np.load(p) for p in layers]


def write_safetensors(path, tensors):
    """A safetensors file of float32 arrays (SpikeKit's --weights format), without the safetensors package."""
    header, blobs, offset = {}, [], 0
    for name, a in tensors.items():
        b = np.ascontiguousarray(a, dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    pathlib.Path(path).write_bytes(len(h).to_bytes(8, "little") + h + b"".join(blobs))


def compare(spikekit, peer, predicted, dt):
    """Agreement of two spike trains [T, N]: peer[n] is compared with spikekit[n + shift]."""
    T = spikekit.shape[0]

    def at(shift):
        a, b = spikekit[shift:], peer[: T - shift]
        return int(np.sum(a != b)), a.size

    mismatches = {s: at(s)[0] for s in range(0, 7)}
    best = min(mismatches, key=mismatches.get)
    m, size = at(predicted)
    a, b = spikekit[predicted:], peer[: T - predicted]
    # SpikeKit spikes with a peer spike of the same neuron within one step (after the shift), and vice versa.
    def near(v, k):
        out = v.copy()
        for j in range(1, k + 1):
            out = np.maximum(out, np.maximum(np.roll(v, j, 0), np.roll(v, -j, 0)))
        return out

    def matched(k):
        return [round(float(np.sum(a * near(b, k)) / max(1, a.sum())), 4),
                round(float(np.sum(b * near(a, k)) / max(1, b.sum())), 4)]
    counts_a, counts_b = a.sum(0), b.sum(0)
    steps = np.nonzero(np.any(a != b, axis=1))[0]
    return {
        "spikekit_spikes": int(a.sum()), "peer_spikes": int(b.sum()),
        "predicted_shift": predicted, "mismatched_bins": m, "bins": size, "identical": m == 0,
        "best_shift": best, "mismatched_bins_at_best_shift": mismatches[best],
        "matched_within_1_step": matched(1), "matched_within_1_ms": matched(max(1, round(1e-3 / dt))),
        "max_count_difference_per_neuron": int(np.max(np.abs(counts_a - counts_b))),
        "mismatched_steps_first_last": [int(steps[0]), int(steps[-1])] if len(steps) else None,
    }


def prewarp(graph, dt, to_euler):
    """The graph with each neuron's time constants changed so that one peer's step equals the other's:
    to_euler: tau -> dt / (1 - exp(-dt / tau)), so that forward Euler (decay 1 - dt/tau) decays by exp(-dt/tau)
    as SpikeKit does; else tau -> -dt / log(1 - dt / tau), so that SpikeKit's exp(-dt/tau) equals the peer's
    Euler decay. w_in is scaled with tau_syn so that w_in dt / tau_syn (the jump per spike) is unchanged; the
    membrane's input factor (Euler dt/tau_mem, SpikeKit 1 - exp(-dt/tau_mem)) becomes equal by the same change."""
    g = nir.read(graph)
    for node in g.nodes.values():
        if isinstance(node, (nir.CubaLIF, nir.CubaLI)):
            warp = (lambda t: dt / (1 - np.exp(-dt / t))) if to_euler else (lambda t: -dt / np.log(1 - dt / t))
            tau_syn = warp(node.tau_syn)
            node.w_in = node.w_in * tau_syn / node.tau_syn
            node.tau_syn, node.tau_mem = tau_syn, warp(node.tau_mem)
    return g


def spikekit_to_norse(binary, work, dt, steps, seed, warped=False, biased=()):
    """biased: the layers that get a bias b ~ N(0, 0.04) (a constant drive of b / (1 - exp(-dt/tau_syn)) ~ 0.2 at
    dt = 1 ms) on top of the fluctuation-driven weights, exported through --weights."""
    import norse.torch as norse

    model = {"dt": dt, "threshold": 1.0, "input": {"shape": [20]}, "layers": [
        {"kind": "lif", "units": 40, "tau_mem": 0.01, "tau_syn": 0.005, "reset": "same-step",
         "spike": {"escape": {"kind": "step"}, "surrogate": {"kind": "superspike", "beta": 10}}},
        {"kind": "lif", "units": 10, "tau_mem": 0.01, "tau_syn": 0.005, "reset": "same-step",
         "spike": {"escape": {"kind": "step"}, "surrogate": {"kind": "superspike", "beta": 10}}}]}
    for i in biased:
        model["layers"][i]["bias"] = f"layer{i}.bias"
    (work / "model.json").write_text(json.dumps(model))
    graph = work / "spikekit.nir"
    subprocess.run([binary, "nir", "export", str(work / "model.json"), "-o", str(graph), "--seed", str(seed)],
                   check=True, capture_output=True)
    if biased:  # the same weights, with biases (zero from the initialisation) replaced
        g = nir.read(graph)
        brng = np.random.default_rng(seed + 100)
        tensors = {}
        for i, layer in enumerate(model["layers"]):
            tensors[f"layer{i}.weight"] = g.nodes[f"layer{i}.weight"].weight
            if i in biased:
                scale = 0.04 * (1 - np.exp(-dt / 0.005)) / (1 - np.exp(-1e-3 / 0.005))
                tensors[f"layer{i}.bias"] = brng.normal(0, scale, layer["units"]).astype(np.float32)
        write_safetensors(work / "weights.safetensors", tensors)
        subprocess.run([binary, "nir", "export", str(work / "model.json"), "-o", str(graph), "--weights",
                        str(work / "weights.safetensors")], check=True, capture_output=True)
        g = nir.read(graph)
        for i in biased:
            assert isinstance(g.nodes[f"layer{i}.weight"], nir.Affine)
            assert np.array_equal(g.nodes[f"layer{i}.weight"].bias, tensors[f"layer{i}.bias"])
    rng = np.random.default_rng(seed)
    x = (rng.random((steps, 20)) < 40.0 * dt).astype(np.float32)  # 40 Hz Poisson
    sk = run_spikekit(binary, graph, x, work)
    net = norse.from_nir(prewarp(graph, dt, to_euler=True) if warped else nir.read(graph), dt=dt)
    captured = {}
    for name, mod in net.named_modules():
        if name in ("layer0", "layer1"):
            mod.register_forward_hook(lambda m, i, o, name=name: captured.__setitem__(name, o[0].detach().numpy().copy()))
    state = None
    hidden, out = [], []
    with torch.no_grad():
        for n in range(steps):
            _, state = net(torch.from_numpy(x[n : n + 1]), state)
            hidden.append(captured["layer0"][0])
            out.append(captured["layer1"][0])
    peer = [np.array(hidden), np.array(out)]
    return [compare(s, p, 2 * (i + 1), dt) for i, (s, p) in enumerate(zip(sk, peer))]


def snntorch_to_spikekit(binary, work, alpha, beta, steps, seed, warped=False, recurrent=False, zero_v=False,
                         biased=False, recurrent_bias=False):
    """biased: torch.nn.Linear biases b ~ (1 - alpha)(1 - beta) N(0, 1) (a constant drive of mem ~ N(0, 1));
    recurrent_bias: RSynaptic's recurrent Linear keeps a bias of (1 - alpha)(1 - beta) N(0, 0.5)."""
    import snntorch as snn
    from snntorch.export_nir import export_to_nir

    torch.manual_seed(seed)
    full = lambda n, v: torch.full((n,), v)
    lif = lambda n: snn.Synaptic(alpha=full(n, alpha), beta=full(n, beta), threshold=full(n, 1.0),
                                 reset_mechanism="zero", reset_delay=False)
    # snnTorch's tracer cannot export an RSynaptic built with reset_delay=False; the exported parameters do not
    # depend on it, so the exported module keeps the default and the simulated one (as snnTorch's import builds
    # it) has reset_delay=False.
    rlif = lambda n, export=False: snn.RSynaptic(
        alpha=full(n, alpha), beta=full(n, beta), threshold=full(n, 1.0), linear_features=n, reset_mechanism="zero",
        **({} if export else {"reset_delay": False}))

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1, self.lif1 = torch.nn.Linear(20, 40, bias=biased), (rlif(40, export=True) if recurrent else lif(40))
            self.fc2, self.lif2 = torch.nn.Linear(40, 10, bias=biased), lif(10)

        def forward(self, x):
            return self.lif2(self.fc2(self.lif1(self.fc1(x))[0]))[0]

    net = Net()
    with torch.no_grad():  # scale the drive so that both layers fire moderately for either (alpha, beta)
        net.fc1.weight.mul_(3 * (1 - alpha) * (1 - beta) / 0.02)
        net.fc2.weight.mul_(3 * (1 - alpha) * (1 - beta) / 0.02)
        brng = torch.Generator().manual_seed(seed + 100)
        if biased:
            for fc in (net.fc1, net.fc2):
                fc.bias.copy_((1 - alpha) * (1 - beta) * torch.randn(fc.bias.shape, generator=brng))
        if recurrent:
            if recurrent_bias:
                net.lif1.recurrent.bias.copy_(0.5 * (1 - alpha) * (1 - beta) * torch.randn(40, generator=brng))
            else:
                net.lif1.recurrent.bias.zero_()
            if zero_v:  # a control: the recurrent path with V = 0 must agree like a feed-forward network
                net.lif1.recurrent.weight.zero_()
    graph = work / "snntorch.nir"
    nir.write(graph, export_to_nir(net, torch.zeros(1, 20), ignore_dims=[0]))
    rng = np.random.default_rng(seed)
    x = (rng.random((steps, 20)) < 0.05).astype(np.float32)
    syn1 = mem1 = syn2 = mem2 = None
    l1, l2 = (rlif(40) if recurrent else lif(40)), lif(10)
    l1.load_state_dict(net.lif1.state_dict())
    l2.load_state_dict(net.lif2.state_dict())
    hidden, out = [], []
    with torch.no_grad():
        s1 = m1 = s2 = m2 = torch.zeros(1)
        for n in range(steps):
            if recurrent:  # RSynaptic keeps its last spikes itself and adds V·S[t-1]
                z1, s1, m1 = l1(net.fc1(torch.from_numpy(x[n : n + 1])), z1 if n else torch.zeros(1, 40), s1, m1)
            else:
                z1, s1, m1 = l1(net.fc1(torch.from_numpy(x[n : n + 1])), s1, m1)
            z2, s2, m2 = l2(net.fc2(z1), s2, m2)
            hidden.append(z1[0].numpy().copy())
            out.append(z2[0].numpy().copy())
    if warped:
        g = prewarp(graph, 1e-4, to_euler=False)
        if recurrent:
            # snnTorch's RSynaptic.forward applies reset_delay=False to local variables only (snnTorch 1.0.0), so
            # its reset acts one step later: SpikeKit's next-step reset, set through SpikeKit's node metadata.
            g.nodes["lif1.lif"].metadata["spikekit.reset"] = "next-step"
        nir.write(work / "snntorch-warped.nir", g)
        graph = work / "snntorch-warped.nir"
    sk = run_spikekit(binary, graph, x, work, dt=1e-4)
    peer = [np.array(hidden), np.array(out)]
    return [compare(s, p, 2 * (i + 1), 1e-4) for i, (s, p) in enumerate(zip(sk, peer))]


def snntorch_imports_spikekit(work):
    from snntorch.import_nir import import_from_nir
    try:
        import_from_nir(nir.read(work / "spikekit.nir"))
        return "imported"
    except Exception as e:  # snnTorch asserts r == tau_mem / 1e-4
        return f"refused: {type(e).__name__}: {e}"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--spikekit", default=".build/release/spikekit")
    p.add_argument("--steps", type=int, default=1000)
    p.add_argument("--seed", type=int, default=3)
    p.add_argument("--json")
    a = p.parse_args()
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        work = pathlib.Path(tmp)
        for warped in (False, True):
            for dt in (1e-3, 1e-4):
                key = f"spikekit->norse dt={dt}" + (" prewarped" if warped else " as exported")
                results[key] = spikekit_to_norse(a.spikekit, work, dt, a.steps, a.seed, warped)
        results["snntorch imports spikekit graph"] = snntorch_imports_spikekit(work)
        for warped in (False, True):
            for alpha, beta in ((0.9, 0.8), (0.99, 0.98)):
                key = f"snntorch->spikekit alpha={alpha} beta={beta}" + (" prewarped" if warped else " as exported")
                results[key] = snntorch_to_spikekit(a.spikekit, work, alpha, beta, a.steps, a.seed, warped)
        results["snntorch->spikekit recurrent alpha=0.9 beta=0.8 prewarped"] = snntorch_to_spikekit(
            a.spikekit, work, 0.9, 0.8, a.steps, a.seed, True, recurrent=True)
        results["snntorch->spikekit recurrent with V=0 alpha=0.9 beta=0.8 prewarped"] = snntorch_to_spikekit(
            a.spikekit, work, 0.9, 0.8, a.steps, a.seed, True, recurrent=True, zero_v=True)
        # D: biases.
        for warped in (False, True):
            for dt in (1e-3, 1e-4):
                for biased in ((0,), (0, 1)):
                    key = (f"spikekit->norse biases on layers {list(biased)} dt={dt}"
                           + (" prewarped" if warped else " as exported"))
                    results[key] = spikekit_to_norse(a.spikekit, work, dt, a.steps, a.seed, warped, biased)
            for alpha, beta in ((0.9, 0.8), (0.99, 0.98)):
                key = f"snntorch->spikekit biases alpha={alpha} beta={beta}" + (" prewarped" if warped else " as exported")
                results[key] = snntorch_to_spikekit(a.spikekit, work, alpha, beta, a.steps, a.seed, warped, biased=True)
        results["snntorch->spikekit recurrent with V=0 and a recurrent bias, biases alpha=0.9 beta=0.8 prewarped"] = \
            snntorch_to_spikekit(a.spikekit, work, 0.9, 0.8, a.steps, a.seed, True, recurrent=True, zero_v=True,
                                 biased=True, recurrent_bias=True)
    for k, v in results.items():
        print(k)
        if isinstance(v, str):
            print("   ", v)
            continue
        for i, layer in enumerate(v):
            print(f"    layer {i}: " + ", ".join(f"{key} {val}" for key, val in layer.items()))
    if a.json:
        pathlib.Path(a.json).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()

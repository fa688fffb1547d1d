#!/usr/bin/env python3
"""The Open Neuromorphic SNN library benchmark (open-neuromorphic/snn-library-benchmarks) on the CPU.

Network: one Linear(n, n) (no bias) followed by one layer of n LIF neurons. Input: x = randn(16, 500, n) from a
seeded generator (batch 16, 500 steps), fed as a real-valued current. Loss: the sum of the output spikes.
Timed separately: the forward pass (autograd graph recorded) and loss.backward().

Implementations (--impl):
  torch       plain PyTorch: the Linear on all steps at once (one [B*T, n] x [n, n] product), then the LIF
              recurrence step by step; a SuperSpike surrogate (1 / (beta |U - 1| + 1)^2, beta = 10).
  snntorch    nn.Linear + snntorch.Leaky(beta = 0.9, subtract reset, fast_sigmoid(slope = 10)), one step at a time
              (as in the ONB benchmark and the snnTorch tutorials).
  norse       norse.torch.SequentialState(nn.Linear, norse.torch.LIF()) over the whole sequence [T, B, n] (Norse's
              default current-based LIF, SuperSpike surrogate).
  spikingjelly  SpikingJelly activation_based: layer.Linear + neuron.LIFNode (multi-step, backend "torch",
              ATan surrogate) over [T, B, n].

Each row runs in its own process (`--impl X --n N`); `--out FILE` appends a JSON line. Median, min and max of the
timed repetitions after the warm-up are reported.
"""
import argparse
import json
import os
import platform
import statistics
import sys
import time


def build(impl, n, torch):
    import torch.nn as nn

    if impl == "torch":
        class SuperSpike(torch.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return (x > 0).to(x.dtype)

            @staticmethod
            def backward(ctx, g):
                (x,) = ctx.saved_tensors
                return g / (10.0 * x.abs() + 1.0) ** 2

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(n, n, bias=False)
                self.beta = 0.9

            def forward(self, x):  # x [B, T, n]
                B, T, _ = x.shape
                cur = self.fc(x.reshape(B * T, n)).reshape(B, T, n)
                u = torch.zeros(B, n)
                out = []
                for t in range(T):
                    u = self.beta * u + cur[:, t]
                    s = SuperSpike.apply(u - 1.0)
                    u = u - s  # subtract reset (threshold 1), as snnTorch's Leaky
                    out.append(s)
                return torch.stack(out, 1)

        return Net(), lambda net, x: net(x)

    if impl == "snntorch":
        import snntorch as snn
        from snntorch import surrogate

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(n, n, bias=False)
                self.lif = snn.Leaky(beta=0.9, spike_grad=surrogate.fast_sigmoid(slope=10))

            def forward(self, x):
                mem = self.lif.init_leaky()
                out = []
                for t in range(x.shape[1]):
                    spk, mem = self.lif(self.fc(x[:, t]), mem)
                    out.append(spk)
                return torch.stack(out, 1)

        return Net(), lambda net, x: net(x)

    if impl == "norse":
        import norse.torch as norse

        net = norse.SequentialState(nn.Linear(n, n, bias=False), norse.LIF())

        def run(net, x):
            y, _ = net(x.transpose(0, 1))  # [T, B, n]
            return y

        return net, run

    if impl == "spikingjelly":
        from spikingjelly.activation_based import functional, layer, neuron, surrogate

        net = nn.Sequential(
            layer.Linear(n, n, bias=False, step_mode="m"),
            neuron.LIFNode(tau=2.0, surrogate_function=surrogate.ATan(), step_mode="m"),  # pure PyTorch (SpikingJelly 2.0 has no other CPU backend)
        )

        def run(net, x):
            functional.reset_net(net)
            return net(x.transpose(0, 1).contiguous())  # [T, B, n]

        return net, run

    raise SystemExit(f"unknown impl {impl}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--impl", required=True, choices=["torch", "snntorch", "norse", "spikingjelly"])
    ap.add_argument("--n", type=int, default=512)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--steps", type=int, default=500)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--threads", type=int, default=int(os.environ.get("OMP_NUM_THREADS", "2")))
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out")
    a = ap.parse_args()

    import torch

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    net, run = build(a.impl, a.n, torch)
    g = torch.Generator().manual_seed(a.seed)
    x = torch.randn(a.batch, a.steps, a.n, generator=g)
    fwd, bwd, spikes = [], [], None
    for rep in range(a.warmup + a.reps):
        net.zero_grad(set_to_none=True)
        t0 = time.perf_counter()
        y = run(net, x)
        loss = y.sum()
        t1 = time.perf_counter()
        loss.backward()
        t2 = time.perf_counter()
        if rep >= a.warmup:
            fwd.append(t1 - t0)
            bwd.append(t2 - t1)
        spikes = float(loss.item())
    tot = [f + b for f, b in zip(fwd, bwd)]
    versions = {"torch": torch.__version__, "python": platform.python_version()}
    for mod in ("snntorch", "norse", "spikingjelly"):
        if a.impl == mod:
            m = __import__(mod)
            versions[mod] = getattr(m, "__version__", "?")
    row = {
        "impl": a.impl, "n": a.n, "batch": a.batch, "steps": a.steps, "threads": a.threads, "reps": a.reps,
        "forward_median_s": statistics.median(fwd), "backward_median_s": statistics.median(bwd),
        "total_median_s": statistics.median(tot), "total_min_s": min(tot), "total_max_s": max(tot),
        "output_spikes": spikes, "versions": versions,
    }
    print(json.dumps(row))
    if a.out:
        with open(a.out, "a") as f:
            f.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    sys.exit(main())

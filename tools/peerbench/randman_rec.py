"""Plain-PyTorch baseline of `spikekit bench --workload randman-rec`: one epoch of stork's Randman example with a
recurrent hidden layer, written the way ../shared/peerbench writes its networks (a time loop over tensors, autograd
BPTT, no SNN library).

Network (Examples/models/stork-randman-rec.json; stork's LIFGroup / ReadoutGroup update order):
  20 inputs -> 128 LIF (tau_mem 20 ms, tau_syn 10 ms, threshold 1, dense recurrence) -> 10 leaky readouts
  (tau_mem 0.2 s, tau_syn 10 ms, U[0] = -0.01); dt = 2 ms, 100 steps. Per step, as stork evolves its groups:
      S[n]   = H(U[n] - 1)                      (SuperSpike surrogate, beta 20, in the backward pass)
      I[n+1] = lambda_syn I[n] + W S_in[n-1] + V S[n-1]      (a connection's output reaches its target's input
      U[n+1] = (lambda_mem U[n] + (1 - lambda_mem) I[n]) (1 - S[n])   one step later: stork's delay 2)
  readout: I_o[n+1] = lambda_syn I_o[n] + W_o S[n-1];  U_o[n+1] = lambda_o U_o[n] + (1 - lambda_o) I_o[n].
  Loss: cross entropy of max_n U_o[n] (stork's MaxOverTimeCrossEntropy) + the two activity regularizers on the
  hidden spike counts c (upper: 0.1 mean_b mean_j relu(c - 4)^2; lower: 100 mean_j relu(1e-3 - mean_b c)^2).
  Optimizer: SMORMS3, lr 5e-3 (as stork).

One epoch = 32 training batches of 250 (forward, loss.backward(), optimizer step) + the forward pass of 1000
validation samples (4 batches of 250 under no_grad), the work of stork's fit_validate per epoch and of the SpikeKit
workload. Inputs: each sample has one spike per input unit at a random step (the Randman example's density: 20
spikes in 100 x 20); the timed work of a dense PyTorch network does not depend on the spike pattern.

    OMP_NUM_THREADS=2 python tools/peerbench/randman_rec.py --threads 2 --epochs 3 --out randman.jsonl
"""
import argparse, json, math, resource, time

import torch

p = argparse.ArgumentParser()
p.add_argument("--threads", type=int, default=2)
p.add_argument("--epochs", type=int, default=3, help="timed epochs (after --warmup)")
p.add_argument("--warmup", type=int, default=1)
p.add_argument("--seed", type=int, default=1)
p.add_argument("--out", help="append one JSON line with the timings")
a = p.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(a.seed)

T, dt, n_in, n_hid, n_out, batch = 100, 2e-3, 20, 128, 10, 250
n_train, n_valid = 8000, 1000
lam_mem, lam_syn, lam_out = math.exp(-dt / 20e-3), math.exp(-dt / 10e-3), math.exp(-dt / 0.2)


class SuperSpike(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return (x > 0).to(x.dtype)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g / (20.0 * x.abs() + 1.0) ** 2


class SMORMS3(torch.optim.Optimizer):
    def __init__(self, params, lr=5e-3, eps=1e-16):
        super().__init__(params, dict(lr=lr, eps=eps))

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            lr, eps = group["lr"], group["eps"]
            for p in group["params"]:
                g, st = p.grad, self.state[p]
                if not st:
                    st["mem"], st["g"], st["g2"] = torch.ones_like(p), torch.zeros_like(p), torch.zeros_like(p)
                mem, g1, g2 = st["mem"], st["g"], st["g2"]
                r = 1.0 / (mem + 1.0)
                g1.mul_(1 - r).addcmul_(r, g)
                g2.mul_(1 - r).addcmul_(r, g * g)
                x = g1 * g1 / (g2 + eps)
                mem.mul_(1 - x).add_(1.0)
                p.sub_(g * torch.clamp(x, max=lr) / (torch.sqrt(g2) + eps))


def spikes(n):
    x = torch.zeros(n, T, n_in)
    x.scatter_(1, torch.randint(0, T, (n, 1, n_in)), 1.0)
    return x


W = (torch.randn(n_in, n_hid) * 0.2).requires_grad_()
V = (torch.randn(n_hid, n_hid) * 0.02).requires_grad_()
Wo = (torch.randn(n_hid, n_out) * 0.1).requires_grad_()
opt = SMORMS3([W, V, Wo])
train_x, train_y = spikes(n_train), torch.randint(0, n_out, (n_train,))
valid_x = spikes(n_valid)


def forward(x):
    b = x.shape[0]
    # W S_in[n] of every step at once; unbind (not drive[:, n]) so that the backward is one stack instead of T
    # zero-filled full-size gradients (as ../shared/peerbench does)
    drive = (x @ W).unbind(1)
    syn = torch.zeros(b, n_hid); mem = torch.zeros(b, n_hid)
    s_prev = torch.zeros(b, n_hid); inp = torch.zeros(b, n_hid)
    osyn = torch.zeros(b, n_out); omem = torch.full((b, n_out), -1e-2); oinp = torch.zeros(b, n_out)
    outs, counts = [], torch.zeros(b, n_hid)
    for n in range(T):
        s = SuperSpike.apply(mem - 1.0)
        new_syn = lam_syn * syn + inp
        mem = (lam_mem * mem + (1 - lam_mem) * syn) * (1.0 - s)
        syn = new_syn
        new_osyn = lam_syn * osyn + oinp
        omem = lam_out * omem + (1 - lam_out) * osyn
        osyn = new_osyn
        outs.append(omem)
        counts = counts + s
        inp = drive[n] + s @ V
        oinp = s @ Wo
    return torch.stack(outs, 1), counts


def epoch():
    perm = torch.randperm(n_train)
    t0 = time.perf_counter()
    for k in range(n_train // batch):
        idx = perm[k * batch:(k + 1) * batch]
        out, counts = forward(train_x[idx])
        loss = torch.nn.functional.cross_entropy(out.max(1).values, train_y[idx])
        loss = loss + 0.1 * torch.relu(counts - 4).pow(2).mean() + 100 * torch.relu(1e-3 - counts.mean(0)).pow(2).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    t1 = time.perf_counter()
    with torch.no_grad():
        for k in range(n_valid // batch):
            forward(valid_x[k * batch:(k + 1) * batch])
    t2 = time.perf_counter()
    return t2 - t0, t1 - t0, t2 - t1


times = [epoch() for _ in range(a.warmup + a.epochs)][a.warmup:]
med = lambda v: sorted(v)[len(v) // 2]
row = dict(workload="randman-rec", impl="torch", threads=a.threads, torch=torch.__version__, epochs=len(times),
           epoch_median_s=med([t[0] for t in times]), epoch_min_s=min(t[0] for t in times),
           epoch_max_s=max(t[0] for t in times), train_median_s=med([t[1] for t in times]),
           validation_median_s=med([t[2] for t in times]),
           peak_rss_mib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
print(json.dumps(row))
if a.out:
    with open(a.out, "a") as f:
        f.write(json.dumps(row) + "\n")

#!/usr/bin/env python3
"""PyTorch reference for SpikeKit's optimizer options (issue #11 item 8): weight decay (L2 and decoupled),
gradient-norm clipping and learning-rate schedules, computed with torch.optim itself and not from SpikeKit's code.

Each case runs a torch optimizer for a few steps on fixed small float32 arrays (named like SpikeKit's parameters:
layer0.weight, layer0.recurrent, layer0.bias, layer1.weight) with a fixed sequence of gradients, and records after
every step the learning rate used, the global gradient norm before clipping and the parameters. The training loop
is the one SpikeKit's Trainer runs: for every epoch, for every batch: clip (optional), optimizer.step(); the
scheduler steps after every epoch (interval "epoch") or after every batch (interval "batch").

  torch.optim.SGD(lr, weight_decay)            -> SpikeKit GradientDescent, L2 decay
  torch.optim.Adam(lr, betas, eps, weight_decay) -> Adam, L2 decay
  torch.optim.AdamW(lr, betas, eps, weight_decay) -> Adam, decoupled decay
  a second parameter group with weight_decay 0 for the biases -> decaysBiases = false
  torch.nn.utils.clip_grad_norm_(params, max_norm) before each step -> TrainerConfiguration.gradientClipNorm
  StepLR(step_size = k·n, gamma), CosineAnnealingLR(T_max = T·n, eta_min), LinearLR(start_factor, total_iters = W)
  (n = 1 per epoch, B per batch), a warm-up combined with ChainedScheduler([LinearLR, ...])
                                                -> LearningRateSchedule

Output: Tests/SpikeKitTests/Fixtures/optimizer/cases.json (or OUT_DIR/cases.json):
  {"torch": version, "initial": {name: {"shape", "values"}}, "gradients": [{name: values}, ...],
   "cases": [{"name", "optimizer": {"kind": sgd|adam|adamw, "lr", "weight_decay", "decay_biases", "betas", "eps"},
              "clip": max_norm or null, "schedule": {...} or null, "epochs", "batches_per_epoch",
              "steps": [{"epoch", "batch", "lr", "grad_norm", "params": {name: values}}]}]}
Floats are written as the shortest decimal of the float32 value (exact when read back as Float).

Usage: /work/venv-ref/bin/python tools/reference/generate_optimizer_cases.py [OUT_DIR]
Needs: torch, numpy (CI does not run it: its output is committed).
"""
import json
import os
import sys

import numpy as np
import torch
from torch.optim.lr_scheduler import ChainedScheduler, CosineAnnealingLR, LinearLR, StepLR

SHAPES = [("layer0.weight", (3, 4)), ("layer0.recurrent", (3, 3)), ("layer0.bias", (3,)), ("layer1.weight", (2, 3))]
STEPS = 18  # the longest case: 6 epochs of 3 batches

rng = np.random.default_rng(20240811)
INITIAL = {n: rng.normal(0, 0.5, s).astype(np.float32) for n, s in SHAPES}
# Gradients whose global norm swings between about 0.2 and 6, so clipping at 1 clips some steps and not others;
# a few exact zeros.
GRADIENTS = []
for k in range(STEPS):
    scale = [0.05, 1.5, 0.3, 2.0, 0.8, 0.1][k % 6]
    g = {n: (rng.normal(0, 1, s) * scale).astype(np.float32) for n, s in SHAPES}
    g["layer0.weight"][0, 0] = 0
    GRADIENTS.append(g)


def floats(a):
    return [float(x) for x in np.asarray(a, dtype=np.float32).ravel()]


def run(name, optimizer, clip=None, schedule=None, epochs=2, batches=3):
    params = {n: torch.nn.Parameter(torch.tensor(INITIAL[n])) for n, _ in SHAPES}
    kind = optimizer["kind"]
    wd = optimizer.get("weight_decay", 0.0)
    decay_biases = optimizer.get("decay_biases", True)
    if decay_biases:
        groups = [{"params": [params[n] for n, _ in SHAPES]}]
    else:
        groups = [{"params": [params[n] for n, _ in SHAPES if not n.endswith(".bias")]},
                  {"params": [params[n] for n, _ in SHAPES if n.endswith(".bias")], "weight_decay": 0.0}]
    lr = optimizer["lr"]
    if kind == "sgd":
        opt = torch.optim.SGD(groups, lr=lr, weight_decay=wd)
    elif kind == "adam":
        opt = torch.optim.Adam(groups, lr=lr, betas=tuple(optimizer["betas"]), eps=optimizer["eps"], weight_decay=wd,
                               foreach=False)
    elif kind == "adamw":
        opt = torch.optim.AdamW(groups, lr=lr, betas=tuple(optimizer["betas"]), eps=optimizer["eps"], weight_decay=wd,
                                foreach=False)
    else:
        raise ValueError(kind)

    sched = None
    if schedule is not None:
        n = batches if schedule["interval"] == "batch" else 1
        parts = []
        ws, wb = schedule.get("warmup_epochs", 0), schedule.get("warmup_batches", 0)
        if wb > 0:
            assert schedule["interval"] == "batch", "warm-up in batches is checked with a per-batch scheduler here"
            parts.append(LinearLR(opt, start_factor=schedule["warmup_start_factor"], total_iters=wb))
        elif ws > 0:
            parts.append(LinearLR(opt, start_factor=schedule["warmup_start_factor"], total_iters=ws * n))
        if schedule["kind"] == "step":
            parts.append(StepLR(opt, step_size=schedule["step_epochs"] * n, gamma=schedule["gamma"]))
        elif schedule["kind"] == "cosine":
            period = schedule.get("cosine_epochs") or epochs
            parts.append(CosineAnnealingLR(opt, T_max=period * n, eta_min=schedule["minimum"]))
        sched = parts[0] if len(parts) == 1 else ChainedScheduler(parts, optimizer=opt)

    steps = []
    k = 0
    for e in range(epochs):
        for b in range(batches):
            for n_, _ in SHAPES:
                params[n_].grad = torch.tensor(GRADIENTS[k][n_])
            if clip is not None:
                norm = float(torch.nn.utils.clip_grad_norm_([params[n_] for n_, _ in SHAPES], clip))
            else:
                norm = float(torch.linalg.vector_norm(torch.stack(
                    [torch.linalg.vector_norm(params[n_].grad) for n_, _ in SHAPES])))
            used = opt.param_groups[0]["lr"]
            opt.step()
            steps.append({"epoch": e, "batch": b, "lr": used, "grad_norm": norm,
                          "params": {n_: floats(params[n_].detach().numpy()) for n_, _ in SHAPES}})
            k += 1
            if sched is not None and schedule["interval"] == "batch":
                sched.step()
        if sched is not None and schedule["interval"] == "epoch":
            sched.step()
    return {"name": name, "optimizer": optimizer, "clip": clip, "schedule": schedule, "epochs": epochs,
            "batches_per_epoch": batches, "steps": steps}


def schedule(kind="constant", interval="epoch", **kw):
    s = {"kind": kind, "interval": interval, "step_epochs": 1, "gamma": 0.1, "minimum": 0.0, "cosine_epochs": None,
         "warmup_epochs": 0, "warmup_batches": 0, "warmup_start_factor": 1.0 / 3}
    s.update(kw)
    return s


ADAM = {"betas": [0.9, 0.999], "eps": 1e-8}


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "../../Tests/SpikeKitTests/Fixtures/optimizer")
    os.makedirs(out, exist_ok=True)
    torch.set_default_dtype(torch.float32)
    cases = [
        # Weight decay.
        run("sgd-l2", {"kind": "sgd", "lr": 0.1, "weight_decay": 0.05}),
        run("sgd-l2-no-bias", {"kind": "sgd", "lr": 0.1, "weight_decay": 0.05, "decay_biases": False}),
        run("adam-l2", {"kind": "adam", "lr": 0.01, "weight_decay": 0.1, **ADAM}),
        run("adamw", {"kind": "adamw", "lr": 0.01, "weight_decay": 0.1, **ADAM}),
        run("adamw-no-bias", {"kind": "adamw", "lr": 0.02, "weight_decay": 0.5, "decay_biases": False, **ADAM}),
        # Clipping.
        run("sgd-clip", {"kind": "sgd", "lr": 0.1}, clip=1.0),
        run("adam-l2-clip", {"kind": "adam", "lr": 0.01, "weight_decay": 0.05, **ADAM}, clip=0.5),
        run("adamw-clip", {"kind": "adamw", "lr": 0.01, "weight_decay": 0.1, **ADAM}, clip=1.0),
        # Schedules.
        run("sgd-step-epoch", {"kind": "sgd", "lr": 0.1}, schedule=schedule("step", step_epochs=2, gamma=0.5), epochs=6),
        run("sgd-step-batch", {"kind": "sgd", "lr": 0.1}, schedule=schedule("step", "batch", step_epochs=2, gamma=0.3),
            epochs=6),
        run("sgd-cosine-epoch", {"kind": "sgd", "lr": 0.1}, schedule=schedule("cosine", minimum=0.001), epochs=6),
        run("adamw-cosine-batch", {"kind": "adamw", "lr": 0.01, "weight_decay": 0.1, **ADAM},
            schedule=schedule("cosine", "batch", minimum=0.0005), epochs=6),
        run("adam-cosine-period-epoch", {"kind": "adam", "lr": 0.01, **ADAM},
            schedule=schedule("cosine", minimum=0.002, cosine_epochs=4), epochs=3),
        run("sgd-warmup-epoch", {"kind": "sgd", "lr": 0.1}, schedule=schedule("constant", warmup_epochs=3), epochs=6),
        run("sgd-warmup-step-epoch", {"kind": "sgd", "lr": 0.1},
            schedule=schedule("step", step_epochs=2, gamma=0.5, warmup_epochs=2, warmup_start_factor=0.25), epochs=6),
        run("adam-warmup-cosine-batch", {"kind": "adam", "lr": 0.01, "weight_decay": 0.01, **ADAM},
            schedule=schedule("cosine", "batch", minimum=0.0, warmup_batches=5, warmup_start_factor=0.1), epochs=6),
        run("sgd-warmup-epochs-batch", {"kind": "sgd", "lr": 0.1},
            schedule=schedule("constant", "batch", warmup_epochs=2, warmup_start_factor=0.5), epochs=4),
        run("adamw-clip-warmup-step-batch", {"kind": "adamw", "lr": 0.01, "weight_decay": 0.2, **ADAM}, clip=1.0,
            schedule=schedule("step", "batch", step_epochs=1, gamma=0.7, warmup_batches=4, warmup_start_factor=0.2),
            epochs=4),
    ]
    doc = {
        "torch": torch.__version__,
        "initial": {n: {"shape": list(s), "values": floats(INITIAL[n])} for n, s in SHAPES},
        "gradients": [{n: floats(g[n]) for n, _ in SHAPES} for g in GRADIENTS],
        "cases": cases,
    }
    path = os.path.join(out, "cases.json")
    with open(path, "w") as f:
        json.dump(doc, f, sort_keys=True)
        f.write("\n")
    print(f"wrote {len(cases)} cases to {os.path.normpath(path)}")


if __name__ == "__main__":
    main()

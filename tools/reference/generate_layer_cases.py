#!/usr/bin/env python3
"""PyTorch autograd reference for SpikeKit's layer features beyond the paper (issue #11), written from the model
equations in docs (README "Spike functions and reset semantics") and not from SpikeKit's Swift code.

It writes verification cases in the verify-case format (see `spikekit verify --help` and the case.json files in
Tests/SpikeKitTests/Fixtures/cases): case.json plus float32 .npy arrays. The arithmetic is float64 on the float32
values saved; a case's seed is retried until every spike decision has a margin of at least MARGIN
(|U - θ| for deterministic spikes, |ξ - p| for stochastic ones), so a correct float32 implementation makes the
same spikes.

Features covered (one case each, see FEATURES below):
- reset "subtract": U[n+1] = λ_m U[n] + (1-λ_m) I[n] - θ S[n], with bp_reset off (S[n] in the reset term is a
  constant in the backward pass) and on.
- losses: "sum-over-time-ce" (logits Σ_n U[n]), "mean-membrane-ce" ((1/T) Σ_n U[n]), "last-step-ce" (U[T-1]),
  "spike-count-mse" (snnTorch's mse_count_loss: (1/N) Σ_c (Σ_n S_c[n] - T r_c)², r = correct_rate for the label,
  incorrect_rate otherwise), and the activity regularizer's lower bound per neuron ("lower_threshold",
  "lower_strength": lower_strength · (1/N_l) Σ_i relu(lower_threshold - count_i)², mean over the batch).
- loss "van-rossum" (tau_vr in seconds, target spike trains S* [B, T, *shape]): output and target are each filtered
  with the causal exponential kernel, F[n] = λ F[n-1] + S[n], F[-1] = 0, λ = exp(-Δt/tau_vr), and the loss is
  ½ Σ_n Σ_i (F_i[n] - F*_i[n])² per sample, mean over the batch.
- biases ("bias": file): b per neuron (lif, readout; shape [units]) or per channel (conv-lif; shape [channels]),
  added to the synaptic input at every step: I[n+1] = λ_s I[n] + W·S_in[n] + V·S[n] + b.
- heterogeneous time constants ("tau_mem_init", "tau_syn_init": {"kind": "values", "values": [...]}, drawn here
  from a gamma (shape 3, mean tau_mem) or uniform distribution): λ_m,k = exp(-Δt/τ_mem,k) per neuron (lif,
  readout) or per channel (conv-lif, shared by the positions); and learnable ones ("learn_tau_mem",
  "learn_tau_syn"): the parameter is ρ = ln(τ / 1 s), stored as float32, τ = exp(ρ); the expected gradients
  dL/dρ are keyed by the parameter names "layer<i>.log_tau_mem" / "layer<i>.log_tau_syn".
- adaptive LIF ("kind": "alif", dense, or "conv-alif", conv1d like conv-lif with one a per neuron, "tau_adapt": τ_a, "adapt_strength": β; Bellec et al. 2018), with the
  adaptation a[0] = 0, ρ_a = exp(-Δt/τ_a) and the effective threshold ϑ[n] = θ + β a[n]:
    S[n] = spike(U[n] - ϑ[n]);  a[n+1] = ρ_a a[n] + S[n]  (S carries its surrogate gradient into a)
    subtract reset: U[n+1] = λ_m U[n] + (1-λ_m) I[n] - ϑ[n] S[n]  (ϑ[n] keeps its gradient; S[n] only with
    bp_reset); next-step and same-step resets as below; I as below.
- learned thresholds ("learn_threshold": true): θ is a parameter per neuron (lif, alif) or per channel (conv-lif,
  [C, 1] against [C, P]), starting at the case's "threshold" (no file), its gradient keyed "layer<i>.threshold";
  it enters the spike argument and the subtract reset.
- dropout ("dropout": p, "dropout_mask": file of keep masks m ∈ {0, 1} [B, T, *layer shape], drawn here with
  P(m = 1) = 1 - p): the next layer receives S̃[n] = m[n] * S[n] / (1 - p), as torch.nn.Dropout after the layer
  computes it with that mask; the layer's own reset and recurrence, its recorded spikes and the activity
  regularizer use S[n]. Autograd then carries the mask into the backward pass.
- synaptic delays ("delay": d on a layer, its feed-forward connection; "delay": d in "recurrent"; default 1):
  I[n+1] = λ_s I[n] + ff(S_in[n - (d_ff - 1)]) + rec(S[n - (d_rec - 1)]), where a spike train before step 0 is
  zero (the bias is still added at every step). d = 1 is the equation below.
- real-valued input ("input": {"kind": "current", "currents": file}): float currents x[n] [B, T, *input shape]
  (drawn here from a normal distribution) enter the first layer exactly as input spikes do, through ff:
  I[n+1] = λ_s I[n] + ff(x[n]) + rec(S[n]); the expected gradients are those of the weights.

Dynamics of every spiking layer, n = 0..T-1, λ = exp(-Δt/τ), U[0] = I[0] = 0:
  S[n]   = spike(U[n] - θ)                  (step: 1[x > 0]; stochastic: 1[ξ < p(x)], ξ given)
  I[n+1] = λ_s I[n] + ff(S_in[n]) + rec(S[n])       (ff includes the bias when the layer has one)
  next-step: U[n+1] = (λ_m U[n] + (1-λ_m) I[n]) (1 - S[n])
  same-step: U[n+1] = λ_m U[n] (1 - S[n]) + (1-λ_m) I[n]
  subtract:  U[n+1] = λ_m U[n] + (1-λ_m) I[n] - θ S[n]
readout: output U[n]; U[n+1] = λ_m U[n] + (1-λ_m) I[n]; I as above without recurrence.
Backward: dS/dx is replaced by the surrogate derivative.

Usage: python tools/reference/generate_layer_cases.py [OUT_DIR] [--only=PREFIX ...]
       (default: Tests/SpikeKitTests/Fixtures/cases; --only writes just the cases whose names start with PREFIX;
       a case's random draws depend only on its own seed index, so a subset reproduces the same files)
Needs: torch, numpy (CI does not run it: its outputs are committed).
"""
import json
import math
import os
import sys

import numpy as np
import torch

torch.set_default_dtype(torch.float64)
MARGIN = 2e-4


def escape_p(e, x):
    if e["kind"] == "sigmoid":
        return torch.sigmoid(e["beta"] * x)
    if e["kind"] == "erf":
        return 0.5 * (1 + torch.erf(x / (e["sigma"] * math.sqrt(2))))
    if e["kind"] == "exponential":
        return torch.clamp(e["p0"] * torch.exp(x / e["du"]), max=1.0)
    raise ValueError(e)


def surrogate_derivative(sg, x):
    k = sg["kind"]
    if k == "superspike":
        return 1 / (sg["beta"] * x.abs() + 1) ** 2
    if k == "sigmoid":
        p = torch.sigmoid(sg["beta"] * x)
        return sg["beta"] * p * (1 - p)
    if k == "gaussian":
        return torch.exp(-x ** 2 / (2 * sg["sigma"] ** 2)) / (sg["sigma"] * math.sqrt(2 * math.pi))
    if k == "piecewise-linear":
        return torch.clamp(1 - sg["beta"] * x.abs(), min=0)
    raise ValueError(sg)


class Decisions:
    margin = float("inf")


class Spike(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, xi, fn):
        if fn["escape"]["kind"] == "step":
            s = (x > 0).double()
            Decisions.margin = min(Decisions.margin, float(x.abs().min()))
        else:
            p = escape_p(fn["escape"], x)
            s = (xi < p).double()
            Decisions.margin = min(Decisions.margin, float((xi - p).abs().min()))
        ctx.save_for_backward(x)
        ctx.fn = fn
        return s

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * surrogate_derivative(ctx.fn["surrogate"], x), None, None


def decay(L, i, P, dt, which, conv):
    """λ = exp(-Δt/τ): a float for a scalar τ, else a tensor per neuron ([N]) or per channel ([C, 1])."""
    key = f"layer{i}.log_tau_{which}"
    if key in P:
        tau = torch.exp(P[key])
    elif L.get(f"tau_{which}_init"):
        tau = torch.tensor(L[f"tau_{which}_init"]["values"])
    else:
        return math.exp(-dt / L[f"tau_{which}"])
    lam = torch.exp(-dt / tau)
    return lam[:, None] if conv else lam


def layer_forward(L, i, x, P, theta, dt):
    """x: [B, T, *in_shape] -> [B, T, *out_shape]."""
    B, T = x.shape[:2]
    conv = L["kind"] in ("conv-lif", "conv-alif")
    lm, ls = decay(L, i, P, dt, "mem", conv), decay(L, i, P, dt, "syn", conv)
    key = f"layer{i}.threshold"
    if key in P:
        theta = P[key][:, None] if conv else P[key]
    alif = L["kind"] in ("alif", "conv-alif")
    if alif:
        rho_a, beta = math.exp(-dt / L["tau_adapt"]), L["adapt_strength"]
    W = P[L["weights"]]
    b = P[L["bias"]] if L.get("bias") else None

    def ff(v):
        if conv:
            return torch.nn.functional.conv1d(v, W, bias=b, stride=L["stride"], padding=L["padding"])
        return v.reshape(B, -1) @ W.T + (b if b is not None else 0)

    R = L.get("recurrent")

    def rec(s):
        if R["kind"] == "conv":
            return torch.nn.functional.conv1d(s, P[R["weights"]], padding=R["padding"])
        return s @ P[R["weights"]].T

    d_ff = L.get("delay", 1)
    d_rec = R.get("delay", 1) if R else 1

    def delayed(seq, n, d):
        """seq[n - (d - 1)], or zeros before the first step."""
        m = n - (d - 1)
        return seq[m] if m >= 0 else torch.zeros_like(seq[0])

    xs = [x[:, n] for n in range(T)]
    shape = ff(x[:, 0]).shape[1:]
    U = torch.full((B,) + shape, float(L.get("initial_mem", 0.0)))
    I = torch.zeros((B,) + shape)
    xi = P[L["noise"]] if L.get("noise") else None
    a = torch.zeros((B,) + shape)
    out = []
    for n in range(T):
        if L["kind"] == "readout":
            out.append(U)
            U, I = lm * U + (1 - lm) * I, ls * I + ff(delayed(xs, n, d_ff))
            continue
        fn = L["spike"]
        th = theta + beta * a if alif else theta
        S = Spike.apply(U - th, xi[:, n] if xi is not None else torch.zeros(()), fn)
        out.append(S)
        Sr = S if fn["bp_reset"] else S.detach()
        I_next = ls * I + ff(delayed(xs, n, d_ff)) + (rec(delayed(out, n, d_rec)) if R else 0)
        mode = L["reset"]
        if mode == "next-step":
            U = (lm * U + (1 - lm) * I) * (1 - Sr)
        elif mode == "same-step":
            U = lm * U * (1 - Sr) + (1 - lm) * I
        elif mode == "subtract":
            U = lm * U + (1 - lm) * I - th * Sr
        else:
            raise ValueError(mode)
        if alif:
            a = rho_a * a + S
        I = I_next
    return torch.stack(out, 1)


def loss_value(case, out, spiking, P):
    L = case["loss"]
    if L["kind"] == "l2-spikes":
        d = (out - P[L["target"]]).reshape(out.shape[0], out.shape[1], -1)
        return (d ** 2).sum((1, 2)).mean() / (2 * d.shape[-1])
    if L["kind"] == "van-rossum":
        lam = math.exp(-case["dt"] / L["tau_vr"])
        S = out.reshape(out.shape[0], out.shape[1], -1)
        St = P[L["target"]].reshape(S.shape)
        F = torch.zeros_like(S[:, 0])
        Ft = torch.zeros_like(S[:, 0])
        total = torch.zeros(S.shape[0])
        for n in range(S.shape[1]):
            F = lam * F + S[:, n]
            Ft = lam * Ft + St[:, n]
            total = total + ((F - Ft) ** 2).sum(1)
        return (0.5 * total).mean()
    labels = P[L["labels"]].long()
    k = L["kind"]
    if k == "spike-count-mse":
        counts = out.sum(1).reshape(out.shape[0], -1)  # [B, N]
        T = out.shape[1]
        target = torch.full_like(counts, L["incorrect_rate"] * T)
        target[torch.arange(counts.shape[0]), labels] = L["correct_rate"] * T
        loss = ((counts - target) ** 2).mean()
    else:
        logits = {"max-over-time-ce": lambda u: u.max(1).values, "sum-over-time-ce": lambda u: u.sum(1),
                  "mean-membrane-ce": lambda u: u.mean(1), "last-step-ce": lambda u: u[:, -1]}[k](out)
        loss = torch.nn.functional.cross_entropy(logits, labels)
    reg = L.get("activity_reg")
    if reg:
        for s in spiking:
            counts = s.sum(1).reshape(s.shape[0], -1)
            loss = loss + reg["strength"] * (torch.relu(counts.mean(1) - reg["threshold"]) ** 2).mean()
            if reg.get("lower_strength"):
                loss = loss + reg["lower_strength"] * (torch.relu(reg["lower_threshold"] - counts) ** 2).mean()
    return loss


def weight_std(fan_in, tau_mem, tau_syn, gain):
    """Fluctuation-driven scale (ν = 20 Hz, σ_u = gain)."""
    eps = tau_syn ** 2 / (2 * (tau_syn + tau_mem))
    return gain * math.sqrt(1 / (fan_in * 20.0 * eps))


def build(name, rng, cfg):
    B, T = cfg["batch"], cfg["steps"]
    case = {"name": name, "dtype": "float32", "dt": cfg["dt"], "steps": T, "batch": B, "threshold": 1.0,
            "tolerance": 1e-4, "input": {"shape": cfg["input"], "spikes": "input.npy"}}
    if "current_std" in cfg:
        case["input"] = {"shape": cfg["input"], "kind": "current", "currents": "input.npy"}
        A = {"input.npy": (rng.standard_normal((B, T, *cfg["input"])) * cfg["current_std"]).astype(np.float32)}
    else:
        A = {"input.npy": (rng.random((B, T, *cfg["input"])) < cfg["rate"]).astype(np.float32)}
    shape, layers = list(cfg["input"]), []
    for i, spec in enumerate(cfg["layers"]):
        L = json.loads(json.dumps(spec))
        gain = L.pop("gain", 1.0)
        w = f"layer{i}.weight.npy"
        if L["kind"] in ("conv-lif", "conv-alif"):
            c_in, p_in = shape
            p_out = (p_in - L["kernel"] + 2 * L["padding"]) // L["stride"] + 1
            sd = weight_std(c_in * L["kernel"], L["tau_mem"], L["tau_syn"], gain)
            A[w] = (rng.standard_normal((L["channels"], c_in, L["kernel"])) * sd).astype(np.float32)
            shape = [L["channels"], p_out]
        else:
            fan = int(np.prod(shape))
            sd = 1 / math.sqrt(fan) if L["kind"] == "readout" else weight_std(fan, L["tau_mem"], L["tau_syn"], gain)
            A[w] = (rng.standard_normal((L["units"], fan)) * sd).astype(np.float32)
            shape = [L["units"]]
        L["weights"] = w
        for which in ("mem", "syn"):
            dist = L.pop(f"het_{which}", None)
            tau = L[f"tau_{which}"]
            if dist == "gamma":
                v = rng.gamma(3.0, tau / 3.0, size=shape[0])
            elif dist == "uniform":
                v = rng.uniform(0.5 * tau, 2.0 * tau, size=shape[0])
            else:
                v = None
            if v is not None:
                L[f"tau_{which}_init"] = {"kind": "values", "values": [float(np.float32(t)) for t in v]}
            if L.get(f"learn_tau_{which}"):
                vals = L[f"tau_{which}_init"]["values"] if v is not None else [tau] * shape[0]
                if v is None:
                    L[f"tau_{which}_init"] = {"kind": "constant"}
                A[f"layer{i}.log_tau_{which}"] = np.log(np.array(vals, dtype=np.float64)).astype(np.float32)
        if L.get("learn_threshold"):
            A[f"layer{i}.threshold"] = np.full(shape[0], case["threshold"], dtype=np.float32)
        if L.pop("with_bias", False):
            L["bias"] = f"layer{i}.bias.npy"
            A[L["bias"]] = (rng.standard_normal(shape[0]) * L.pop("bias_std", 0.3)).astype(np.float32)
        if L.get("recurrent"):
            R = L["recurrent"]
            r = f"layer{i}.recurrent.npy"
            if R["kind"] == "conv":
                C = shape[0]
                A[r] = (rng.standard_normal((C, C, R["kernel"])) * weight_std(C * R["kernel"], L["tau_mem"], L["tau_syn"], 0.3)).astype(np.float32)
                R.setdefault("stride", 1)
            else:
                N = shape[0]
                A[r] = (rng.standard_normal((N, N)) * weight_std(N, L["tau_mem"], L["tau_syn"], 0.3)).astype(np.float32)
            R["weights"] = r
        if L["kind"] != "readout" and L["spike"]["escape"]["kind"] != "step":
            L["noise"] = f"layer{i}.noise.npy"
            A[L["noise"]] = rng.random((B, T, *shape)).astype(np.float32)
        if L.get("dropout"):
            L["dropout_mask"] = f"layer{i}.dropout.npy"
            A[L["dropout_mask"]] = (rng.random((B, T, *shape)) >= L["dropout"]).astype(np.float32)
        layers.append(L)
    case["layers"] = layers
    loss = dict(cfg["loss"])
    if loss["kind"] in ("l2-spikes", "van-rossum"):
        A["target.npy"] = (rng.random((B, T, *shape)) < loss.pop("target_rate")).astype(np.float32)
        loss["target"] = "target.npy"
    else:
        A["labels.npy"] = rng.integers(0, shape[0], size=(B,)).astype(np.int64)
        loss["labels"] = "labels.npy"
    case["loss"] = loss
    return case, A


def evaluate(case, A):
    P = {k: torch.tensor(v.astype(np.float64) if v.dtype != np.int64 else v) for k, v in A.items()}
    weights = [L["weights"] for L in case["layers"]] + [L["recurrent"]["weights"] for L in case["layers"] if L.get("recurrent")]
    weights += [L["bias"] for L in case["layers"] if L.get("bias")]
    weights += [k for k in A if ".log_tau_" in k and not k.startswith("grad.")]
    weights += [k for k in A if k.endswith(".threshold") and not k.startswith("grad.")]
    for w in weights:
        P[w].requires_grad_(True)
    Decisions.margin = float("inf")
    x, spiking = P["input.npy"], []
    for i, L in enumerate(case["layers"]):
        x = layer_forward(L, i, x, P, case["threshold"], case["dt"])
        if L["kind"] != "readout":
            spiking.append(x)
        if L.get("dropout"):
            # Inverted dropout with the supplied mask, what the next layer receives: m * S / (1 - p).
            x = x * P[L["dropout_mask"]] / (1 - L["dropout"])
    loss = loss_value(case, x, spiking, P)
    loss.backward()
    e = {"loss": loss.item(), "output": "expected.output.npy", "hidden_spikes": [], "grads": {}}
    A["expected.output.npy"] = x.detach().numpy().astype(np.float32)
    for i, s in enumerate(spiking):
        A[f"expected.layer{i}.spikes.npy"] = s.detach().numpy().astype(np.float32)
        e["hidden_spikes"].append(f"expected.layer{i}.spikes.npy")
    for w in weights:
        g = "grad." + w + ("" if w.endswith(".npy") else ".npy")
        A[g] = P[w].grad.numpy().astype(np.float32)
        e["grads"][w] = g
    case["expected"] = e
    return Decisions.margin, sum(float(s.detach().sum()) for s in spiking)


def fn(escape, surrogate, bp):
    return {"escape": escape, "surrogate": surrogate, "bp_reset": bp}


STEP, SIG = {"kind": "step"}, {"kind": "sigmoid", "beta": 8.0}
SUPER = {"kind": "superspike", "beta": 10.0}
FEATURES = {
    # name: (feature, configuration)
    "l-subtract-reset-dense-recurrent": ("reset subtract, bp_reset off, deterministic, dense recurrence, L2 loss", {
        "input": [12], "batch": 2, "steps": 40, "dt": 1e-3, "rate": 0.1,
        "layers": [
            {"kind": "lif", "units": 10, "tau_mem": 0.01, "tau_syn": 0.005, "reset": "subtract", "gain": 2.5,
             "spike": fn(STEP, SUPER, False), "recurrent": {"kind": "dense"}},
            {"kind": "lif", "units": 6, "tau_mem": 0.01, "tau_syn": 0.005, "reset": "subtract", "gain": 2.5,
             "spike": fn(STEP, SUPER, False)},
        ],
        "loss": {"kind": "l2-spikes", "target_rate": 0.2}}),
    "l-subtract-reset-bp-stochastic": ("reset subtract, bp_reset on, sigmoid escape noise, readout, CE + regularizer", {
        "input": [10], "batch": 3, "steps": 30, "dt": 2e-3, "rate": 0.1,
        "layers": [
            {"kind": "lif", "units": 12, "tau_mem": 0.02, "tau_syn": 0.01, "reset": "subtract", "gain": 2.0,
             "spike": fn(SIG, {"kind": "sigmoid", "beta": 8.0}, True), "recurrent": {"kind": "dense"}},
            {"kind": "readout", "units": 4, "tau_mem": 0.06, "tau_syn": 0.01},
        ],
        "loss": {"kind": "max-over-time-ce", "activity_reg": {"threshold": 1.0, "strength": 0.01}}}),
    "l-subtract-reset-conv-bp": ("reset subtract, bp_reset on, conv-lif with conv recurrence, erf escape noise", {
        "input": [2, 30], "batch": 2, "steps": 25, "dt": 2e-3, "rate": 0.25,
        "layers": [
            {"kind": "conv-lif", "channels": 3, "kernel": 5, "stride": 2, "padding": 1, "tau_mem": 0.02,
             "tau_syn": 0.01, "reset": "subtract", "gain": 5.0,
             "spike": fn({"kind": "erf", "sigma": 0.3}, {"kind": "gaussian", "sigma": 0.3}, True),
             "recurrent": {"kind": "conv", "kernel": 3, "padding": 1}},
            {"kind": "readout", "units": 3, "tau_mem": 0.05, "tau_syn": 0.01},
        ],
        "loss": {"kind": "max-over-time-ce"}}),
    "l-bias-dense-recurrent-readout": ("biases on a recurrent dense lif layer and on the readout, deterministic, CE", {
        "input": [10], "batch": 3, "steps": 30, "dt": 2e-3, "rate": 0.1,
        "layers": [
            {"kind": "lif", "units": 12, "tau_mem": 0.02, "tau_syn": 0.01, "reset": "next-step", "gain": 2.0,
             "with_bias": True, "bias_std": 0.5, "spike": fn(STEP, SUPER, False), "recurrent": {"kind": "dense"}},
            {"kind": "readout", "units": 4, "tau_mem": 0.06, "tau_syn": 0.01, "with_bias": True, "bias_std": 0.2},
        ],
        "loss": {"kind": "max-over-time-ce", "activity_reg": {"threshold": 1.0, "strength": 0.01}}}),
    "l-bias-conv-stochastic": ("per-channel biases on conv-lif (conv recurrence, sigmoid escape), dense lif bias, readout", {
        "input": [2, 30], "batch": 2, "steps": 25, "dt": 2e-3, "rate": 0.2,
        "layers": [
            {"kind": "conv-lif", "channels": 3, "kernel": 5, "stride": 2, "padding": 1, "tau_mem": 0.02,
             "tau_syn": 0.01, "reset": "same-step", "gain": 3.0, "with_bias": True, "bias_std": 0.5,
             "spike": fn(SIG, SUPER, True), "recurrent": {"kind": "conv", "kernel": 3, "padding": 1}},
            {"kind": "lif", "units": 7, "tau_mem": 0.02, "tau_syn": 0.01, "reset": "subtract", "gain": 2.5,
             "with_bias": True, "bias_std": 0.5, "spike": fn(SIG, {"kind": "sigmoid", "beta": 8.0}, False)},
            {"kind": "readout", "units": 3, "tau_mem": 0.05, "tau_syn": 0.01},
        ],
        "loss": {"kind": "max-over-time-ce"}}),
    "l-bias-l2-erf": ("biases on two lif layers, erf escape noise, same-step reset, L2 spike loss", {
        "input": [9], "batch": 2, "steps": 35, "dt": 1e-3, "rate": 0.1,
        "layers": [
            {"kind": "lif", "units": 8, "tau_mem": 0.01, "tau_syn": 0.005, "reset": "same-step", "gain": 2.5,
             "with_bias": True, "bias_std": 1.0, "spike": fn({"kind": "erf", "sigma": 0.3}, {"kind": "gaussian", "sigma": 0.3}, False)},
            {"kind": "lif", "units": 5, "tau_mem": 0.01, "tau_syn": 0.005, "reset": "same-step", "gain": 2.5,
             "with_bias": True, "bias_std": 1.0, "spike": fn({"kind": "erf", "sigma": 0.3}, {"kind": "gaussian", "sigma": 0.3}, False)},
        ],
        "loss": {"kind": "l2-spikes", "target_rate": 0.2}}),
    "l-loss-sum-over-time-ce": ("cross-entropy on the readout membrane summed over time, lower-bound regularizer", {
        "input": [10], "batch": 3, "steps": 30, "dt": 2e-3, "rate": 0.1,
        "layers": [
            {"kind": "lif", "units": 12, "tau_mem": 0.02, "tau_syn": 0.01, "reset": "next-step", "gain": 2.0,
             "spike": fn(STEP, SUPER, False), "recurrent": {"kind": "dense"}},
            {"kind": "readout", "units": 4, "tau_mem": 0.06, "tau_syn": 0.01},
        ],
        "loss": {"kind": "sum-over-time-ce",
                 "activity_reg": {"threshold": 2.0, "strength": 0.01, "lower_threshold": 3.0, "lower_strength": 0.02}}}),
    "l-loss-mean-membrane-ce": ("cross-entropy on the mean readout membrane, stochastic conv network", {
        "input": [2, 30], "batch": 2, "steps": 25, "dt": 2e-3, "rate": 0.2,
        "layers": [
            {"kind": "conv-lif", "channels": 3, "kernel": 5, "stride": 2, "padding": 1, "tau_mem": 0.02,
             "tau_syn": 0.01, "reset": "next-step", "gain": 3.0, "spike": fn(SIG, SUPER, False)},
            {"kind": "readout", "units": 3, "tau_mem": 0.05, "tau_syn": 0.01},
        ],
        "loss": {"kind": "mean-membrane-ce", "activity_reg": {"threshold": 1.0, "strength": 0.01}}}),
    "l-loss-last-step-ce": ("cross-entropy on the readout membrane at the last step", {
        "input": [8], "batch": 3, "steps": 20, "dt": 2e-3, "rate": 0.15,
        "layers": [
            {"kind": "lif", "units": 9, "tau_mem": 0.02, "tau_syn": 0.01, "reset": "same-step", "gain": 2.5,
             "spike": fn(STEP, SUPER, True)},
            {"kind": "readout", "units": 4, "tau_mem": 0.05, "tau_syn": 0.01},
        ],
        "loss": {"kind": "last-step-ce"}}),
    "l-loss-spike-count-mse": ("spike-count MSE (snnTorch mse_count_loss) on a spiking output, lower-bound regularizer", {
        "input": [10], "batch": 3, "steps": 30, "dt": 1e-3, "rate": 0.15,
        "layers": [
            {"kind": "lif", "units": 10, "tau_mem": 0.01, "tau_syn": 0.005, "reset": "subtract", "gain": 2.5,
             "spike": fn(SIG, {"kind": "sigmoid", "beta": 8.0}, False)},
            {"kind": "lif", "units": 4, "tau_mem": 0.01, "tau_syn": 0.005, "reset": "next-step", "gain": 2.5,
             "spike": fn(SIG, {"kind": "sigmoid", "beta": 8.0}, False)},
        ],
        "loss": {"kind": "spike-count-mse", "correct_rate": 0.4, "incorrect_rate": 0.05,
                 "activity_reg": {"threshold": 100.0, "strength": 0.0, "lower_threshold": 2.0, "lower_strength": 0.05}}}),
    "l-tau-fixed-dense": ("fixed heterogeneous τ (gamma τ_mem, uniform τ_syn) on a recurrent lif layer and the readout, CE", {
        "input": [10], "batch": 3, "steps": 30, "dt": 2e-3, "rate": 0.1,
        "layers": [
            {"kind": "lif", "units": 12, "tau_mem": 0.02, "tau_syn": 0.01, "reset": "next-step", "gain": 2.0,
             "het_mem": "gamma", "het_syn": "uniform", "spike": fn(STEP, SUPER, False), "recurrent": {"kind": "dense"}},
            {"kind": "readout", "units": 4, "tau_mem": 0.06, "tau_syn": 0.01, "het_mem": "uniform"},
        ],
        "loss": {"kind": "max-over-time-ce"}}),
    "l-tau-learn-dense-bp": ("learned τ_mem and τ_syn (gamma init), next-step reset with bp_reset, two lif layers, readout "
                             "with learned constant-init τ, CE + regularizer", {
        "input": [10], "batch": 3, "steps": 30, "dt": 2e-3, "rate": 0.12,
        "layers": [
            {"kind": "lif", "units": 12, "tau_mem": 0.02, "tau_syn": 0.01, "reset": "next-step", "gain": 2.0,
             "het_mem": "gamma", "het_syn": "gamma", "learn_tau_mem": True, "learn_tau_syn": True,
             "with_bias": True, "bias_std": 0.3, "spike": fn(STEP, SUPER, True), "recurrent": {"kind": "dense"}},
            {"kind": "lif", "units": 8, "tau_mem": 0.02, "tau_syn": 0.01, "reset": "same-step", "gain": 2.5,
             "het_mem": "uniform", "learn_tau_mem": True, "spike": fn(STEP, SUPER, False)},
            {"kind": "readout", "units": 4, "tau_mem": 0.06, "tau_syn": 0.01, "learn_tau_mem": True, "learn_tau_syn": True},
        ],
        "loss": {"kind": "max-over-time-ce", "activity_reg": {"threshold": 1.0, "strength": 0.01}}}),
    "l-tau-learn-stochastic-subtract": ("learned τ (uniform init), subtract reset, sigmoid escape noise, sum-over-time CE", {
        "input": [10], "batch": 3, "steps": 30, "dt": 2e-3, "rate": 0.1,
        "layers": [
            {"kind": "lif", "units": 12, "tau_mem": 0.02, "tau_syn": 0.01, "reset": "subtract", "gain": 2.0,
             "het_mem": "uniform", "het_syn": "uniform", "learn_tau_mem": True, "learn_tau_syn": True,
             "spike": fn(SIG, {"kind": "sigmoid", "beta": 8.0}, True)},
            {"kind": "readout", "units": 4, "tau_mem": 0.05, "tau_syn": 0.01, "het_syn": "gamma", "learn_tau_syn": True},
        ],
        "loss": {"kind": "sum-over-time-ce"}}),
    "l-tau-learn-conv-stochastic": ("learned per-channel τ on conv-lif (gamma init, conv recurrence, sigmoid escape, "
                                    "same-step), fixed heterogeneous dense lif, readout, mean-membrane CE", {
        "input": [2, 30], "batch": 2, "steps": 25, "dt": 2e-3, "rate": 0.2,
        "layers": [
            {"kind": "conv-lif", "channels": 3, "kernel": 5, "stride": 2, "padding": 1, "tau_mem": 0.02,
             "tau_syn": 0.01, "reset": "same-step", "gain": 3.0, "het_mem": "gamma", "het_syn": "gamma",
             "learn_tau_mem": True, "learn_tau_syn": True,
             "spike": fn(SIG, SUPER, False), "recurrent": {"kind": "conv", "kernel": 3, "padding": 1}},
            {"kind": "lif", "units": 7, "tau_mem": 0.02, "tau_syn": 0.01, "reset": "next-step", "gain": 2.5,
             "het_mem": "gamma", "spike": fn(SIG, {"kind": "sigmoid", "beta": 8.0}, False)},
            {"kind": "readout", "units": 3, "tau_mem": 0.05, "tau_syn": 0.01, "learn_tau_mem": True},
        ],
        "loss": {"kind": "mean-membrane-ce"}}),
    "l-tau-learn-conv-l2": ("learned per-channel τ on a deterministic conv-lif layer (next-step), erf-noise lif with "
                            "learned τ, L2 spike loss", {
        "input": [2, 30], "batch": 2, "steps": 25, "dt": 1e-3, "rate": 0.25,
        "layers": [
            {"kind": "conv-lif", "channels": 3, "kernel": 5, "stride": 2, "padding": 1, "tau_mem": 0.01,
             "tau_syn": 0.005, "reset": "next-step", "gain": 4.0, "het_mem": "gamma", "het_syn": "uniform",
             "learn_tau_mem": True, "learn_tau_syn": True, "spike": fn(STEP, SUPER, False)},
            {"kind": "lif", "units": 6, "tau_mem": 0.01, "tau_syn": 0.005, "reset": "same-step", "gain": 2.5,
             "het_mem": "gamma", "het_syn": "gamma", "learn_tau_mem": True, "learn_tau_syn": True,
             "spike": fn({"kind": "erf", "sigma": 0.3}, {"kind": "gaussian", "sigma": 0.3}, False)},
        ],
        "loss": {"kind": "l2-spikes", "target_rate": 0.2}}),
    "l-dropout-dense-recurrent": ("dropout after two lif layers (dense recurrence, bias, subtract reset), readout, CE + both regularizer bounds", {
        "input": [10], "batch": 3, "steps": 30, "dt": 2e-3, "rate": 0.15,
        "layers": [
            {"kind": "lif", "units": 12, "tau_mem": 0.02, "tau_syn": 0.01, "reset": "next-step", "gain": 2.5,
             "dropout": 0.3, "spike": fn(STEP, SUPER, False), "recurrent": {"kind": "dense"}},
            {"kind": "lif", "units": 8, "tau_mem": 0.02, "tau_syn": 0.01, "reset": "subtract", "gain": 2.5,
             "with_bias": True, "bias_std": 0.5, "dropout": 0.5, "spike": fn(STEP, SUPER, True)},
            {"kind": "readout", "units": 4, "tau_mem": 0.06, "tau_syn": 0.01},
        ],
        "seed_index": 10, "loss": {"kind": "max-over-time-ce",
                 "activity_reg": {"threshold": 1.0, "strength": 0.01, "lower_threshold": 2.0, "lower_strength": 0.02}}}),
    "l-dropout-conv-stochastic": ("dropout after a conv-lif layer (conv recurrence, sigmoid escape noise, bp_reset), dense lif, readout", {
        "input": [2, 30], "batch": 2, "steps": 25, "dt": 2e-3, "rate": 0.2,
        "layers": [
            {"kind": "conv-lif", "channels": 3, "kernel": 5, "stride": 2, "padding": 1, "tau_mem": 0.02,
             "tau_syn": 0.01, "reset": "same-step", "gain": 3.0, "dropout": 0.25,
             "spike": fn(SIG, SUPER, True), "recurrent": {"kind": "conv", "kernel": 3, "padding": 1}},
            {"kind": "lif", "units": 7, "tau_mem": 0.02, "tau_syn": 0.01, "reset": "next-step", "gain": 2.5,
             "dropout": 0.4, "spike": fn(SIG, {"kind": "sigmoid", "beta": 8.0}, False)},
            {"kind": "readout", "units": 3, "tau_mem": 0.05, "tau_syn": 0.01},
        ],
        "seed_index": 11, "loss": {"kind": "sum-over-time-ce"}}),
    "l-alif-dense-recurrent": ("adaptive LIF (alif) with dense recurrence, deterministic, next-step reset, readout, CE", {
        "input": [10], "batch": 3, "steps": 40, "dt": 2e-3, "rate": 0.15,
        "layers": [
            {"kind": "alif", "units": 12, "tau_mem": 0.02, "tau_syn": 0.01, "tau_adapt": 0.05, "adapt_strength": 0.4,
             "reset": "next-step", "gain": 3.0, "spike": fn(STEP, SUPER, False), "recurrent": {"kind": "dense"}},
            {"kind": "readout", "units": 4, "tau_mem": 0.06, "tau_syn": 0.01},
        ],
        "loss": {"kind": "max-over-time-ce", "activity_reg": {"threshold": 1.0, "strength": 0.01}}}),
    "l-alif-stochastic": ("alif with sigmoid escape noise on U - (θ + βa), same-step reset, recurrence, lif, readout, sum-over-time CE", {
        "input": [10], "batch": 3, "steps": 40, "dt": 2e-3, "rate": 0.15,
        "layers": [
            {"kind": "alif", "units": 12, "tau_mem": 0.02, "tau_syn": 0.01, "tau_adapt": 0.1, "adapt_strength": 0.3,
             "reset": "same-step", "gain": 3.0, "spike": fn(SIG, {"kind": "sigmoid", "beta": 8.0}, False),
             "recurrent": {"kind": "dense"}},
            {"kind": "lif", "units": 6, "tau_mem": 0.02, "tau_syn": 0.01, "reset": "next-step", "gain": 2.5,
             "spike": fn(SIG, SUPER, False)},
            {"kind": "readout", "units": 4, "tau_mem": 0.06, "tau_syn": 0.01},
        ],
        "loss": {"kind": "sum-over-time-ce"}}),
    "l-alif-subtract": ("alif with the subtract reset (ϑ[n] S[n]), bp_reset off, learned τ_mem, two alif layers, L2 spike loss", {
        "input": [12], "batch": 2, "steps": 30, "dt": 1e-3, "rate": 0.12,
        "layers": [
            {"kind": "alif", "units": 10, "tau_mem": 0.01, "tau_syn": 0.005, "tau_adapt": 0.03, "adapt_strength": 0.3,
             "reset": "subtract", "gain": 3.0, "het_mem": "gamma", "learn_tau_mem": True,
             "spike": fn(STEP, SUPER, False), "recurrent": {"kind": "dense"}},
            {"kind": "alif", "units": 6, "tau_mem": 0.01, "tau_syn": 0.005, "tau_adapt": 0.02, "adapt_strength": 0.2,
             "reset": "subtract", "gain": 3.0, "spike": fn(STEP, SUPER, False)},
        ],
        "loss": {"kind": "l2-spikes", "target_rate": 0.2}}),
    "l-alif-subtract-bp-threshold": ("alif, subtract reset with bp_reset, erf escape noise, learned threshold, bias, readout, CE + regularizer", {
        "input": [10], "batch": 3, "steps": 35, "dt": 2e-3, "rate": 0.15,
        "layers": [
            {"kind": "alif", "units": 12, "tau_mem": 0.02, "tau_syn": 0.01, "tau_adapt": 0.06, "adapt_strength": 0.3,
             "reset": "subtract", "gain": 3.0, "learn_threshold": True, "with_bias": True, "bias_std": 0.3,
             "spike": fn({"kind": "erf", "sigma": 0.3}, {"kind": "gaussian", "sigma": 0.3}, True),
             "recurrent": {"kind": "dense"}},
            {"kind": "readout", "units": 4, "tau_mem": 0.06, "tau_syn": 0.01},
        ],
        "loss": {"kind": "max-over-time-ce", "activity_reg": {"threshold": 1.0, "strength": 0.01}}}),
    "l-alif-next-step-bp": ("alif, next-step reset with bp_reset, deterministic, learned τ_syn, readout, mean-membrane CE", {
        "input": [10], "batch": 3, "steps": 35, "dt": 2e-3, "rate": 0.15,
        "layers": [
            {"kind": "alif", "units": 12, "tau_mem": 0.02, "tau_syn": 0.01, "tau_adapt": 0.08, "adapt_strength": 0.25,
             "reset": "next-step", "gain": 3.0, "het_syn": "uniform", "learn_tau_syn": True,
             "spike": fn(STEP, {"kind": "piecewise-linear", "beta": 2.0}, True), "recurrent": {"kind": "dense"}},
            {"kind": "readout", "units": 4, "tau_mem": 0.06, "tau_syn": 0.01},
        ],
        "loss": {"kind": "mean-membrane-ce"}}),
    "l-threshold-dense": ("learned per-neuron thresholds on two deterministic lif layers (subtract reset, recurrence; same-step), L2 loss", {
        "input": [12], "batch": 2, "steps": 40, "dt": 1e-3, "rate": 0.1,
        "layers": [
            {"kind": "lif", "units": 10, "tau_mem": 0.01, "tau_syn": 0.005, "reset": "subtract", "gain": 2.5,
             "learn_threshold": True, "spike": fn(STEP, SUPER, False), "recurrent": {"kind": "dense"}},
            {"kind": "lif", "units": 6, "tau_mem": 0.01, "tau_syn": 0.005, "reset": "same-step", "gain": 2.5,
             "learn_threshold": True, "spike": fn(STEP, SUPER, False)},
        ],
        "loss": {"kind": "l2-spikes", "target_rate": 0.2}}),
    "l-threshold-stochastic": ("learned per-channel thresholds on conv-lif (sigmoid escape, next-step with bp_reset) and "
                               "per-neuron on lif (subtract with bp_reset), readout, CE", {
        "input": [2, 30], "batch": 2, "steps": 25, "dt": 2e-3, "rate": 0.2,
        "layers": [
            {"kind": "conv-lif", "channels": 3, "kernel": 5, "stride": 2, "padding": 1, "tau_mem": 0.02,
             "tau_syn": 0.01, "reset": "next-step", "gain": 3.0, "learn_threshold": True,
             "spike": fn(SIG, SUPER, True), "recurrent": {"kind": "conv", "kernel": 3, "padding": 1}},
            {"kind": "lif", "units": 7, "tau_mem": 0.02, "tau_syn": 0.01, "reset": "subtract", "gain": 2.5,
             "learn_threshold": True, "spike": fn(SIG, {"kind": "sigmoid", "beta": 8.0}, True)},
            {"kind": "readout", "units": 3, "tau_mem": 0.05, "tau_syn": 0.01},
        ],
        "loss": {"kind": "max-over-time-ce"}}),
    "l-alif-conv": ("conv-alif (conv recurrence, sigmoid escape noise, subtract reset with bp_reset, learned per-channel "
                    "threshold), readout, CE", {
        "input": [2, 30], "batch": 2, "steps": 25, "dt": 2e-3, "rate": 0.2,
        "layers": [
            {"kind": "conv-alif", "channels": 3, "kernel": 5, "stride": 2, "padding": 1, "tau_mem": 0.02,
             "tau_syn": 0.01, "tau_adapt": 0.05, "adapt_strength": 0.3, "reset": "subtract", "gain": 3.5,
             "learn_threshold": True, "spike": fn(SIG, SUPER, True), "recurrent": {"kind": "conv", "kernel": 3, "padding": 1}},
            {"kind": "readout", "units": 3, "tau_mem": 0.05, "tau_syn": 0.01},
        ],
        "loss": {"kind": "max-over-time-ce"}}),
    "l-delay-dense-ff": ("feed-forward delays 3, 2 and 3 steps (dense lif, lif with bias, readout), deterministic, "
                         "next-step and same-step reset, CE + regularizer", {
        "input": [10], "batch": 3, "steps": 30, "dt": 2e-3, "rate": 0.15,
        "layers": [
            {"kind": "lif", "units": 12, "tau_mem": 0.02, "tau_syn": 0.01, "reset": "next-step", "gain": 2.5,
             "delay": 3, "spike": fn(STEP, SUPER, False)},
            {"kind": "lif", "units": 8, "tau_mem": 0.02, "tau_syn": 0.01, "reset": "same-step", "gain": 2.5,
             "delay": 2, "with_bias": True, "bias_std": 0.5, "spike": fn(STEP, {"kind": "piecewise-linear", "beta": 2.0}, True)},
            {"kind": "readout", "units": 4, "tau_mem": 0.06, "tau_syn": 0.01, "delay": 3},
        ],
        "seed_index": 20, "loss": {"kind": "max-over-time-ce", "activity_reg": {"threshold": 1.0, "strength": 0.01}}}),
    "l-delay-dense-recurrent": ("dense recurrence with delay 2 (subtract reset, bp_reset, learned τ_mem, bias), "
                                "feed-forward delay 1, readout behind delay 2, sum-over-time CE", {
        "input": [10], "batch": 3, "steps": 30, "dt": 2e-3, "rate": 0.15,
        "layers": [
            {"kind": "lif", "units": 12, "tau_mem": 0.02, "tau_syn": 0.01, "reset": "subtract", "gain": 2.5,
             "het_mem": "gamma", "learn_tau_mem": True, "with_bias": True, "bias_std": 0.3,
             "spike": fn(STEP, SUPER, True), "recurrent": {"kind": "dense", "delay": 2}},
            {"kind": "readout", "units": 4, "tau_mem": 0.06, "tau_syn": 0.01, "delay": 2},
        ],
        "seed_index": 21, "loss": {"kind": "sum-over-time-ce"}}),
    "l-delay-conv": ("conv-lif with feed-forward delay 2 and a conv recurrence with delay 3 (erf escape noise, "
                     "next-step, bp_reset), dense lif behind delay 4, readout, mean-membrane CE", {
        "input": [2, 30], "batch": 2, "steps": 25, "dt": 2e-3, "rate": 0.2,
        "layers": [
            {"kind": "conv-lif", "channels": 3, "kernel": 5, "stride": 2, "padding": 1, "tau_mem": 0.02,
             "tau_syn": 0.01, "reset": "next-step", "gain": 4.0, "delay": 2,
             "spike": fn({"kind": "erf", "sigma": 0.3}, {"kind": "gaussian", "sigma": 0.3}, True),
             "recurrent": {"kind": "conv", "kernel": 3, "padding": 1, "delay": 3}},
            {"kind": "lif", "units": 7, "tau_mem": 0.02, "tau_syn": 0.01, "reset": "same-step", "gain": 2.5,
             "delay": 4, "spike": fn(SIG, SUPER, False)},
            {"kind": "readout", "units": 3, "tau_mem": 0.05, "tau_syn": 0.01},
        ],
        "seed_index": 22, "loss": {"kind": "mean-membrane-ce"}}),
    "l-delay-stochastic-stork": ("stork timing (delay 2 on every connection): stochastic sigmoid lif with dense "
                                 "recurrence, dropout, a second lif, L2 spike loss", {
        "input": [12], "batch": 2, "steps": 40, "dt": 1e-3, "rate": 0.12,
        "layers": [
            {"kind": "lif", "units": 10, "tau_mem": 0.01, "tau_syn": 0.005, "reset": "same-step", "gain": 2.5,
             "delay": 2, "dropout": 0.2, "spike": fn(SIG, {"kind": "sigmoid", "beta": 8.0}, False),
             "recurrent": {"kind": "dense", "delay": 2}},
            {"kind": "lif", "units": 6, "tau_mem": 0.01, "tau_syn": 0.005, "reset": "next-step", "gain": 2.5,
             "delay": 2, "spike": fn(SIG, SUPER, True), "recurrent": {"kind": "dense", "delay": 2}},
        ],
        "seed_index": 23, "loss": {"kind": "l2-spikes", "target_rate": 0.2}}),
    "l-loss-van-rossum-det": ("van Rossum loss (tau_vr 5 ms) on a deterministic dense recurrent network", {
        "input": [12], "batch": 2, "steps": 40, "dt": 1e-3, "rate": 0.1,
        "layers": [
            {"kind": "lif", "units": 10, "tau_mem": 0.01, "tau_syn": 0.005, "reset": "same-step", "gain": 2.5,
             "spike": fn(STEP, SUPER, False), "recurrent": {"kind": "dense"}},
            {"kind": "lif", "units": 5, "tau_mem": 0.01, "tau_syn": 0.005, "reset": "same-step", "gain": 2.5,
             "spike": fn(STEP, SUPER, False)},
        ],
        "seed_index": 40, "loss": {"kind": "van-rossum", "tau_vr": 0.005, "target_rate": 0.15}}),
    "l-loss-van-rossum-stoch": ("van Rossum loss (tau_vr 10 ms) on a stochastic dense recurrent network, bp_reset on", {
        "input": [10], "batch": 3, "steps": 30, "dt": 1e-3, "rate": 0.12,
        "layers": [
            {"kind": "lif", "units": 8, "tau_mem": 0.01, "tau_syn": 0.005, "reset": "next-step", "gain": 2.0,
             "spike": fn(SIG, {"kind": "superspike", "beta": 10.0}, True), "recurrent": {"kind": "dense"}},
            {"kind": "lif", "units": 4, "tau_mem": 0.01, "tau_syn": 0.005, "reset": "next-step", "gain": 2.0,
             "spike": fn(SIG, {"kind": "sigmoid", "beta": 8.0}, False), "recurrent": {"kind": "dense"}},
        ],
        "seed_index": 41, "loss": {"kind": "van-rossum", "tau_vr": 0.01, "target_rate": 0.2}}),
    "l-analog-dense-det": ("real-valued input currents into a dense lif layer with bias (step, superspike), readout, CE", {
        "input": [8], "batch": 3, "steps": 30, "dt": 2e-3, "current_std": 1.0,
        "layers": [
            {"kind": "lif", "units": 10, "tau_mem": 0.02, "tau_syn": 0.01, "reset": "next-step", "gain": 0.15,
             "with_bias": True, "bias_std": 0.3, "spike": fn(STEP, SUPER, False)},
            {"kind": "readout", "units": 3, "tau_mem": 0.05, "tau_syn": 0.01},
        ],
        "seed_index": 40, "loss": {"kind": "max-over-time-ce"}}),
    "l-analog-stochastic": ("real-valued input currents, stochastic lif (sigmoid escape, sigmoid surrogate, bp_reset), two layers, L2", {
        "input": [6], "batch": 2, "steps": 30, "dt": 1e-3, "current_std": 1.5,
        "layers": [
            {"kind": "lif", "units": 9, "tau_mem": 0.01, "tau_syn": 0.005, "reset": "same-step", "gain": 0.2,
             "spike": fn(SIG, {"kind": "sigmoid", "beta": 5.0}, True)},
            {"kind": "lif", "units": 4, "tau_mem": 0.01, "tau_syn": 0.005, "reset": "same-step", "gain": 2.5,
             "spike": fn(SIG, SUPER, False)},
        ],
        "seed_index": 41, "loss": {"kind": "l2-spikes", "target_rate": 0.2}}),
    "l-analog-recurrent": ("real-valued input currents, recurrent dense lif (subtract reset), readout, sum-over-time CE", {
        "input": [7], "batch": 2, "steps": 35, "dt": 2e-3, "current_std": 1.0,
        "layers": [
            {"kind": "lif", "units": 11, "tau_mem": 0.02, "tau_syn": 0.01, "reset": "subtract", "gain": 0.3,
             "spike": fn(STEP, {"kind": "piecewise-linear", "beta": 2.0}, True), "recurrent": {"kind": "dense"}},
            {"kind": "readout", "units": 3, "tau_mem": 0.05, "tau_syn": 0.01, "with_bias": True, "bias_std": 0.2},
        ],
        "seed_index": 42, "loss": {"kind": "sum-over-time-ce"}}),
    "l-analog-conv": ("real-valued input currents [channels, positions] into conv-lif (conv recurrence), readout", {
        "input": [2, 12], "batch": 2, "steps": 25, "dt": 2e-3, "current_std": 1.0,
        "layers": [
            {"kind": "conv-lif", "channels": 3, "kernel": 3, "stride": 1, "padding": 1, "tau_mem": 0.02,
             "tau_syn": 0.01, "reset": "next-step", "gain": 0.4, "spike": fn(STEP, SUPER, False),
             "recurrent": {"kind": "conv", "kernel": 3, "padding": 1}},
            {"kind": "readout", "units": 3, "tau_mem": 0.05, "tau_syn": 0.01},
        ],
        "seed_index": 43, "loss": {"kind": "max-over-time-ce"}}),
}


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--only=")]
    only = [a[len("--only="):] for a in sys.argv[1:] if a.startswith("--only=")]
    out = args[0] if args else os.path.join(os.path.dirname(__file__), "../../Tests/SpikeKitTests/Fixtures/cases")
    for idx, (name, (feature, cfg)) in enumerate(FEATURES.items()):
        if only and not any(name.startswith(o) for o in only):
            continue
        for attempt in range(200):
            rng = np.random.default_rng(91000 + 1000 * cfg.get("seed_index", idx) + attempt)
            case, A = build(name, rng, cfg)
            margin, spikes = evaluate(case, A)
            if margin >= MARGIN and spikes > 0:
                break
        else:
            raise SystemExit(f"{name}: no seed with margin >= {MARGIN}")
        case["feature"] = feature
        case["spike_margin"] = margin
        case["seed_attempt"] = attempt
        d = os.path.join(out, name)
        os.makedirs(d, exist_ok=True)
        for k, v in A.items():
            if (".log_tau_" in k or k.endswith(".threshold")) and not k.startswith("grad."):
                continue  # the initial ρ is ln of the description's τ, the initial θ the case's threshold: no file
            np.save(os.path.join(d, k), v, allow_pickle=False)
        with open(os.path.join(d, "case.json"), "w") as f:
            json.dump(case, f, indent=1)
        print(f"{name}: loss {case['expected']['loss']:.6g}, margin {margin:.2e}, spikes {spikes:.0f} ({feature})")


if __name__ == "__main__":
    main()

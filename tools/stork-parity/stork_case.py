"""A verify case computed by stork itself (fmi-basel/stork, installed beside the project; see README.md here):
the network of stork's Randman example (examples/01_Shallow_SNN_Randman.ipynb) at its fluctuation-driven
initialisation, on a batch of stork's own Randman data, with stork's loss (max-over-time cross-entropy plus
LowerBoundL2(100, 1e-3) per neuron and UpperBoundL2(0.1, 4) on the mean) and autograd gradients.

SpikeKit runs the same network with stork's timing (delay 2 on every connection) over steps + 1 steps: stork records
the readout after each of its T updates, U[1..T] in SpikeKit's indexing, where SpikeKit's output is U[0..T-1]; one
more (input-free) step makes SpikeKit's window U[0..T] hold all of stork's values, and U[0] = initial_mem is below
every maximum of the chosen samples (checked). A spike in that extra step reaches nothing within the window; samples
where it would change a regularizer (a neuron silent before, or the mean count at the upper bound's threshold) are
skipped. The expected spikes of the extra step are stork's threshold test of its last membrane.
Usage: python stork_case.py --stork PATH_TO_STORK --out Tests/SpikeKitTests/Fixtures/cases/stork-randman-ff [--recurrent]"""
import argparse, json, os, sys
import numpy as np

p = argparse.ArgumentParser()
p.add_argument("--stork", required=True, help="a folder holding the stork package (and randman installed)")
p.add_argument("--out", required=True)
p.add_argument("--batch", type=int, default=4)
p.add_argument("--seed", type=int, default=1)
p.add_argument("--recurrent", action="store_true", help="add a recurrent Connection(hidden, hidden)")
p.add_argument("--stochastic", action="store_true",
               help="stork's CustomSpike with sigmoid escape noise (beta 20) and SuperSpike(20); its uniform draws are recorded")
p.add_argument("--layer-init", action="store_true",
               help="initialise the hidden layer's afferents as stork's Layer does (alpha 0.9 of the variance feed-forward)")
a = p.parse_args()
sys.path.insert(0, a.stork)
import torch, stork, stork.datasets
from stork.models import RecurrentSpikingModel
from stork.nodes import InputGroup, ReadoutGroup, LIFGroup
from stork.connections import Connection
from stork.generators import StandardGenerator
from stork.initializers import FluctuationDrivenCenteredNormalInitializer

T, dt, nin, nh, nout, beta = 100, 2e-3, 20, 128, 10, 20.0
duration = T * dt
data, labels = stork.datasets.make_tempo_randman(dim_manifold=1, nb_classes=10, nb_units=nin, nb_steps=T, step_frac=0.5,
                                                 nb_samples=1000, nb_spikes=1, alpha=1, seed=1)
train = stork.datasets.split_dataset(data, labels, splits=[0.8, 0.1, 0.1], shuffle=False)[0]
ds = stork.datasets.RasDataset(train, nb_steps=T, nb_units=nin, time_scale=1.0)

torch.manual_seed(a.seed)
draws = []
if a.stochastic:
    act = stork.activations.CustomSpike
    act.escape_noise_type, act.escape_noise_params = "sigmoid", {"beta": beta}
    act.surrogate_type, act.surrogate_params = "SuperSpike", {"beta": beta}
    # stork draws xi = torch.rand(shape) once per step and spikes where sigmoid(beta x) > xi: record the draws, so
    # that SpikeKit gets the same noise (a case's noise file [B, T, N]: spike where xi < p).
    _rand = torch.rand
    def recording_rand(*args, **kwargs):
        xi = _rand(*args, **kwargs)
        draws.append(xi.clone())
        return xi
    stork.activations.torch = type("T", (), {"__getattr__": lambda self, n: recording_rand if n == "rand" else getattr(torch, n)})()
else:
    act = stork.activations.SuperSpike
    act.beta = beta
B = a.batch


def build(batch):
    model = RecurrentSpikingModel(batch, T, nin, torch.device("cpu"), torch.float)
    inp = model.add_group(InputGroup(nin))
    hid = model.add_group(LIFGroup(nh, tau_mem=20e-3, tau_syn=10e-3, activation=act))
    ro = model.add_group(ReadoutGroup(nout, tau_mem=duration, tau_syn=10e-3, initial_state=-1e-2))
    cons = [model.add_connection(Connection(inp, hid))]
    if a.recurrent:
        cons.append(model.add_connection(Connection(hid, hid)))
    cons.append(model.add_connection(Connection(hid, ro)))
    hid.regularizers.extend([stork.regularizers.LowerBoundL2(100, threshold=1e-3, dims=False),
                             stork.regularizers.UpperBoundL2(0.1, threshold=4, dims=1)])
    model.configure(input=inp, output=ro, loss_stack=stork.loss_stacks.MaxOverTimeCrossEntropy(),
                    generator=StandardGenerator(nb_workers=0), optimizer=stork.optimizers.SMORMS3,
                    optimizer_kwargs=dict(lr=5e-3), time_step=dt)
    return model, hid, ro, cons


model, hid, ro, cons = build(B)
init = FluctuationDrivenCenteredNormalInitializer(sigma_u=1.0, nu=1 / duration, timestep=dt)
if a.layer_init:
    # what stork's Layer.add_connection records for initializer.initialize_layer
    hid.afferents = cons[:-1]
    for c, rec in zip(cons[:-1], [False, True]):
        c.is_recurrent = rec
    for c, (mu, sigma) in zip(cons[:-1], init._get_weight_parameters_dst(hid)):
        init._set_weights_and_bias(c, init._get_weights(c, mu, sigma))
    cons[-1].init_parameters(initializer=init)
else:
    for c in cons:
        c.init_parameters(initializer=init)

# Samples whose hidden layer is silent in SpikeKit's extra step and whose readout maxima are above U[0].
chosen, i = [], 0
while len(chosen) < B:
    x, y = ds[i]
    m1, h1, r1, c1 = build(1)
    for src, dst in zip(cons, c1):
        dst.op.weight.data.copy_(src.op.weight.data)
    with torch.no_grad():
        out = m1.forward_pass(x[None], cur_batch_size=1)
    draws.clear()
    # SpikeKit's extra step may add a spike S[T] (reaching nothing within the window) and so change a spike count:
    # harmless where neither regularizer's value or gradient changes, i.e. on neurons that spiked before (the
    # lower bound is 0 there) and while the population mean stays below the upper bound's threshold.
    counts = h1.get_out_sequence()[0].sum(dim=0)
    extra = (h1.mem[0] - 1.0 > 0).float()
    harmless = bool(((extra > 0) <= (counts >= 1)).all()) and float((counts + extra).mean()) < 4 and float(counts.mean()) < 4
    if os.environ.get("STORK_CASE_DEBUG"):
        print(i, int(extra.sum()), int(((extra > 0) & (counts < 1)).sum()), float(counts.mean()), float(out[0].max(dim=0).values.min()))
    if harmless and (out[0].max(dim=0).values > -1e-2).all().item():
        chosen.append(i)
    i += 1
    if i == len(ds):
        sys.exit("no sample of the training set qualifies (see the docstring)")
if a.stochastic:
    torch.manual_seed(a.seed + 1000)
X = torch.stack([ds[k][0] for k in chosen])
Y = torch.tensor([int(ds[k][1]) for k in chosen])
out = model.forward_pass(X, cur_batch_size=B)
loss = model.get_total_loss(out, Y)
model.optimizer_instance.zero_grad()
loss.backward()
hidden = hid.get_out_sequence().detach().numpy()
extra_step = np.asarray((hid.mem - 1.0 > 0).float().numpy(), np.float32)[:, None, :]

os.makedirs(a.out, exist_ok=True)
if a.stochastic:
    assert len(draws) == T, len(draws)
    # The extra step's draw is 1: never below p, so SpikeKit's extra step is silent, like stork's missing one.
    noise = torch.cat([torch.stack(draws, dim=1), torch.ones(B, 1, nh)], dim=1)
    np.save(f"{a.out}/layer0.noise.npy", np.ascontiguousarray(noise.numpy().astype(np.float32)))
f32 = lambda t: np.ascontiguousarray(np.asarray(t, dtype=np.float32))
pad = lambda z, width: np.concatenate([z, np.zeros((B, 1, width), np.float32)], axis=1)
np.save(f"{a.out}/input.npy", pad(f32(X.numpy()), nin))
np.save(f"{a.out}/labels.npy", Y.numpy().astype(np.int64))
names = ["layer0.weight"] + (["layer0.recurrent"] if a.recurrent else []) + ["layer1.weight"]
for n, c in zip(names, cons):
    np.save(f"{a.out}/{n}.npy", f32(c.op.weight.detach().numpy()))
    np.save(f"{a.out}/grad.{n}.npy", f32(c.op.weight.grad.numpy()))
u0 = np.full((B, 1, nout), -1e-2, np.float32)
np.save(f"{a.out}/expected.output.npy", np.concatenate([u0, f32(out.detach().numpy())], axis=1))
np.save(f"{a.out}/expected.layer0.spikes.npy", np.concatenate([f32(hidden), 0 * extra_step if a.stochastic else extra_step], axis=1))
escape = {"kind": "sigmoid", "beta": beta} if a.stochastic else {"kind": "step"}
spike = {"escape": escape, "surrogate": {"kind": "superspike", "beta": beta}, "bp_reset": False}
layer0 = {"kind": "lif", "units": nh, "tau_mem": 0.02, "tau_syn": 0.01, "reset": "next-step", "delay": 2, "spike": spike,
          "weights": "layer0.weight.npy"}
if a.stochastic:
    layer0["noise"] = "layer0.noise.npy"
if a.recurrent:
    layer0["recurrent"] = {"kind": "dense", "delay": 2, "weights": "layer0.recurrent.npy"}
case = {
    "name": os.path.basename(os.path.normpath(a.out)), "dtype": "float32", "dt": dt, "steps": T + 1, "batch": B,
    "threshold": 1.0, "tolerance": 1e-3,
    "input": {"shape": [nin], "spikes": "input.npy"},
    "layers": [layer0, {"kind": "readout", "units": nout, "tau_mem": duration, "tau_syn": 0.01, "initial_mem": -1e-2,
                        "delay": 2, "weights": "layer1.weight.npy"}],
    "loss": {"kind": "max-over-time-ce", "labels": "labels.npy",
             "activity_reg": {"threshold": 4.0, "strength": 0.1, "lower_threshold": 1e-3, "lower_strength": 100.0}},
    "expected": {"loss": loss.item(), "output": "expected.output.npy", "hidden_spikes": ["expected.layer0.spikes.npy"],
                 "grads": {f"{n}.npy": f"grad.{n}.npy" for n in names}},
    "feature": "computed by stork itself: its Randman example network" + (" with sigmoid escape noise (CustomSpike)" if a.stochastic else "") + (" with a recurrent connection" if a.recurrent else "")
               + (" (stork's Layer initialisation, alpha 0.9)" if a.layer_init else "")
               + " at initialisation, stork's data, loss and regularizers (tools/stork-parity/stork_case.py)",
    "samples": chosen, "torch": torch.__version__,
}
with open(f"{a.out}/case.json", "w") as f:
    json.dump(case, f, indent=1)
print("wrote", a.out, "samples", chosen, "loss", loss.item(), "hidden spikes", int(hidden.sum()))

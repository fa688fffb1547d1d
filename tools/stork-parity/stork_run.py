"""Runs stork's own Randman example (examples/01_Shallow_SNN_Randman.ipynb) and variants, outside the project.
--net ff: the notebook as it is. rec: plus a recurrent Connection(hidden, hidden), each connection initialised on its
own as the notebook does (con.init_parameters). rec-layer: the recurrence initialised the way stork's Layer does
(initializer.initialize_layer: alpha 0.9 of the variance feed-forward). stoch: CustomSpike with sigmoid escape noise.
--export DIR writes the notebook's train/valid/test split in the SHD layout (spike of step n at (n + 0.5) dt)."""
import argparse, json, sys, time

p = argparse.ArgumentParser()
p.add_argument("--stork", required=True, help="a folder holding the stork package (with randman installed)")
p.add_argument("--net", default="ff", choices=["ff", "rec", "rec-layer", "stoch"])
p.add_argument("--seed", type=int, default=1)
p.add_argument("--epochs", type=int, default=20)
p.add_argument("--beta", type=float, default=20)
p.add_argument("--export", help="a folder for train.h5, valid.h5, test.h5 (stork's split in the SHD layout)")
p.add_argument("--out", help="a JSONL file the run's accuracies and timing are appended to")
p.add_argument("--threads", type=int, default=2)
a = p.parse_args()
sys.path.insert(0, a.stork)
import numpy as np, torch, h5py
import stork, stork.datasets
from stork.models import RecurrentSpikingModel
from stork.nodes import InputGroup, ReadoutGroup, LIFGroup
from stork.connections import Connection
from stork.generators import StandardGenerator
from stork.initializers import FluctuationDrivenCenteredNormalInitializer

torch.set_num_threads(a.threads)

nb_time_steps, dt, nb_inputs = 100, 2e-3, 20
duration = nb_time_steps * dt
data, labels = stork.datasets.make_tempo_randman(dim_manifold=1, nb_classes=10, nb_units=nb_inputs, nb_steps=nb_time_steps,
                                                 step_frac=0.5, nb_samples=1000, nb_spikes=1, alpha=1, seed=1)
splits = stork.datasets.split_dataset(data, labels, splits=[0.8, 0.1, 0.1], shuffle=False)
if a.export:
    for name, (X, y) in zip(["train", "valid", "test"], splits):
        with h5py.File(f"{a.export}/{name}.h5", "w") as f:
            vt = h5py.vlen_dtype(np.dtype("float16")); vu = h5py.vlen_dtype(np.dtype("uint16"))
            t = f.create_dataset("spikes/times", (len(X),), dtype=vt)
            u = f.create_dataset("spikes/units", (len(X),), dtype=vu)
            for i, (ti, ui) in enumerate(X):
                t[i] = ((ti.numpy().astype(np.float64) + 0.5) * dt).astype(np.float16)
                u[i] = ui.numpy().astype(np.uint16)
            f.create_dataset("labels", data=np.asarray(y, dtype=np.uint16))
    print("exported", [len(s[0]) for s in splits])
if a.epochs == 0:
    sys.exit(0)
ds_kwargs = dict(nb_steps=nb_time_steps, nb_units=nb_inputs, time_scale=1.0)
ds_train, ds_valid, ds_test = [stork.datasets.RasDataset(ds, **ds_kwargs) for ds in splits]

torch.manual_seed(a.seed); np.random.seed(a.seed)
if a.net == "stoch":
    act_fn = stork.activations.CustomSpike
    act_fn.escape_noise_type = "sigmoid"
    act_fn.escape_noise_params = {"beta": a.beta}
    act_fn.surrogate_type = "SuperSpike"
    act_fn.surrogate_params = {"beta": a.beta}
else:
    act_fn = stork.activations.SuperSpike
    act_fn.beta = a.beta
model = RecurrentSpikingModel(250, nb_time_steps, nb_inputs, torch.device("cpu"), torch.float)
input_group = model.add_group(InputGroup(nb_inputs))
hidden = model.add_group(LIFGroup(128, tau_mem=20e-3, tau_syn=10e-3, activation=act_fn))
readout = model.add_group(ReadoutGroup(10, tau_mem=duration, tau_syn=10e-3, initial_state=-1e-2))
con = model.add_connection(Connection(input_group, hidden))
con_rec = model.add_connection(Connection(hidden, hidden)) if a.net.startswith("rec") else None
con_ro = model.add_connection(Connection(hidden, readout))
hidden.regularizers.extend([stork.regularizers.LowerBoundL2(100, threshold=1e-3, dims=False),
                            stork.regularizers.UpperBoundL2(0.1, threshold=4, dims=1)])
init = FluctuationDrivenCenteredNormalInitializer(sigma_u=1.0, nu=1 / duration, timestep=dt)
if a.net == "rec-layer":
    # what stork's Layer.add_connection records for its initializer
    con.is_recurrent, con_rec.is_recurrent = False, True
    hidden.afferents = [con, con_rec]
    params = init._get_weight_parameters_dst(hidden)
    for c, (mu, sigma) in zip(hidden.afferents, params):
        init._set_weights_and_bias(c, init._get_weights(c, mu, sigma))
    con_ro.init_parameters(initializer=init)
else:
    for c in [con, con_rec, con_ro]:
        if c is not None: c.init_parameters(initializer=init)
model.add_monitor(stork.monitors.SpikeCountMonitor(hidden))
model.configure(input=input_group, output=readout, loss_stack=stork.loss_stacks.MaxOverTimeCrossEntropy(),
                generator=StandardGenerator(nb_workers=2), optimizer=stork.optimizers.SMORMS3,
                optimizer_kwargs=dict(lr=5e-3), time_step=dt)
res = model.monitor(ds_test)
rate0 = torch.sum(res[0]).item() / len(ds_test) / duration / 128
t0 = time.time()
history = model.fit_validate(ds_train, ds_valid, nb_epochs=a.epochs, verbose=False)
seconds = time.time() - t0
out = dict(net=a.net, seed=a.seed, epochs=a.epochs, beta=a.beta, initial_rate_hz=rate0, seconds_per_epoch=seconds / a.epochs,
           valid_acc=[float(x) for x in history["val_acc"]], train_acc=[float(x) for x in history["acc"]])
print(json.dumps({k: v for k, v in out.items() if k != "train_acc"}))
if a.out:
    with open(a.out, "a") as f: f.write(json.dumps(out) + "\n")

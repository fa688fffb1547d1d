#!/usr/bin/env bash
# Parity with stork's Randman example (examples/01_Shallow_SNN_Randman.ipynb): the feed-forward, recurrent and
# stochastic networks of Examples/models/stork-randman-*.json trained with `spikekit train` on stork's data protocol,
# 3 seeds each; writes runs of metrics and summary.md (validation accuracy at epochs 20, 40 and the last).
# Usage: tools/stork-parity/run.sh [output folder (default spikekit-out/stork-parity)] [epochs (default 200)]
# Environment: SPIKEKIT (default .build/release/spikekit), SEEDS (default "1 2 3"), NETS (default "ff rec stoch"),
# THREADS (default 1), DATA (a folder with train.h5, valid.h5 and test.h5 to use instead of SpikeKit's Randman data,
# e.g. stork's own split exported in the SHD layout). docs/Classification.md, "Parity with stork", explains each setting.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
out="${1:-spikekit-out/stork-parity}"
epochs="${2:-200}"
bin="${SPIKEKIT:-$root/.build/release/spikekit}"
seeds="${SEEDS:-1 2 3}"
nets="${NETS:-ff rec stoch}"
threads="${THREADS:-1}"
mkdir -p "$out"
# stork's data: Randman (randmanseed 1; 10 classes x 1000 samples, 20 units, 100 steps of 2 ms, one spike per unit in
# the first half, alpha 1, manifold dimension 1), split 0.8 / 0.1 / 0.1 in file order (stork's split_dataset).
if [ -n "${DATA:-}" ]; then
  for f in train valid test; do cp "$DATA/$f.h5" "$out/$f.h5"; done
elif [ ! -s "$out/test.h5" ]; then
  "$bin" classify --dataset randman --randman-seed 1 --export "$out/all.h5" --epochs 0 > /dev/null
  "$bin" data split "$out/all.h5" --fractions 0.8,0.1,0.1 --output "$out/train.h5" --output "$out/valid.h5" --output "$out/test.h5"
fi
# stork's training: SMORMS3 lr 5e-3, batch 250, fluctuation-driven init sigma_u 1, nu 5 Hz on both connections (the
# readout with its own time constants), LowerBoundL2(100, 1e-3) per neuron and UpperBoundL2(0.1, 4) on the mean,
# max-over-time cross-entropy, 0.2 s windows.
for net in $nets; do
  for seed in $seeds; do
    run="$out/$net-seed$seed"
    if [ -s "$run/summary.txt" ] && [ "$(($(wc -l < "$run/metrics.csv") - 1))" -ge "$epochs" ]; then continue; fi
    "$bin" train --model "$root/Examples/models/stork-randman-$net.json" --train "$out/train.h5" --valid "$out/valid.h5" \
      --test "$out/test.h5" --duration 0.2 --optimizer smorms3 --lr 5e-3 --batch 250 --sigma-u 1 --nu 5 \
      --readout-init fluctuation-driven --regularizer-strength 0.1 --regularizer-threshold 4 \
      --lower-regularizer-strength 100 --lower-regularizer-threshold 0.001 --epochs "$epochs" --seed "$seed" \
      --threads "$threads" --output "$run" > "$run.log"
  done
done
# Validation accuracy at epochs 20, 40 and the last, per seed and as mean +- sample standard deviation.
{
  echo "| network | seeds | valid acc @20 | @40 | @$epochs | test acc @$epochs | s per epoch |"
  echo "|---|---|---|---|---|---|---|"
  for net in $nets; do
    for seed in $seeds; do
      awk -F, -v n="$net" -v s="$seed" -v last="$epochs" 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
        { v[$1] = $(c["valid_accuracy"]); t[$1] = $(c["test_accuracy"]); sec += $(c["training_seconds"]) + $(c["evaluation_seconds"]) }
        END { printf "%s %s %s %s %s %s %s\n", n, s, v[20], v[40], v[last], t[last], sec / (NR - 1) }' "$out/$net-seed$seed/metrics.csv"
    done
  done | awk '{ k = $1; n[k]++; for (j = 3; j <= 7; j++) { x[k, j] += $j; y[k, j] += $j * $j }; seeds[k] = seeds[k] (seeds[k] ? "," : "") $2 }
    END { for (k in n) { printf "| %s | %s |", k, seeds[k]
            for (j = 3; j <= 7; j++) { m = x[k, j] / n[k]; sd = n[k] > 1 ? sqrt((y[k, j] - n[k] * m * m) / (n[k] - 1)) : 0
              if (j < 7) printf " %.1f ± %.1f %% |", 100 * m, 100 * sd; else printf " %.2f |", m }
            printf "\n" } }' | sort
} > "$out/summary.md"
cat "$out/summary.md"

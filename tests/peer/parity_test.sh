#!/usr/bin/env bash
# Step-by-step loss parity between `attune fit` and the independent numpy
# reference (tests/peer/reference_train.py) from the same initial weights on
# the same Fashion-MNIST batches (file order, no shuffle).
# Usage: parity_test.sh ATTUNE SOURCE_DIR WORKLOAD OPTIMIZER LR BATCH STEPS
#   WORKLOAD: w0 | w1 | w2 (examples/specs/<workload>_*.json)
#   OPTIMIZER: sgd | momentum | adam
# Passes when every step's loss agrees within a relative 1e-4.
set -euo pipefail
attune=$1 source=$2 workload=$3 optimizer=$4 lr=$5 batch=$6 steps=$7
data=/usr/share/datasets/fashion-mnist
python=/usr/bin/python3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

spec=$(ls "$source"/examples/specs/"$workload"_*.json)
"$python" - "$spec" "$optimizer" "$lr" > "$work/spec.json" <<'PY'
import json, sys
spec = json.load(open(sys.argv[1]))
kind, lr = sys.argv[2], float(sys.argv[3])
if kind == "adam":
    spec["optimizer"] = {"type": "adam", "learning_rate": lr}
else:
    spec["optimizer"] = {"type": "sgd", "learning_rate": lr,
                         "momentum": 0.9 if kind == "momentum" else 0.0}
json.dump(spec, sys.stdout)
PY
"$attune" compile "$work/spec.json" -o "$work/model.attune" >/dev/null
"$attune" fit "$work/model.attune" \
  --x "$data/train-images-idx3-ubyte.gz" --y "$data/train-labels-idx1-ubyte.gz" \
  --batch-size "$batch" --epochs 1 --steps "$steps" --no-shuffle \
  --save-weights "$work/weights" --log "$work/attune.csv" >/dev/null
"$python" "$source/tests/peer/reference_train.py" --workload "$workload" \
  --weights "$work/weights/initial" --data "$data" --batch-size "$batch" \
  --steps "$steps" --optimizer "$optimizer" --learning-rate "$lr" \
  --out "$work/reference.csv"
"$python" - "$work/attune.csv" "$work/reference.csv" "$workload" "$optimizer" "$steps" <<'PY'
import csv, sys
ours = [float(r["loss"]) for r in csv.DictReader(open(sys.argv[1]))]
ref = [float(r["loss"]) for r in csv.DictReader(open(sys.argv[2]))]
steps = int(sys.argv[5])
assert len(ours) == steps and len(ref) == steps, (len(ours), len(ref))
worst = max(range(steps), key=lambda i: abs(ours[i] - ref[i]) / abs(ref[i]))
rel = abs(ours[worst] - ref[worst]) / abs(ref[worst])
print(f"{sys.argv[3]} {sys.argv[4]}: {steps} steps, loss {ref[0]:.6f} -> {ref[-1]:.6f}, "
      f"max relative difference {rel:.2e} at step {worst + 1} "
      f"(attune {ours[worst]:.8f}, numpy {ref[worst]:.8f})")
sys.exit(0 if rel <= 1e-4 else 1)
PY

#!/usr/bin/env bash
# Step-by-step parity between `attune fit` and the independent numpy
# reference (tests/peer/reference_train.py) from the same initial weights on
# the same Fashion-MNIST batches (file order, no shuffle).
# Usage: parity_test.sh ATTUNE SOURCE_DIR WORKLOAD OPTIMIZER LR BATCH STEPS [MODE]
#   WORKLOAD: w0 | w1 | w2 (examples/specs/<workload>_*.json)
#   OPTIMIZER: sgd | momentum | adam
#   MODE: trajectory (default): both sides train on their own; passes when
#           every step's loss agrees within a relative 1e-4.
#         resync: attune saves its state after every step and the reference
#           recomputes each step from attune's state before it; passes when
#           every step's loss agrees within a relative 1e-5 and the
#           variables after a step differ from the reference's by at most
#           1e-6 of the variable's largest magnitude in the median step and
#           1e-3 in the worst (a max-pool window whose two largest inputs are
#           within rounding of each other, or an Adam update of a gradient
#           near 0, may legitimately go either way in float32).
#           This checks every step even where float32 and float64 training
#           trajectories separate on their own (W2; see tests/peer/README.md).
set -euo pipefail
attune=$1 source=$2 workload=$3 optimizer=$4 lr=$5 batch=$6 steps=$7
mode=${8:-trajectory}
data=/usr/share/datasets/fashion-mnist
python=/usr/bin/python3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
resync_fit=() resync_ref=()
if [ "$mode" = resync ]; then
  resync_fit=(--save-weights-every 1)
  resync_ref=(--resync "$work/weights")
fi

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
  --save-weights "$work/weights" "${resync_fit[@]}" \
  --log "$work/attune.csv" >/dev/null
"$python" "$source/tests/peer/reference_train.py" --workload "$workload" \
  --weights "$work/weights/initial" --data "$data" --batch-size "$batch" \
  --steps "$steps" --optimizer "$optimizer" --learning-rate "$lr" \
  "${resync_ref[@]}" --out "$work/reference.csv"
"$python" - "$work/attune.csv" "$work/reference.csv" "$workload" "$optimizer" \
  "$steps" "$mode" <<'PY'
import csv, sys
ours = [float(r["loss"]) for r in csv.DictReader(open(sys.argv[1]))]
rows = list(csv.DictReader(open(sys.argv[2])))
ref = [float(r["loss"]) for r in rows]
steps, mode = int(sys.argv[5]), sys.argv[6]
assert len(ours) == steps and len(ref) == steps, (len(ours), len(ref))
worst = max(range(steps), key=lambda i: abs(ours[i] - ref[i]) / abs(ref[i]))
rel = abs(ours[worst] - ref[worst]) / abs(ref[worst])
print(f"{sys.argv[3]} {sys.argv[4]} {mode}: {steps} steps, loss {ref[0]:.6f} -> "
      f"{ref[-1]:.6f}, max relative loss difference {rel:.2e} at step "
      f"{worst + 1} (attune {ours[worst]:.8f}, numpy {ref[worst]:.8f})")
if mode == "trajectory":
    sys.exit(0 if rel <= 1e-4 else 1)
errors = [float(r["weight_error"]) for r in rows]
bad = max(range(steps), key=lambda i: errors[i])
print(f"  variables after each step: max difference {errors[bad]:.2e} of the "
      f"variable's largest magnitude (step {bad + 1}), median "
      f"{sorted(errors)[steps // 2]:.2e}")
median = sorted(errors)[steps // 2]
sys.exit(0 if rel <= 1e-5 and median <= 1e-6 and errors[bad] <= 1e-3 else 1)
PY

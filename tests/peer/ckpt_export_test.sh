#!/usr/bin/env bash
# Checkpoints written by `attune fit --checkpoint` are inspectable with
# `attune ckpt` and readable by numpy: the exported .npz holds one member per
# variable under its exact name, with the shapes and the values that
# `attune fit --save-weights` wrote. Then the other way: weights written by
# numpy (float64, np.savez) are imported with `attune ckpt import --model`,
# restored by `attune run --checkpoint` (logits equal a numpy forward pass),
# and the checkpoint `run` saves exports back bit-exact.
# Usage: ckpt_export_test.sh ATTUNE SOURCE_DIR
# Exits 77 (skipped) without numpy or the Fashion-MNIST files.
set -euo pipefail
attune=$1 source=$2
data=/usr/share/datasets/fashion-mnist
python=/usr/bin/python3
if ! "$python" -c "import numpy" 2>/dev/null || [ ! -d "$data" ]; then
  echo "skipped: needs $python with numpy and $data"
  exit 77
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

"$attune" compile "$source/examples/specs/w0_tflite_tutorial.json" -o model.attune >/dev/null
"$attune" fit model.attune \
  --x "$data/train-images-idx3-ubyte.gz" --y "$data/train-labels-idx1-ubyte.gz" \
  --batch-size 100 --epochs 1 --steps 20 --no-shuffle \
  --checkpoint ckpt.db --save-weights weights >/dev/null
"$attune" ckpt ls ckpt.db
"$attune" ckpt ls ckpt.db --json > ls.json
"$attune" ckpt show ckpt.db
"$attune" ckpt show ckpt.db --json > show.json
"$attune" ckpt verify ckpt.db
"$attune" ckpt export ckpt.db --format npz -o export.npz

"$python" - <<'PY'
import json, os
import numpy as np
ls = json.load(open("ls.json"))
assert len(ls) == 1 and ls[0]["step"] == 20, ls
assert ls[0]["properties"]["step"] == 20 and "loss" in ls[0]["properties"], ls
exported = np.load("export.npz")
files = {f[:-4].replace("__", "/") for f in os.listdir("weights") if f.endswith(".npy")}
assert set(exported.files) == files, (sorted(exported.files), sorted(files))
assert exported["dense_1/kernel"].shape == (784, 128)
assert exported["dense_1/bias"].shape == (128,)
assert exported["dense_2/kernel"].shape == (128, 10)
assert exported["dense_2/bias"].shape == (10,)
for name in exported.files:
    want = np.load(os.path.join("weights", name.replace("/", "__") + ".npy"))
    got = exported[name]
    assert got.dtype == want.dtype and got.shape == want.shape, name
    assert np.array_equal(got, want), name
show = json.load(open("show.json"))
stats = {t["name"]: t for t in show["tensors"]}
k = exported["dense_1/kernel"].astype(np.float64)
s = stats["dense_1/kernel"]
assert s["checksum"] == "ok" and s["nan"] == 0 and s["inf"] == 0
for key, want in [("min", k.min()), ("max", k.max()), ("mean", k.mean()),
                  ("std", k.std()), ("l2", np.sqrt((k * k).sum()))]:
    assert abs(s[key] - want) <= 1e-9 * max(1.0, abs(want)), (key, s[key], want)
print(f"export: {len(exported.files)} variables match --save-weights exactly")

# New weights "from another framework": float64, weights only.
rng = np.random.default_rng(0)
new = {n: rng.normal(size=exported[n].shape) * 0.05
       for n in ["dense_1/kernel", "dense_1/bias", "dense_2/kernel", "dense_2/bias"]}
np.savez("numpy_weights.npz", **new)
np.save("x.npy", rng.normal(size=(3, 28, 28)).astype(np.float32))
for n, v in new.items():
    np.save("expect_" + n.replace("/", "__") + ".npy", v.astype(np.float32))
PY

"$attune" ckpt import imported.db numpy_weights.npz --model model.attune
"$attune" run model.attune --signature infer --input x=x.npy --output-dir out \
  --checkpoint imported.db
"$attune" ckpt export imported.db latest --format npz -o roundtrip.npz

"$python" - <<'PY'
import numpy as np
back = np.load("roundtrip.npz")
w = {}
for n in ["dense_1/kernel", "dense_1/bias", "dense_2/kernel", "dense_2/bias"]:
    want = np.load("expect_" + n.replace("/", "__") + ".npy")
    assert back[n].dtype == np.float32 and np.array_equal(back[n], want), n
    w[n] = want.astype(np.float64)
x = np.load("x.npy").reshape(3, -1).astype(np.float64)
h = np.maximum(x @ w["dense_1/kernel"] + w["dense_1/bias"], 0)
want = h @ w["dense_2/kernel"] + w["dense_2/bias"]
got = np.load("out/logits.npy")
err = np.abs(got - want).max()
assert err <= 1e-4 * max(1.0, np.abs(want).max()), err
print(f"import: numpy weights restored bit-exact; logits max error {err:.2e}")
PY
echo "ckpt export/import with numpy: ok"

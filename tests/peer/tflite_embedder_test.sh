#!/usr/bin/env bash
# The MobileNetV2-0.35-96 embedder through `attune convert` + `attune run`
# against the independent float64 numpy reference (tflite_embedder_reference.py):
# max |difference| <= 1e-4 * the largest reference component.
# usage: tflite_embedder_test.sh ATTUNE_CLI SOURCE_DIR
set -euo pipefail
cli=$1
src=$2
python=/usr/bin/python3  # Debian python3-numpy (scripts/setup)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
model=$src/models/mobilenet_v2_035_96_embedder.tflite
"$python" - "$work/x.npy" <<'PY'
import sys
import numpy as np
# A smooth image in [0, 1] plus noise (seeded), [1, 96, 96, 3].
rng = np.random.default_rng(5)
yy, xx = np.meshgrid(np.linspace(0, 1, 96), np.linspace(0, 1, 96), indexing="ij")
base = np.stack([yy, xx, 0.5 + 0.5 * np.sin(6 * yy * xx)], axis=-1)
x = np.clip(base + 0.1 * rng.standard_normal(base.shape), 0, 1)
np.save(sys.argv[1], x[None].astype(np.float32))
PY
"$cli" convert "$model" -o "$work/embedder.attune" > /dev/null
"$cli" run "$work/embedder.attune" --signature serving_default \
  --input "keras_layer_input=$work/x.npy" --output-dir "$work" > /dev/null
"$python" "$src/tests/peer/tflite_embedder_reference.py" "$model" "$work/x.npy" \
  "$work/reference.npy" --compare "$work/keras_layer.npy" --tolerance 1e-4

#!/usr/bin/env bash
# The uint8 MobileNetV2-1.0-224 classifier through `attune convert` +
# `attune run` (float signature) on every photo in models/images, against the
# independent float64 numpy reference (tflite_classifier_reference.py): same
# top-1, probabilities within the stated tolerances (see tests/peer/README.md).
# usage: tflite_classifier_test.sh ATTUNE_CLI PHOTO_TO_NPY SOURCE_DIR [REFERENCE_OPTION ...]
set -euo pipefail
cli=$1
photo_to_npy=$2
src=$3
shift 3  # the rest goes to the reference (tolerance overrides)
python=/usr/bin/python3  # Debian python3-numpy and python3-pil (scripts/setup)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
model=$src/models/mobilenet_v2_1.0_224_quant.tflite
"$cli" convert "$model" -o "$work/classifier.attune" > /dev/null
cases=()
for photo in "$src"/models/images/*.{bmp,jpg,png}; do
  name=$(basename "$photo")
  # The input tensor's quantization: scale 1/128, zero point 128.
  "$photo_to_npy" "$photo" 224 128 128 "$work/$name.npy"
  mkdir "$work/$name"
  "$cli" run "$work/classifier.attune" --signature serving_default_float \
    --input "input=$work/$name.npy" --output-dir "$work/$name" > /dev/null
  cases+=(--case "$photo" "$work/$name.npy"
          "$work/$name/MobilenetV2_Predictions_Softmax.npy")
done
"$python" "$src/tests/peer/tflite_classifier_reference.py" "$model" \
  "$src/models/imagenet_labels.txt" "${cases[@]}" "$@"

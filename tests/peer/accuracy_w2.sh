#!/usr/bin/env bash
# W2 (cnn) on Fashion-MNIST with `attune fit`: 5 epochs, batch 32, SGD
# momentum 0.9 lr 0.01 (the workload's spec), 2 threads; fails below the
# given test accuracy. Usage: accuracy_w2.sh ATTUNE SOURCE_DIR MIN_ACCURACY
set -euo pipefail
attune=$1 source=$2 min=$3
data=/usr/share/datasets/fashion-mnist
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$attune" compile "$source/examples/specs/w2_cnn.json" -o "$work/w2.attune"
"$attune" fit "$work/w2.attune" \
  --x "$data/train-images-idx3-ubyte.gz" --y "$data/train-labels-idx1-ubyte.gz" \
  --val-x "$data/t10k-images-idx3-ubyte.gz" --val-y "$data/t10k-labels-idx1-ubyte.gz" \
  --batch-size 32 --epochs 5 --seed 0 --threads 2 | tee "$work/fit.txt"
accuracy=$(sed -n 's/^validation accuracy \([0-9.]*\).*/\1/p' "$work/fit.txt")
/usr/bin/python3 -c "import sys; sys.exit(0 if $accuracy >= $min else 1)"

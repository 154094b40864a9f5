#!/usr/bin/env python3
"""Independent reference for attune's training steps, written with numpy only.

Trains the standard workloads W0 (tflite_tutorial), W1 (mlp) or W2 (cnn) from
the same initial weights on the same Fashion-MNIST batches (in file order, no
shuffle) and prints one loss per step. Forward and backward passes are
derived here by hand in float64; nothing is shared with attune but the
initial weights (.npy files written by `attune fit --save-weights`).

Optimizers follow torch.optim's documented update rules (SGD with momentum /
Nesterov / weight decay, Adam).

Usage:
  reference_train.py --workload w0|w1|w2 --weights DIR --data DIR
                     --batch-size N --steps N --optimizer sgd|momentum|adam
                     --learning-rate LR [--momentum M] [--out losses.csv]
                     [--resync SNAPSHOTS]

With --resync, SNAPSHOTS holds attune's weights and optimizer slots after
every step (`attune fit --save-weights SNAPSHOTS --save-weights-every 1`:
SNAPSHOTS/initial, SNAPSHOTS/step_1, ...). Step k then starts from attune's
state after step k-1 instead of the reference's own, so rounding differences
cannot accumulate: each row checks one step's forward, backward and update.
The output gains a column weight_error = max over variables of
max|reference - attune| / max|attune| after the step.
"""
import argparse
import gzip
import os
import sys

import numpy as np

FLOAT = np.float64  # the reference's precision (--float32 switches)


def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load_weights(directory):
    weights = {}
    for name in sorted(os.listdir(directory)):
        if name.endswith(".npy"):
            weights[name[:-4].replace("__", "/")] = np.load(
                os.path.join(directory, name)).astype(FLOAT)
    return weights


# ---- layers: each forward returns (output, cache); backward(dy, cache) ----

def dense_forward(x, w, b):
    return x @ w + b, x


def dense_backward(dy, x, w):
    return dy @ w.T, x.T @ dy, dy.sum(axis=0)


def relu_forward(x):
    return np.maximum(x, 0.0)


def relu_backward(dy, y):
    return dy * (y > 0)


def conv_same_forward(x, w, b):
    """NHWC x, HWIO w, stride 1, SAME padding (odd kernels: equal pads)."""
    kh, kw = w.shape[0], w.shape[1]
    ph, pw = (kh - 1) // 2, (kw - 1) // 2
    xp = np.pad(x, ((0, 0), (ph, kh - 1 - ph), (pw, kw - 1 - pw), (0, 0)))
    batch, height, width, _ = x.shape
    out = np.zeros((batch, height, width, w.shape[3]), dtype=x.dtype)
    for i in range(kh):
        for j in range(kw):
            out += xp[:, i:i + height, j:j + width, :] @ w[i, j]
    return out + b, xp


def conv_same_backward(dy, xp, w, x_shape):
    kh, kw = w.shape[0], w.shape[1]
    ph, pw = (kh - 1) // 2, (kw - 1) // 2
    batch, height, width, channels = x_shape
    dxp = np.zeros_like(xp)
    dw = np.zeros_like(w)
    for i in range(kh):
        for j in range(kw):
            window = xp[:, i:i + height, j:j + width, :]
            dw[i, j] = np.tensordot(window, dy, axes=([0, 1, 2], [0, 1, 2]))
            dxp[:, i:i + height, j:j + width, :] += dy @ w[i, j].T
    dx = dxp[:, ph:ph + height, pw:pw + width, :]
    return dx, dw, dy.sum(axis=(0, 1, 2))


def maxpool2_forward(x):
    batch, height, width, channels = x.shape
    windows = x.reshape(batch, height // 2, 2, width // 2, 2, channels)
    windows = windows.transpose(0, 1, 3, 5, 2, 4).reshape(
        batch, height // 2, width // 2, channels, 4)
    first = windows.argmax(axis=-1)  # first maximum in (row, col) order
    return windows.max(axis=-1), first


def maxpool2_backward(dy, first, x_shape):
    batch, height, width, channels = x_shape
    grads = np.zeros(dy.shape + (4,), dtype=dy.dtype)
    np.put_along_axis(grads, first[..., None], dy[..., None], axis=-1)
    grads = grads.reshape(batch, height // 2, width // 2, channels, 2, 2)
    return grads.transpose(0, 1, 4, 2, 5, 3).reshape(x_shape)


def softmax_cross_entropy(logits, labels):
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    batch = logits.shape[0]
    loss = -log_probs[np.arange(batch), labels].mean()
    grad = np.exp(log_probs)
    grad[np.arange(batch), labels] -= 1.0
    return loss, grad / batch


# ---- workloads: loss and gradients for one batch ----

def mlp_step(params, names, x, labels):
    """names: [(kernel, bias), ...]; ReLU after every layer but the last."""
    h = x.reshape(x.shape[0], -1)
    caches = []
    for index, (kernel, bias) in enumerate(names):
        pre, cache = dense_forward(h, params[kernel], params[bias])
        last = index == len(names) - 1
        h = pre if last else relu_forward(pre)
        caches.append((cache, h, last))
    loss, dy = softmax_cross_entropy(h, labels)
    grads = {}
    for (kernel, bias), (cache, out, last) in zip(reversed(names),
                                                  reversed(caches)):
        if not last:
            dy = relu_backward(dy, out)
        dy, grads[kernel], grads[bias] = dense_backward(dy, cache, params[kernel])
    return loss, grads


def cnn_step(params, x, labels):
    x = x.reshape(x.shape[0], 28, 28, 1)
    c1, xp1 = conv_same_forward(x, params["conv2d_1/kernel"], params["conv2d_1/bias"])
    r1 = relu_forward(c1)
    p1, arg1 = maxpool2_forward(r1)
    c2, xp2 = conv_same_forward(p1, params["conv2d_2/kernel"], params["conv2d_2/bias"])
    r2 = relu_forward(c2)
    p2, arg2 = maxpool2_forward(r2)
    flat = p2.reshape(p2.shape[0], -1)
    d1, cache1 = dense_forward(flat, params["dense_1/kernel"], params["dense_1/bias"])
    h1 = relu_forward(d1)
    logits, cache2 = dense_forward(h1, params["dense_2/kernel"], params["dense_2/bias"])
    loss, dy = softmax_cross_entropy(logits, labels)
    g = {}
    dy, g["dense_2/kernel"], g["dense_2/bias"] = dense_backward(
        dy, cache2, params["dense_2/kernel"])
    dy = relu_backward(dy, h1)
    dy, g["dense_1/kernel"], g["dense_1/bias"] = dense_backward(
        dy, cache1, params["dense_1/kernel"])
    dy = maxpool2_backward(dy.reshape(p2.shape), arg2, r2.shape)
    dy = relu_backward(dy, r2)
    dy, g["conv2d_2/kernel"], g["conv2d_2/bias"] = conv_same_backward(
        dy, xp2, params["conv2d_2/kernel"], p1.shape)
    dy = maxpool2_backward(dy, arg1, r1.shape)
    dy = relu_backward(dy, r1)
    _, g["conv2d_1/kernel"], g["conv2d_1/bias"] = conv_same_backward(
        dy, xp1, params["conv2d_1/kernel"], x.shape)
    return loss, g


WORKLOADS = {
    "w0": lambda p, x, y: mlp_step(
        p, [("dense_1/kernel", "dense_1/bias"), ("dense_2/kernel", "dense_2/bias")], x, y),
    "w1": lambda p, x, y: mlp_step(
        p, [("dense_1/kernel", "dense_1/bias"), ("dense_2/kernel", "dense_2/bias"),
            ("dense_3/kernel", "dense_3/bias")], x, y),
    "w2": cnn_step,
}


class Optimizer:
    """torch.optim.SGD / Adam update rules for a dict of parameters."""

    def __init__(self, kind, lr, momentum=0.0, nesterov=False, weight_decay=0.0,
                 beta1=0.9, beta2=0.999, eps=1e-8):
        self.kind, self.lr, self.momentum, self.nesterov = kind, lr, momentum, nesterov
        self.weight_decay, self.beta1, self.beta2, self.eps = weight_decay, beta1, beta2, eps
        self.state, self.step = {}, 0

    def load_state(self, weights, names):
        """Takes the slots and step counter attune saved beside `names`."""
        self.step = int(weights["optimizer/step"])
        for name in names:
            if self.kind == "adam":
                self.state[name] = (weights[name + "/adam/m"],
                                    weights[name + "/adam/v"])
            elif self.momentum != 0.0 and self.step > 0:
                self.state[name] = weights[name + "/sgd/momentum"]

    def apply(self, params, grads):
        self.step += 1
        for name, grad in grads.items():
            p = params[name]
            g = grad + self.weight_decay * p
            if self.kind == "adam":
                m, v = self.state.get(name, (np.zeros_like(p), np.zeros_like(p)))
                m = self.beta1 * m + (1 - self.beta1) * g
                v = self.beta2 * v + (1 - self.beta2) * g * g
                self.state[name] = (m, v)
                bc1 = 1 - self.beta1 ** self.step
                bc2 = 1 - self.beta2 ** self.step
                params[name] = p - (self.lr / bc1) * m / (np.sqrt(v) / np.sqrt(bc2) + self.eps)
            else:
                if self.momentum != 0.0:
                    buf = self.state.get(name)
                    buf = g if buf is None else self.momentum * buf + g
                    self.state[name] = buf
                    g = g + self.momentum * buf if self.nesterov else buf
                params[name] = p - self.lr * g


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workload", choices=sorted(WORKLOADS), required=True)
    parser.add_argument("--weights", required=True)
    parser.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    parser.add_argument("--batch-size", type=int, required=True)
    parser.add_argument("--steps", type=int, required=True)
    parser.add_argument("--optimizer", choices=["sgd", "momentum", "nesterov", "adam"],
                        required=True)
    parser.add_argument("--learning-rate", type=float, required=True)
    parser.add_argument("--momentum", type=float, default=0.9)
    parser.add_argument("--out")
    parser.add_argument("--resync", metavar="SNAPSHOTS",
                        help="start every step from attune's saved state")
    parser.add_argument("--float32", action="store_true",
                        help="compute in float32 instead of float64")
    args = parser.parse_args()
    global FLOAT
    if args.float32:
        FLOAT = np.float32

    params = load_weights(args.weights)
    trainable = sorted(n for n in params
                       if n.endswith("/kernel") or n.endswith("/bias"))
    images = read_idx(os.path.join(args.data, "train-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(args.data, "train-labels-idx1-ubyte.gz"))
    kind = "adam" if args.optimizer == "adam" else "sgd"
    momentum = 0.0 if args.optimizer == "sgd" else args.momentum
    optimizer = Optimizer(kind, args.learning_rate, momentum=momentum,
                          nesterov=args.optimizer == "nesterov")
    step_fn = WORKLOADS[args.workload]
    rows = []
    for step in range(args.steps):
        begin = step * args.batch_size
        x = (images[begin:begin + args.batch_size].astype(np.float32) / 255.0).astype(FLOAT)
        y = labels[begin:begin + args.batch_size].astype(np.int64)
        if args.resync:
            before = os.path.join(args.resync,
                                  f"step_{step}" if step else "initial")
            saved = load_weights(before)
            params = {n: saved[n] for n in trainable}
            optimizer.load_state(saved, trainable)
        loss, grads = step_fn(params, x, y)
        optimizer.apply(params, grads)
        error = None
        if args.resync:
            after = load_weights(os.path.join(args.resync, f"step_{step + 1}"))
            error = max(np.abs(params[n] - after[n]).max() /
                        max(np.abs(after[n]).max(), 1e-30) for n in trainable)
        rows.append((step + 1, loss, error))
    out = open(args.out, "w") if args.out else sys.stdout
    out.write("step,loss,weight_error\n" if args.resync else "step,loss\n")
    for step, loss, error in rows:
        out.write(f"{step},{loss:.10g}" +
                  (f",{error:.3e}\n" if error is not None else "\n"))


if __name__ == "__main__":
    main()

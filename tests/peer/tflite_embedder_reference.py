#!/usr/bin/python3
"""Independent float64 reference of a TFLite CNN (the MobileNetV2-0.35-96
embedder, and the uint8 MobileNetV2-1.0-224 classifier through
tflite_classifier_reference.py): parses the .tflite with its own minimal
FlatBuffers reading, dequantizes the weights (int8 per-channel, uint8
per-tensor, int32 biases: scale * (q - zero_point)) and runs the graph in
numpy float64; activations are not requantized. The caller feeds the input
already in float. Ops: CONV_2D, DEPTHWISE_CONV_2D, AVERAGE_POOL_2D (VALID),
ADD, MUL, SUB, RESHAPE, SOFTMAX. Shares no code with attune.

usage: tflite_embedder_reference.py MODEL.tflite INPUT.npy OUTPUT.npy
  [--compare ATTUNE_OUTPUT.npy --tolerance REL]
Writes the reference output; with --compare, exits 1 unless
max|attune - reference| <= REL * max|reference|.
"""
import argparse
import struct
import sys

import numpy as np


class Table:
    """A FlatBuffers table: field i lives at vtable slot 4 + 2 i."""

    def __init__(self, buf, pos):
        self.buf, self.pos = buf, pos
        vtable = pos - struct.unpack_from("<i", buf, pos)[0]
        self.vt, self.vt_len = vtable, struct.unpack_from("<H", buf, vtable)[0]

    def _field(self, i):
        slot = 4 + 2 * i
        if slot >= self.vt_len:
            return 0
        return struct.unpack_from("<H", self.buf, self.vt + slot)[0]

    def scalar(self, i, fmt, default=0):
        off = self._field(i)
        return struct.unpack_from("<" + fmt, self.buf, self.pos + off)[0] if off else default

    def _indirect(self, i):
        off = self._field(i)
        if not off:
            return None
        p = self.pos + off
        return p + struct.unpack_from("<I", self.buf, p)[0]

    def table(self, i):
        p = self._indirect(i)
        return Table(self.buf, p) if p is not None else None

    def vector(self, i, fmt):
        p = self._indirect(i)
        if p is None:
            return []
        n = struct.unpack_from("<I", self.buf, p)[0]
        return list(struct.unpack_from("<%d%s" % (n, fmt), self.buf, p + 4))

    def bytes(self, i):
        p = self._indirect(i)
        if p is None:
            return b""
        n = struct.unpack_from("<I", self.buf, p)[0]
        return self.buf[p + 4:p + 4 + n]

    def tables(self, i):
        p = self._indirect(i)
        if p is None:
            return []
        n = struct.unpack_from("<I", self.buf, p)[0]
        out = []
        for k in range(n):
            q = p + 4 + 4 * k
            out.append(Table(self.buf, q + struct.unpack_from("<I", self.buf, q)[0]))
        return out


NP_TYPES = {0: np.float32, 2: np.int32, 3: np.uint8, 4: np.int64, 9: np.int8}


def tensor_value(model, t):
    """Constant data of tensor table t as float64 (dequantized), or None."""
    buffers = model.tables(4)
    data = buffers[t.scalar(2, "I")].bytes(0)
    if not data:
        return None
    shape = t.vector(0, "i")
    arr = np.frombuffer(data, dtype=NP_TYPES[t.scalar(1, "b")]).reshape(shape)
    q = t.table(4)
    scale = q.vector(2, "f") if q else []
    if not scale or arr.dtype == np.float32:
        return arr.astype(np.float64)
    zero = q.vector(3, "q") or [0] * len(scale)
    axis = q.scalar(6, "i")
    bshape = [1] * arr.ndim
    if len(scale) > 1:
        bshape[axis] = len(scale)
    s = np.array(scale, np.float64).reshape(bshape)
    z = np.array(zero, np.float64).reshape(bshape)
    return s * (arr.astype(np.float64) - z)


def same_pads(size, k, s, d=1):
    out = -(-size // s)
    total = max((out - 1) * s + (k - 1) * d + 1 - size, 0)
    return out, total // 2, total - total // 2


def window(x, kh, kw, sh, sw, padding, dh=1, dw=1):
    """Patches [b, oh, ow, kh, kw, c] of NHWC x (zero padded for SAME)."""
    b, h, w, c = x.shape
    if padding == 0:  # SAME
        oh, top, bottom = same_pads(h, kh, sh, dh)
        ow, left, right = same_pads(w, kw, sw, dw)
        x = np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)))
    else:
        oh = (h - (kh - 1) * dh - 1) // sh + 1
        ow = (w - (kw - 1) * dw - 1) // sw + 1
    out = np.empty((b, oh, ow, kh, kw, c))
    for i in range(kh):
        for j in range(kw):
            out[:, :, :, i, j, :] = x[:, i * dh:i * dh + (oh - 1) * sh + 1:sh,
                                      j * dw:j * dw + (ow - 1) * sw + 1:sw, :]
    return out


def activation(x, act):
    if act == 1:
        return np.maximum(x, 0)
    if act == 3:
        return np.clip(x, 0, 6)
    if act == 0:
        return x
    raise ValueError("activation %d" % act)


def run(path, x):
    buf = open(path, "rb").read()
    assert buf[4:8] == b"TFL3", "not a TFLite file"
    model = Table(buf, struct.unpack_from("<I", buf, 0)[0])
    codes = [max(c.scalar(0, "b"), c.scalar(3, "i")) for c in model.tables(1)]
    sg = model.tables(2)[0]
    tensors = sg.tables(0)
    values = {}
    (inp,) = sg.vector(1, "i")
    values[inp] = x.astype(np.float64)

    def get(i):
        if i not in values:
            values[i] = tensor_value(model, tensors[i])
        return values[i]

    for op in sg.tables(3):
        code = codes[op.scalar(0, "I")]
        ins, (out,) = op.vector(1, "i"), op.vector(2, "i")
        opt = op.table(4)
        if code == 3:  # CONV_2D: filter [o, kh, kw, i]
            w, b = get(ins[1]), get(ins[2])
            p = window(get(ins[0]), w.shape[1], w.shape[2], opt.scalar(2, "i"),
                       opt.scalar(1, "i"), opt.scalar(0, "b"),
                       opt.scalar(5, "i", 1), opt.scalar(4, "i", 1))
            y = np.einsum("bhwijc,oijc->bhwo", p, w) + b
            values[out] = activation(y, opt.scalar(3, "b"))
        elif code == 4:  # DEPTHWISE_CONV_2D: filter [1, kh, kw, c*m]
            x_, w, b = get(ins[0]), get(ins[1]), get(ins[2])
            c = x_.shape[3]
            m = w.shape[3] // c
            p = window(x_, w.shape[1], w.shape[2], opt.scalar(2, "i"),
                       opt.scalar(1, "i"), opt.scalar(0, "b"),
                       opt.scalar(6, "i", 1), opt.scalar(5, "i", 1))
            wk = w[0].reshape(w.shape[1], w.shape[2], c, m)
            y = np.einsum("bhwijc,ijcm->bhwcm", p, wk).reshape(
                p.shape[0], p.shape[1], p.shape[2], c * m) + b
            values[out] = activation(y, opt.scalar(4, "b"))
        elif code == 1:  # AVERAGE_POOL_2D (VALID in this model)
            assert opt.scalar(0, "b") == 1, "only VALID pooling"
            p = window(get(ins[0]), opt.scalar(4, "i"), opt.scalar(3, "i"),
                       opt.scalar(2, "i"), opt.scalar(1, "i"), 1)
            values[out] = activation(p.mean(axis=(3, 4)), opt.scalar(5, "b"))
        elif code in (0, 18, 41):  # ADD, MUL, SUB
            a, b = get(ins[0]), get(ins[1])
            y = a + b if code == 0 else (a * b if code == 18 else a - b)
            values[out] = activation(y, opt.scalar(0, "b") if opt else 0)
        elif code == 25:  # SOFTMAX over the last axis: exp(beta x) / sum
            z = get(ins[0]) * opt.scalar(0, "f", 1.0)
            e = np.exp(z - z.max(axis=-1, keepdims=True))
            values[out] = e / e.sum(axis=-1, keepdims=True)
        elif code == 22:  # RESHAPE
            values[out] = get(ins[0]).reshape(
                [int(v) for v in tensor_value(model, tensors[ins[1]])])
        else:
            raise ValueError("op code %d not in this reference" % code)
    (result,) = sg.vector(2, "i")
    return values[result]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("model")
    parser.add_argument("input")
    parser.add_argument("output")
    parser.add_argument("--compare")
    parser.add_argument("--tolerance", type=float, default=1e-4)
    args = parser.parse_args()
    ref = run(args.model, np.load(args.input))
    np.save(args.output, ref)
    if args.compare:
        got = np.load(args.compare).astype(np.float64)
        if got.shape != ref.shape:
            print("shape %s != reference %s" % (got.shape, ref.shape))
            return 1
        err = np.abs(got - ref).max()
        largest = np.abs(ref).max()
        print("max |attune - reference| = %.3g, largest |reference| = %.4g, "
              "ratio %.3g (tolerance %g)" % (err, largest, err / largest,
                                             args.tolerance))
        return 0 if err <= args.tolerance * largest else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

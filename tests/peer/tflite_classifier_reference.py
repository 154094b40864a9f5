#!/usr/bin/python3
"""Photos through a quantized TFLite image classifier: attune against the
independent float64 numpy reference of the same graph
(tflite_embedder_reference.run: weights and int32 biases dequantized,
activations kept in float).

The reference does its own preprocessing: it decodes each photo with Pillow
(Debian python3-pil, libpng/libjpeg; attune uses stb_image), converts it to
RGB (grey replicated), resizes the whole image bilinearly to the model's
input size with TensorFlow 2's convention (half-pixel centers: source
coordinate (dst + 0.5) * in / out - 0.5, clamped to [0, in - 1]; no
antialiasing; not rounded), which is attune's data/image ResizeBilinear, and
maps pixels to floats with the input tensor's own quantization
(scale * (pixel - zero_point)).

usage: tflite_classifier_reference.py MODEL.tflite LABELS.txt
  --case IMAGE ATTUNE_INPUT.npy ATTUNE_PROBS.npy [--case ...]
  [--input-tolerance LEVELS] [--graph-tolerance P] [--photo-tolerance P]
  [--jpeg-input-tolerance LEVELS] [--jpeg-photo-tolerance P]

Per photo it prints attune's and the reference's top-1 (label, probability),
the top-5 overlap, and three differences:
  input  max |attune input - reference input| in pixel levels;
  graph  max |attune probs - reference probs| on attune's own input (the
         graph alone);
  photo  max |attune probs - reference probs| on the reference's input
         (decoder and resize included).
Exits 1 unless every photo has the same top-1 on both sides, the same top-5
set on the graph check, and each difference is within its tolerance. JPEG
photos get their own input and photo tolerances: JPEG decoders may differ
(IDCT precision, chroma upsampling), so stb_image and libjpeg give slightly
different pixels; lossless formats (PNG, BMP) decode identically.
"""
import argparse
import os
import struct
import sys

import numpy as np
from PIL import Image

import tflite_embedder_reference as ref


def resize_bilinear(image, height, width):
    """float64 [height, width, c] from [h, w, c], half-pixel centers."""
    in_h, in_w = image.shape[:2]

    def axis(out, size):
        f = np.clip((np.arange(out) + 0.5) * size / out - 0.5, 0, size - 1)
        i0 = np.floor(f).astype(np.int64)
        return i0, np.minimum(i0 + 1, size - 1), f - i0

    y0, y1, dy = axis(height, in_h)
    x0, x1, dx = axis(width, in_w)
    img = image.astype(np.float64)
    dx = dx[None, :, None]
    top = img[y0][:, x0] * (1 - dx) + img[y0][:, x1] * dx
    bottom = img[y1][:, x0] * (1 - dx) + img[y1][:, x1] * dx
    dy = dy[:, None, None]
    return top * (1 - dy) + bottom * dy


def input_spec(path):
    """(shape, scale, zero_point) of the model's single input tensor."""
    buf = open(path, "rb").read()
    model = ref.Table(buf, struct.unpack_from("<I", buf, 0)[0])
    sg = model.tables(2)[0]
    (inp,) = sg.vector(1, "i")
    t = sg.tables(0)[inp]
    q = t.table(4)
    (scale,) = q.vector(2, "f")
    (zero,) = q.vector(3, "q")
    return t.vector(0, "i"), scale, zero


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("model")
    parser.add_argument("labels")
    parser.add_argument("--case", nargs=3, action="append", required=True,
                        metavar=("IMAGE", "ATTUNE_INPUT", "ATTUNE_PROBS"))
    # Defaults: 10x the largest difference measured on models/images (see
    # tests/peer/README.md); float32 against float64 for the graph.
    parser.add_argument("--input-tolerance", type=float, default=1e-4)
    parser.add_argument("--graph-tolerance", type=float, default=1e-5)
    parser.add_argument("--photo-tolerance", type=float, default=1e-5)
    parser.add_argument("--jpeg-input-tolerance", type=float, default=20)
    parser.add_argument("--jpeg-photo-tolerance", type=float, default=0.03)
    args = parser.parse_args()
    labels = open(args.labels).read().splitlines()
    shape, scale, zero = input_spec(args.model)
    height, width = shape[1], shape[2]
    print("| photo | attune top-1 | reference top-1 | agree | top-5 overlap "
          "| input diff (levels) | graph diff | photo diff |")
    print("|---|---|---|---|---|---|---|---|")
    failures = []
    for image_path, attune_input, attune_probs in args.case:
        name = os.path.basename(image_path)
        pixels = np.asarray(Image.open(image_path).convert("RGB"))
        x = scale * (resize_bilinear(pixels, height, width)[None] - zero)
        got_x = np.load(attune_input).astype(np.float64)
        got = np.load(attune_probs).astype(np.float64)[0]
        if got_x.shape != x.shape or got.shape != (len(labels),):
            failures.append("%s: shapes input %s probs %s, expected %s and "
                            "(%d,)" % (name, got_x.shape, got.shape, x.shape,
                                       len(labels)))
            continue
        want = ref.run(args.model, x)[0]
        graph = ref.run(args.model, got_x)[0]
        input_diff = np.abs(got_x - x).max() / scale
        graph_diff = np.abs(got - graph).max()
        photo_diff = np.abs(got - want).max()
        top5 = lambda p: set(np.argsort(-p)[:5])
        overlap = len(top5(got) & top5(want))
        a, r = int(got.argmax()), int(want.argmax())
        print("| %s | %s %.4f | %s %.4f | %s | %d/5 | %.2g | %.2g | %.2g |" % (
            name, labels[a], got[a], labels[r], want[r],
            "yes" if a == r else "NO", overlap, input_diff, graph_diff,
            photo_diff))
        if a != r:
            failures.append("%s: top-1 %s != reference %s" %
                            (name, labels[a], labels[r]))
        if top5(got) != top5(graph):
            failures.append("%s: top-5 differs on attune's input" % name)
        jpeg = os.path.splitext(name)[1].lower() in (".jpg", ".jpeg")
        for what, diff, tol in (
                ("input", input_diff, args.jpeg_input_tolerance
                 if jpeg else args.input_tolerance),
                ("graph", graph_diff, args.graph_tolerance),
                ("photo", photo_diff, args.jpeg_photo_tolerance
                 if jpeg else args.photo_tolerance)):
            if diff > tol:
                failures.append("%s: %s difference %.3g > tolerance %g" %
                                (name, what, diff, tol))
    for f in failures:
        print("FAIL " + f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

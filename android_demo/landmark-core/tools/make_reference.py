"""Writes the reference files of PythonReferenceTest into src/test/resources/reference/:

- sampling.json: TensorFlow's own resampling of a small synthetic image, i.e. ImageProjectiveTransformV3
  (BILINEAR, CONSTANT 0) on a float32 image with the coefficients of fld_tf.geometry.sampling_matrix,
  rounded with fld_tf.geometry.to_uint8. The Java InputTensorizer must match it bit for bit.
- geometry.json: fld_tf.geometry's square_from_box / square_from_points / square_from_image and
  decode on random inputs. The Java CropRule and LandmarkDecoder must match them bit for bit.

These are not golden vectors (no model, no real image): they pin the arithmetic the Java core copies.

Usage (from the repo root, with TensorFlow installed):
  python android_demo/landmark-core/tools/make_reference.py
"""
from __future__ import annotations

import json
import os
import sys

import numpy as np
import tensorflow as tf

sys.path.insert(0, os.getcwd())
from fld_tf import geometry  # noqa: E402

OUT_DIR = os.path.join(os.path.dirname(__file__), "..", "src", "test", "resources", "reference")
WIDTH, HEIGHT = 37, 29
# (cx, cy, side, size): inside, zoomed in, zoomed out past every edge, fractional, off the corner.
CASES = [
    (18.0, 14.0, 29.0, 16),
    (11.37, 17.81, 9.53, 16),
    (18.0, 14.0, 61.7, 12),
    (20.123, 9.877, 23.456, 24),
    (-3.2, 30.6, 20.9, 8),
    (30.5, 2.25, 13.0, 13),
]


def resample(image: np.ndarray, square: np.ndarray, size: int) -> np.ndarray:
    m = geometry.sampling_matrix(square, size)
    transform = tf.constant(m.reshape(-1)[:8][None], tf.float32)
    out = tf.raw_ops.ImageProjectiveTransformV3(
        images=tf.constant(image[None], tf.float32), transforms=transform,
        output_shape=tf.constant([size, size], tf.int32), fill_value=tf.constant(0.0),
        interpolation="BILINEAR", fill_mode="CONSTANT")
    return geometry.to_uint8(out.numpy()[0])


def sampling_doc(rng: np.random.Generator) -> dict:
    image = rng.integers(0, 256, (HEIGHT, WIDTH, 3), dtype=np.uint8)
    cases = []
    for cx, cy, side, size in CASES:
        square = np.array([cx, cy, side], np.float32)
        m = geometry.sampling_matrix(square, size)
        cases.append({"square": [float(v) for v in square], "size": size,
                      "transform": [float(v) for v in m.reshape(-1)[:8].astype(np.float32)],
                      "input_uint8": resample(image, square, size).reshape(-1).tolist()})
    return {"tensorflow": tf.__version__, "width": WIDTH, "height": HEIGHT,
            "image_rgb": image.reshape(-1).tolist(), "cases": cases}


def geometry_doc(rng: np.random.Generator, count: int = 20) -> dict:
    scale, shift = 2.87, (0.033, 0.052)
    box_scale, box_shift = 1.61, (0.028, 0.039)
    cases = []
    for _ in range(count):
        points = rng.uniform(0, 640, (5, 2)).astype(np.float32)
        x0, y0 = rng.uniform(0, 400, 2).astype(np.float32)
        w, h = rng.uniform(20, 300, 2).astype(np.float32)
        box = np.array([x0, y0, x0 + w, y0 + h], np.float32)
        size = int(rng.choice([64, 96, 112, 128]))
        normalised = rng.uniform(-0.1, 1.1, (5, 2)).astype(np.float32)
        square = geometry.square_from_points(points, scale, shift)
        cases.append({
            "points": points.reshape(-1).tolist(), "box": box.tolist(),
            "image_size": [int(v) for v in rng.integers(1, 2000, 2)],
            "size": size, "model_output": normalised.reshape(-1).tolist(),
            "square_from_points": square.tolist(),
            "square_from_box": geometry.square_from_box(box, box_scale, box_shift).tolist(),
            "decoded": geometry.decode(normalised, square, size).reshape(-1).tolist()})
    for case in cases:
        case["square_from_image"] = geometry.square_from_image(*case["image_size"]).tolist()
    return {"crop": {"landmark_scale": scale, "landmark_shift": list(shift),
                     "box_scale": box_scale, "box_shift": list(box_shift)}, "cases": cases}


def write(name: str, doc: dict) -> None:
    path = os.path.join(OUT_DIR, name)
    os.makedirs(OUT_DIR, exist_ok=True)
    with open(path + ".tmp", "w") as f:
        json.dump(doc, f, separators=(",", ":"))
    os.replace(path + ".tmp", path)
    print(f"wrote {os.path.normpath(path)}")


def main() -> int:
    rng = np.random.default_rng(5)
    write("sampling.json", sampling_doc(rng))
    write("geometry.json", geometry_doc(rng))
    return 0


if __name__ == "__main__":
    sys.exit(main())

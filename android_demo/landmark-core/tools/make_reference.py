"""Writes the Python-made reference files of the Java tests into src/test/resources/:

reference/ (PythonReferenceTest):

- sampling.json: TensorFlow's own resampling of a small synthetic image, i.e. ImageProjectiveTransformV3
  (BILINEAR, CONSTANT 0) on a float32 image with the coefficients of fld_tf.geometry.sampling_matrix,
  rounded with fld_tf.geometry.to_uint8. The Java InputTensorizer must match it bit for bit.
- geometry.json: fld_tf.geometry's square_from_box / square_from_points / square_from_image and
  decode on random inputs. The Java CropRule and LandmarkDecoder must match them bit for bit.

- tracking.json (TrackingReferenceTest; no TensorFlow): fld_tf.tracking's `TRACKING.to_dict()` (the
  card's `tracking` section, whose defaults ModelCard.Tracking.DEFAULTS must equal), its One-Euro
  filter on a random walk of 5 points of a face whose crop side changes, and its FaceTracker on a
  sequence of frames with detections, misses, jumps and small steps (needs_detection, the chosen crop,
  update, the tracked crop per frame). OneEuroFilter and FaceTracker must give the same.
  tests/test_android_core.py checks that the committed file equals what fld_tf.tracking gives now.

cards/ (ModelCardTest, ContourTest, FaceFilterAnchorsTest, FaceLandmarkerTest):
- ibug68_int8.json: a 68-point card as fld_tf.model_card would write it, built from
  fld_tf.schemes (names, contours, subset5, crop defaults) on the shipped int8 card's input and
  output keys. tests/test_android_core.py checks that it still equals what fld_tf.schemes says.

These are not golden vectors (no model, no real image): they pin the arithmetic the Java core copies
and the card keys it reads.

Usage (from the repo root; the reference/ files need TensorFlow):
  python android_demo/landmark-core/tools/make_reference.py            # everything
  python android_demo/landmark-core/tools/make_reference.py --cards    # only the cards and tracking.json
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import sys

import numpy as np

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
sys.path.insert(0, REPO)
from fld_tf import geometry, schemes, tracking  # noqa: E402

RESOURCES = os.path.join(os.path.dirname(__file__), "..", "src", "test", "resources")
OUT_DIR = os.path.join(RESOURCES, "reference")
CARD_DIR = os.path.join(RESOURCES, "cards")
# The shipped models, wherever the repo keeps them.
MODEL_DIRS = (os.path.join(REPO, "fld_tf", "models"), os.path.join(REPO, "models"))
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
    import tensorflow as tf  # only the sampling reference needs it

    m = geometry.sampling_matrix(square, size)
    transform = tf.constant(m.reshape(-1)[:8][None], tf.float32)
    out = tf.raw_ops.ImageProjectiveTransformV3(
        images=tf.constant(image[None], tf.float32), transforms=transform,
        output_shape=tf.constant([size, size], tf.int32), fill_value=tf.constant(0.0),
        interpolation="BILINEAR", fill_mode="CONSTANT")
    return geometry.to_uint8(out.numpy()[0])


def sampling_doc(rng: np.random.Generator) -> dict:
    import tensorflow as tf

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


def _floats(values) -> list:
    return [float(v) for v in np.asarray(values).reshape(-1)]


def tracking_doc(seed: int = 11) -> dict:
    """fld_tf.tracking on fixed synthetic inputs, for TrackingReferenceTest (deterministic: `seed`)."""
    rng = np.random.default_rng(seed)
    face = np.array([[30, 40], [70, 40], [50, 60], [35, 80], [65, 80]], np.float64)
    custom = tracking.TrackingConfig(min_cutoff_hz=0.5, beta=7.0, d_cutoff_hz=2.0, redetect_every=4,
                                     max_side_change=1.6, max_shift=0.3, crop_hold=0.02)
    filters = []
    for cfg in (tracking.TRACKING, custom):
        f = tracking.OneEuroFilter.from_config(cfg)
        steps, centre, times = [], np.zeros(2), np.cumsum(np.r_[0.0, rng.uniform(0.02, 0.05, 39)])
        times[20] = times[19]  # a repeated timestamp: the previous output again
        for i, t in enumerate(times):
            centre += rng.normal(0, 3, 2) if i < 20 else (6.0, -2.0)  # jitter, then a slide
            side = 110.0 + 40.0 * i / len(times)
            points = (face + centre + rng.normal(0, 0.8, face.shape)).astype(np.float32)
            out = f(points, float(t), side)
            steps.append({"points": _floats(points), "time": float(t), "scale": side, "out": _floats(out)})
        filters.append({"tracking": cfg.to_dict(), "steps": steps})

    crop = schemes.get_scheme("mtfl5").crop
    box_rule = (1.61, (0.023, 0.034))
    box_square = lambda box: geometry.square_from_box(box, *box_rule)  # noqa: E731
    trackers = []
    for cfg in (tracking.TRACKING, custom):
        t = tracking.FaceTracker(crop, box_square, cfg)
        frames, centre = [], np.array([200.0, 150.0])
        for i in range(40):
            centre += rng.normal(0, 0.6, 2) if i % 13 else rng.normal(0, 25, 2)  # small steps, now and then a jump
            points = (face - face.mean(0) + centre + rng.normal(0, 0.5, face.shape)).astype(np.float32)
            detection = None if i in (8, 9, 10) else (np.r_[centre - 50, centre + 50] + rng.normal(0, 2, 4)).astype(np.float32)
            if i in (21, 31):
                detection = np.array([500, 100, 600, 220], np.float32)  # a face elsewhere
            ran = t.needs_detection()
            box = detection if ran else None
            square = t.choose_crop(box, ran)
            frame = {"detection": None if detection is None else _floats(detection), "points": _floats(points),
                     "needs_detection": ran, "crop": None if square is None else _floats(square)}
            if square is not None:
                frame["update"] = t.update(points, square)
            frame["tracked"] = None if t.tracked is None else _floats(t.tracked)
            frames.append(frame)
        trackers.append({"tracking": cfg.to_dict(), "frames": frames})
    return {"defaults": tracking.TRACKING.to_dict(),
            "crop": {"landmark_scale": crop.landmark_scale, "landmark_shift": list(crop.landmark_shift),
                     "box_scale": box_rule[0], "box_shift": list(box_rule[1])},
            "filters": filters, "trackers": trackers}


def shipped_int8_card() -> dict:
    for folder in MODEL_DIRS:
        found = sorted(glob.glob(os.path.join(folder, "*mtfl5*.int8.json")))
        if found:
            with open(found[0], encoding="utf-8") as f:
                return json.load(f)
    raise SystemExit(f"error: no shipped *mtfl5*.int8.json card in {' or '.join(MODEL_DIRS)}")


def scheme_card(scheme_name: str) -> dict:
    """A card for a model of `scheme_name` on the shipped card's input, as fld_tf.model_card builds it."""
    scheme = schemes.get_scheme(scheme_name)
    base = shipped_int8_card()
    name = base["name"].replace("mtfl5", scheme.name)
    crop = scheme.crop
    return {
        "format": base["format"], "version": base["version"], "name": name, "variant": "int8",
        "model_file": f"{name}.int8.tflite", "input": base["input"],
        "output": {**base["output"], "shape": [1, 2 * scheme.num_points]},
        "scheme": scheme.to_dict(),
        "crop": {**base["crop"], "landmark_scale": crop.landmark_scale, "landmark_shift": list(crop.landmark_shift),
                 "box_scale": crop.box_scale, "box_shift": list(crop.box_shift)},
        "metrics": {}, "source_run": "android_demo/landmark-core/tools/make_reference.py (test card, no model)",
    }


def write(path: str, doc: dict, compact: bool = True) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path + ".tmp", "w", encoding="utf-8") as f:
        json.dump(doc, f, separators=(",", ":") if compact else None, indent=None if compact else 1)
    os.replace(path + ".tmp", path)
    print(f"wrote {os.path.relpath(path)}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cards", action="store_true", help="write only the cards (no TensorFlow needed)")
    args = parser.parse_args(argv)
    write(os.path.join(CARD_DIR, "ibug68_int8.json"), scheme_card("ibug68"), compact=False)
    write(os.path.join(OUT_DIR, "tracking.json"), tracking_doc())
    if not args.cards:
        rng = np.random.default_rng(5)
        write(os.path.join(OUT_DIR, "sampling.json"), sampling_doc(rng))
        write(os.path.join(OUT_DIR, "geometry.json"), geometry_doc(rng))
    return 0


if __name__ == "__main__":
    sys.exit(main())

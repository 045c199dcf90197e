"""Measures the box rule of MediaPipe's BlazeFace short-range detector (the phone's face detector).

Usage (MediaPipe lives in a benchmark-only virtualenv, never a project dependency; fld_tf's readers
and geometry need only numpy there):
  python -m venv ../venv-mp && ../venv-mp/bin/pip install mediapipe==0.10.21
  PYTHONPATH=. ../venv-mp/bin/python benchmarks/calibrate_blazeface.py --data-root ../shared/data
  PYTHONPATH=. ../venv-mp/bin/python benchmarks/calibrate_blazeface.py --data-root ../shared/data --limit 300

It runs the `face_detection_short_range.tflite` that the mediapipe wheel ships (the model the app
bundles as `blaze_face_short_range.tflite`) through MediaPipe Tasks' FaceDetector, as the app does
(IMAGE mode, min confidence 0.5, integer pixel boxes), on real faces: the HELEN testset photos (68
points) and the CUHK test images (5 points). Per face it keeps the largest detection holding the
annotated face (the centre of its landmarks) and relates its box, in fld_tf.geometry's pixel
convention, to the square that the scheme's LANDMARK rule (fld_tf.schemes crop defaults, as in
every model card) cuts around the annotated points: side / box width, and the centre offset from
the box centre in box widths, as benchmarks/calibrate_detector.py does for the Haar cascade. The
pooled medians are the rule (`fld_tf.detect.BOX_RULES["blazeface_short_range"]`, carried by the
card's `crop.detectors`); the percentiles and the residual error show what one landmark re-crop
(the app's tracking from the second frame on) has to absorb.
"""
import argparse
import os
import sys
import time

import numpy as np

from fld_tf import geometry, schemes
from fld_tf.data.readers import read_list

MODEL = os.path.join("modules", "face_detection", "face_detection_short_range.tflite")
MIN_CONFIDENCE = 0.5  # FaceBoxDetector.MIN_CONFIDENCE in the app
# (name, list or folder, format, scheme): HELEN test photos (68 points), CUHK test faces (5 points).
SOURCES = (("helen68 testset", ("helen68", "testset"), "pts", "ibug68"),
           ("cuhk test", ("mtfl", "cuhk", "testImageList.txt"), "cuhk", "mtfl5"))


def build_detector():
    """MediaPipe Tasks' FaceDetector on the wheel's short-range model; exits with one line if absent."""
    try:
        import mediapipe as mp
        from mediapipe.tasks.python import BaseOptions, vision
    except ImportError:
        raise SystemExit("error: mediapipe is not importable here; run this with the benchmark virtualenv "
                         "(see the usage above)") from None
    path = os.path.join(os.path.dirname(mp.__file__), MODEL)
    if not os.path.isfile(path):
        raise SystemExit(f"error: {path}: not in this mediapipe wheel (use mediapipe==0.10.21)")
    options = vision.FaceDetectorOptions(base_options=BaseOptions(model_asset_path=path),
                                         min_detection_confidence=MIN_CONFIDENCE)
    return mp, vision.FaceDetector.create_from_options(options), path


def detect_face(mp, detector, image_path: str, points: np.ndarray):
    """`(box (4,) in our convention, score)` of the largest detection holding the face, or None."""
    import cv2

    bgr = cv2.imread(image_path, cv2.IMREAD_COLOR)
    if bgr is None:
        raise SystemExit(f"error: {image_path}: cannot read image")
    rgb = np.ascontiguousarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
    result = detector.detect(mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb))
    centre = (points.min(0) + points.max(0)) / 2
    best = None
    for d in result.detections:
        b = d.bounding_box
        # MediaPipe's pixel boxes put the image edge at 0; ours put the first pixel centre there.
        box = np.array([b.origin_x, b.origin_y, b.origin_x + b.width, b.origin_y + b.height], np.float64) - 0.5
        if box[0] <= centre[0] <= box[2] and box[1] <= centre[1] <= box[3]:
            if best is None or b.width * b.height > (best[0][2] - best[0][0]) * (best[0][3] - best[0][1]):
                best = (box, d.categories[0].score)
    return best


def box_relation(boxes: np.ndarray, squares: np.ndarray):
    """Per face: side / box width `(N,)` and centre shift / box width `(N, 2)`."""
    width = boxes[:, 2] - boxes[:, 0]
    shift = (squares[:, :2] - (boxes[:, :2] + boxes[:, 2:]) / 2) / width[:, None]
    return squares[:, 2] / width, shift


def percentiles(a: np.ndarray) -> str:
    p10, p50, p90 = np.percentile(a, [10, 50, 90])
    return f"{p50:.3f} (p10-p90 {p10:.3f}-{p90:.3f})"


def residuals(boxes: np.ndarray, squares: np.ndarray, scale: float, shift) -> str:
    """How far the rule's square is from the landmark square: side and centre error, % of the side."""
    rule = np.stack([geometry.square_from_box(b.astype(np.float32), scale, shift) for b in boxes])
    side = np.abs(rule[:, 2] / squares[:, 2] - 1) * 100
    centre = np.hypot(*(rule[:, :2] - squares[:, :2]).T) / squares[:, 2] * 100
    return (f"side error median {np.median(side):.1f}% (p90 {np.percentile(side, 90):.1f}%), "
            f"centre error median {np.median(centre):.1f}% of the side (p90 {np.percentile(centre, 90):.1f}%)")


def measure(mp, detector, data_root: str, limit: int):
    """Per source: `(name, total, boxes (N, 4), squares (N, 3), scores (N,), seconds)`."""
    out = []
    for name, parts, fmt, scheme_name in SOURCES:
        path = os.path.join(data_root, *parts)
        if not os.path.exists(path):
            raise SystemExit(f"error: {path}: not found (--data-root must hold helen68/ and mtfl/)")
        samples = read_list(path, fmt, scheme=scheme_name).samples
        samples = samples[:limit] if limit > 0 else samples
        crop = schemes.get_scheme(scheme_name).crop
        boxes, squares, scores = [], [], []
        start = time.perf_counter()
        for s in samples:
            found = detect_face(mp, detector, s.image_path, s.points)
            if found is not None:
                boxes.append(found[0])
                scores.append(found[1])
                squares.append(geometry.square_from_points(s.points.astype(np.float32), crop.landmark_scale,
                                                           crop.landmark_shift))
        seconds = time.perf_counter() - start
        out.append((name, len(samples), np.array(boxes).reshape(-1, 4), np.array(squares).reshape(-1, 3),
                    np.array(scores), seconds))
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-root", required=True, help="folder holding helen68/ and mtfl/ (e.g. ../shared/data)")
    parser.add_argument("--limit", type=int, default=0, help="use only the first N faces of each set (0: all)")
    args = parser.parse_args(argv)
    mp, detector, model_path = build_detector()
    print(f"detector: {model_path} ({os.path.getsize(model_path)} bytes), MediaPipe {mp.__version__} Tasks "
          f"FaceDetector, min confidence {MIN_CONFIDENCE}")
    sets = measure(mp, detector, args.data_root, args.limit)
    for name, total, boxes, squares, scores, seconds in sets:
        print(f"{name}: {len(boxes)} of {total} faces detected ({100 * len(boxes) / max(total, 1):.1f}%), "
              f"{1000 * seconds / max(total, 1):.1f} ms per image; score {percentiles(scores) if len(scores) else '-'}")
        if len(boxes):
            scale, shift = box_relation(boxes, squares)
            print(f"  box_scale {percentiles(scale)}  box_shift x {percentiles(shift[:, 0])}, "
                  f"y {percentiles(shift[:, 1])}")
    boxes = np.concatenate([s[2] for s in sets])
    squares = np.concatenate([s[3] for s in sets])
    if not len(boxes):
        print("error: the detector found no annotated face", file=sys.stderr)
        return 1
    scale, shift = box_relation(boxes, squares)
    rule_scale = round(float(np.median(scale)), 3)
    rule_shift = (round(float(np.median(shift[:, 0])), 3), round(float(np.median(shift[:, 1])), 3))
    print(f"pooled ({len(boxes)} faces): box_scale {percentiles(scale)}  box_shift x {percentiles(shift[:, 0])}, "
          f"y {percentiles(shift[:, 1])}")
    for name, _, b, s, _, _ in sets:
        if len(b):
            print(f"  rule on {name}: {residuals(b, s, rule_scale, rule_shift)}")
    print(f'fld_tf/detect.py: BOX_RULES["blazeface_short_range"] = ({rule_scale}, {rule_shift})')
    return 0


if __name__ == "__main__":
    sys.exit(main())

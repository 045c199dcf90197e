"""Measures the Haar detector's own box rule (`fld_tf.detect.BOX_RULES["haar"]`).

Usage:
  python benchmarks/calibrate_detector.py --data-root ../shared/data/mtfl
  python benchmarks/calibrate_detector.py --data-root ../shared/data/mtfl --limit 500

On the real CUHK test faces (`cuhk/testImageList.txt`), runs `fld_tf.detect.FaceDetector` on each
image and keeps the largest detection that holds the annotated face (the centre of its landmarks).
Against the square that the landmark rule (`CropConfig` defaults, as in every model card) cuts around
the annotated landmarks, it measures, as `benchmarks/calibrate_crop.py` does for the CUHK boxes:
side / box width, and the centre offset from the box centre in units of the box width. Medians are
the constants; the 10th-90th percentiles show the spread the refinement pass has to absorb. The CUHK
boxes' own numbers are printed beside them for comparison with `box_scale`/`box_shift`.
"""
import argparse
import os
import sys
import time

import cv2
import numpy as np

from fld_tf import geometry
from fld_tf.config import CropConfig
from fld_tf.data.readers import read_list
from fld_tf.detect import FaceDetector


def box_relation(boxes: np.ndarray, squares: np.ndarray):
    """Per face: side / box width `(N,)` and centre shift / box width `(N, 2)`."""
    width = boxes[:, 2] - boxes[:, 0]
    shift = (squares[:, :2] - (boxes[:, :2] + boxes[:, 2:]) / 2) / width[:, None]
    return squares[:, 2] / width, shift


def describe(name: str, scale: np.ndarray, shift: np.ndarray) -> str:
    p = lambda a, q: np.percentile(a, q)  # noqa: E731
    return (f"{name}: box_scale {np.median(scale):.3f} (p10-p90 {p(scale, 10):.2f}-{p(scale, 90):.2f})  "
            f"box_shift {np.round(np.median(shift, 0).astype(float), 3).tolist()} (x p10-p90 {p(shift[:, 0], 10):.3f}-"
            f"{p(shift[:, 0], 90):.3f}, y {p(shift[:, 1], 10):.3f}-{p(shift[:, 1], 90):.3f})")


def haar_box(detector: FaceDetector, path: str, points: np.ndarray):
    """The largest Haar box holding the centre of `points`, or None."""
    bgr = cv2.imread(path, cv2.IMREAD_COLOR)
    if bgr is None:
        raise SystemExit(f"error: {path}: cannot read image")
    centre = (points.min(0) + points.max(0)) / 2
    for d in detector.detect(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)):
        if d.box[0] <= centre[0] <= d.box[2] and d.box[1] <= centre[1] <= d.box[3]:
            return d.box
    return None


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-root", required=True, help="the MTFL folder (holds cuhk/testImageList.txt)")
    parser.add_argument("--limit", type=int, default=0, help="use only the first N faces (0: all)")
    args = parser.parse_args(argv)
    samples = read_list(os.path.join(args.data_root, "cuhk", "testImageList.txt"), "cuhk").samples
    samples = samples[:args.limit] if args.limit > 0 else samples
    crop = CropConfig.for_scheme("mtfl5")
    detector = FaceDetector()
    start = time.perf_counter()
    found, cuhk, squares = [], [], []
    for s in samples:
        box = haar_box(detector, s.image_path, s.points)
        if box is not None:
            found.append(box)
            cuhk.append(s.box)
            squares.append(geometry.square_from_points(s.points, crop.landmark_scale, crop.landmark_shift))
    seconds = time.perf_counter() - start
    print(f"{len(found)} of {len(samples)} CUHK test faces detected ({100 * len(found) / len(samples):.1f}%), "
          f"{1000 * seconds / len(samples):.1f} ms per image; landmark rule {crop.landmark_scale} "
          f"{list(crop.landmark_shift)}")
    if not found:
        print("error: the detector found no annotated face", file=sys.stderr)
        return 1
    found, cuhk, squares = np.stack(found), np.stack(cuhk), np.stack(squares)
    scale, shift = box_relation(found, squares)
    print(describe("haar", scale, shift))
    print(describe("cuhk boxes, same faces", *box_relation(cuhk, squares)))
    # How far the constants leave a face's box crop from its landmark crop: what refinement corrects.
    rule = np.stack([geometry.square_from_box(b, np.median(scale), tuple(np.median(shift, 0))) for b in found])
    side_err = np.abs(rule[:, 2] / squares[:, 2] - 1)
    centre_err = np.hypot(*(rule[:, :2] - squares[:, :2]).T) / squares[:, 2]
    print(f"haar rule vs landmark square: side error median {100 * np.median(side_err):.1f}% "
          f"(p90 {100 * np.percentile(side_err, 90):.1f}%), centre error median {100 * np.median(centre_err):.1f}% "
          f"of the side (p90 {100 * np.percentile(centre_err, 90):.1f}%)")
    print(f"fld_tf/detect.py: BOX_RULES[\"haar\"] = ({np.median(scale):.2f}, "
          f"({np.median(shift[:, 0]):.3f}, {np.median(shift[:, 1]):.3f}))")
    return 0


if __name__ == "__main__":
    sys.exit(main())

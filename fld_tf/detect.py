"""Where the face is: OpenCV's bundled Haar face detector and its own box rule.

The detector ships inside `opencv-python-headless` 4.x (`cv2.data.haarcascades`); OpenCV 5 dropped
both the cascade files and `cv2.CascadeClassifier`, so it needs `opencv-python-headless<5`.

Each detector draws its boxes its own way, so each has its own box rule, `BOX_RULES[name] =
(box_scale, (dx, dy))`: the square the card's LANDMARK rule would cut around that face, from the box
(side = scale x box width, centre = box centre + (dx, dy) x box width). A model card may carry the
rule per detector (`card["crop"]["detectors"][name]`); `box_rule` prefers it and falls back to
`BOX_RULES`. Haar boxes are about 1.3x wider than the CUHK boxes a card's own `box_scale`/`box_shift`
were measured on, and higher on the face. Measured with

  python benchmarks/calibrate_detector.py --data-root ../shared/data/mtfl

on the CUHK test faces (3,372 of 3,466 detected, 97.3%), against the landmark-rule square of
`CropConfig`'s defaults: side / box width median 1.222 (p10-p90 1.08-1.41), centre shift
(0.011, 0.097) box widths (p10-p90 x -0.018-0.041, y 0.061-0.135; the CUHK boxes of the same faces:
1.611 and (0.021, 0.032), as in the card). The rule leaves a median 6.9% side error and 2.4% centre
error (p90 17% and 5%), which one landmark re-crop absorbs: on 291 of those faces a partly trained
model (float32, run exp3) scored NME 6.42% from the Haar crop, 6.32% after one refinement (p90 9.8%
-> 8.7%), 6.24% from the CUHK box with the card's rule and 6.22% from the annotated landmarks; a
second pass did not help (6.45%). (That comparison used the first measurement, (0.015, 0.100), made
before boxes moved to pixel-centre coordinates.)

Whether a box holds a face at all is not the detector's call alone: `fld_tf.landmarker` scores
each face with the landmark model (`presence_score`); the tracker lives in `fld_tf.tracking`.
"""
from __future__ import annotations

import dataclasses
import os
from typing import Dict, List, Mapping, Optional, Tuple

import cv2
import numpy as np

from fld_tf import geometry

CASCADE_FILE = "haarcascade_frontalface_default.xml"
DETECTOR = "haar"
# Per detector: (square side / box width, square centre's offset from the box centre in box widths).
# "haar": medians over the CUHK test faces (see the module docstring).
# "blazeface_short_range": MediaPipe's short-range face detector, the Android demo's; medians over
# 3,796 real faces (HELEN testset 330/330 and CUHK test 3,466/3,466 detected), measured with
#   PYTHONPATH=. ../venv-mp/bin/python benchmarks/calibrate_blazeface.py --data-root ../shared/data
# side / box width 1.356 (p10-p90 1.21-1.53), centre shift (0.009, -0.005) box widths.
BOX_RULES: Dict[str, Tuple[float, Tuple[float, float]]] = {
    "haar": (1.22, (0.011, 0.097)),
    "blazeface_short_range": (1.356, (0.009, -0.005)),
}
# detectMultiScale settings of OpenCV's facedetect sample; the calibration used the same.
SCALE_FACTOR = 1.1
MIN_NEIGHBORS = 5
MIN_FACE = 24  # pixels: the cascade's own window is 24 x 24


class DetectorError(RuntimeError):
    """The detector cannot be built here (OpenCV without the cascade); the message says what to install."""


@dataclasses.dataclass(frozen=True)
class Detection:
    """One face: `box` `(x0, y0, x1, y1)` in `fld_tf.geometry` pixel coordinates (pixel centres at
    integers, so a box covering pixels 0..w-1 spans -0.5..w-0.5) and `score`, the number of
    overlapping raw detections OpenCV merged into it (higher is surer)."""

    box: np.ndarray
    score: float


class FaceDetector:
    """OpenCV's frontal-face Haar cascade; `detect(image)` returns faces largest first."""

    name = DETECTOR

    def __init__(self, cascade_path: Optional[str] = None, min_neighbors: int = MIN_NEIGHBORS,
                 scale_factor: float = SCALE_FACTOR, min_face: int = MIN_FACE):
        if not hasattr(cv2, "CascadeClassifier") or not hasattr(cv2, "data"):
            raise DetectorError(f"OpenCV {cv2.__version__} has no Haar face detector (OpenCV 5 dropped "
                                f"it); install it with: pip install 'opencv-python-headless>=4.9,<5'")
        path = cascade_path or os.path.join(cv2.data.haarcascades, CASCADE_FILE)
        if not os.path.isfile(path):
            raise DetectorError(f"{path}: Haar cascade not found; install 'opencv-python-headless>=4.9,<5'")
        self._cascade = cv2.CascadeClassifier(path)
        if self._cascade.empty():
            raise DetectorError(f"{path}: OpenCV could not load this cascade")
        self.min_neighbors, self.scale_factor, self.min_face = min_neighbors, scale_factor, min_face

    def detect(self, image: np.ndarray) -> List[Detection]:
        """Faces in an RGB `(H, W, 3)` or grey `(H, W)` uint8 image, largest box first."""
        grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY) if image.ndim == 3 else image
        grey = cv2.equalizeHist(np.ascontiguousarray(grey))
        rects, counts = self._cascade.detectMultiScale2(
            grey, scaleFactor=self.scale_factor, minNeighbors=self.min_neighbors,
            minSize=(self.min_face, self.min_face))
        found = [Detection(np.array([x - 0.5, y - 0.5, x + w - 0.5, y + h - 0.5], np.float32), float(n))
                 for (x, y, w, h), n in zip(np.reshape(rects, (-1, 4)), np.reshape(counts, -1))]
        return sorted(suppress_overlaps(found), key=lambda d: -_area(d.box))

    @staticmethod
    def square(box: np.ndarray, rule: Optional[Tuple[float, Tuple[float, float]]] = None) -> np.ndarray:
        """The crop square `(cx, cy, side)` for a Haar `box` by `rule` (default `BOX_RULES["haar"]`)."""
        scale, shift = rule or BOX_RULES[DETECTOR]
        return geometry.square_from_box(box, scale, shift)


def box_rule(card: Mapping, detector: str = DETECTOR) -> Tuple[float, Tuple[float, float]]:
    """`(box_scale, (dx, dy))` for `detector`'s boxes: the card's `crop.detectors` entry, else `BOX_RULES`."""
    entry = card.get("crop", {}).get("detectors", {}).get(detector)
    if entry is not None:
        try:
            return float(entry["box_scale"]), (float(entry["box_shift"][0]), float(entry["box_shift"][1]))
        except (KeyError, TypeError, IndexError, ValueError):
            raise ValueError(f"{card.get('model_file', 'model card')}: crop.detectors.{detector} must be "
                             f"{{\"box_scale\": s, \"box_shift\": [dx, dy]}}, got {entry!r}") from None
    if detector not in BOX_RULES:
        raise ValueError(f"no box rule for detector {detector!r}: not in the card, not in BOX_RULES")
    return BOX_RULES[detector]


def suppress_overlaps(found: List[Detection]) -> List[Detection]:
    """Keeps, of detections that overlap (one holds the other's centre), the best-supported one.

    OpenCV groups raw windows by similar size only, so a weak box over forehead and hair can enclose
    the real face's strong box; on CUHK test photos such boxes have ~6 merged windows, faces 12-60.
    """
    kept: List[Detection] = []
    for d in sorted(found, key=lambda d: -d.score):
        if not any(_holds(k.box, d.box) or _holds(d.box, k.box) for k in kept):
            kept.append(d)
    return kept


def _holds(box: np.ndarray, other: np.ndarray) -> bool:
    """Whether `box` contains the centre of `other`."""
    cx, cy = (other[0] + other[2]) / 2, (other[1] + other[3]) / 2
    return bool(box[0] <= cx <= box[2] and box[1] <= cy <= box[3])


def _area(box: np.ndarray) -> float:
    return float(box[2] - box[0]) * float(box[3] - box[1])


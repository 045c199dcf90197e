"""Where the face is: OpenCV's bundled Haar face detector, its own box rule, the video tracker and smoother.

The detector ships inside `opencv-python-headless` 4.x (`cv2.data.haarcascades`); OpenCV 5 dropped
both the cascade files and `cv2.CascadeClassifier`, so it needs `opencv-python-headless<5`.

Haar boxes are drawn differently from the CUHK boxes that a model card's `box_scale`/`box_shift`
were measured on: about 1.3x wider, and higher on the face. So the detector carries its own box rule:
`HAAR_BOX_SCALE` and `HAAR_BOX_SHIFT` turn a Haar box into the square the card's LANDMARK rule would
cut around that face. Measured with

  python benchmarks/calibrate_detector.py --data-root ../shared/data/mtfl

on the CUHK test faces (3,372 of 3,466 detected, 97.3%), against the landmark-rule square of
`CropConfig`'s defaults: side / box width median 1.222 (p10-p90 1.08-1.41), centre shift
(0.015, 0.100) box widths (the CUHK boxes of the same faces: 1.611 and (0.026, 0.037), as in the
card). The rule leaves a median 6.9% side error and 2.4% centre error (p90 17% and 5%), which one
landmark re-crop absorbs: on 291 of those faces a partly trained model (float32, run exp3) scored NME
6.42% from the Haar crop, 6.32% after one refinement (p90 9.8% -> 8.7%), 6.24% from the CUHK box
with the card's rule and 6.22% from the annotated landmarks; a second pass did not help (6.45%).

`FaceTracker` and `OneEuroFilter` are the desktop twins of the Android core's `FaceTracker.java` and
`OneEuroFilter.java` (with `LandmarkerHelper.kt`'s settings): same rules, same numbers.
"""
from __future__ import annotations

import dataclasses
import math
import os
from typing import List, Optional, Tuple

import cv2
import numpy as np

from fld_tf import geometry

CASCADE_FILE = "haarcascade_frontalface_default.xml"
# Medians over the CUHK test faces (see the module docstring): square side / Haar box width, and the
# square centre's offset from the box centre in units of the box width.
HAAR_BOX_SCALE = 1.22
HAAR_BOX_SHIFT = (0.015, 0.100)
# Detector name -> its box rule (scale, (dx, dy)): the square the landmark rule cuts around the face,
# from that detector's box. Model cards carry it as crop.detectors. "blazeface_short_range" is
# MediaPipe's short-range face detector, the Android demo's: medians over 3,796 real faces (HELEN
# testset 330/330 and CUHK test 3,466/3,466 detected), measured with
#   PYTHONPATH=. ../venv-mp/bin/python benchmarks/calibrate_blazeface.py --data-root ../shared/data
# side / box width 1.356 (p10-p90 1.21-1.53), centre shift (0.009, -0.005) box widths.
BOX_RULES = {"blazeface_short_range": (1.356, (0.009, -0.005))}
# detectMultiScale settings of OpenCV's facedetect sample; the calibration used the same.
SCALE_FACTOR = 1.1
MIN_NEIGHBORS = 5
MIN_FACE = 24  # pixels: the cascade's own window is 24 x 24
# FaceTracker.java's limits on how far one landmark square may move from the last.
MAX_SIDE_CHANGE = 1.5
MAX_SHIFT = 0.35
# LandmarkerHelper.kt's One-Euro settings, in frame pixels: 1 Hz when still, +0.05 Hz per px/s of speed.
MIN_CUTOFF_HZ, BETA, D_CUTOFF_HZ = 1.0, 0.05, 1.0


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
    def square(box: np.ndarray) -> np.ndarray:
        """This detector's box rule: the crop square `(cx, cy, side)` for a Haar `box`."""
        return geometry.square_from_box(box, HAAR_BOX_SCALE, HAAR_BOX_SHIFT)


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


class FaceTracker:
    """Chooses each video frame's crop: from the previous frame's landmarks while tracking (as MediaPipe
    does), from the detector's box otherwise. Mirrors `FaceTracker.java` rule for rule.

    The model has no face-presence score, so tracking is checked two ways: the detector still runs every
    `redetect_every` frames (no detection ends tracking; a detection whose crop centre is outside the
    tracked crop restarts from that box), and a new landmark crop must stay within `MAX_SIDE_CHANGE` in
    size and move less than `MAX_SHIFT` of the old side (`plausible_step`), else the next frame is detected again.

    Per frame: `needs_detection()`, run the detector if so, `choose_crop`, run the model, `update`.
    """

    def __init__(self, crop_cfg, redetect_every: int = 10):
        if redetect_every < 1:
            raise ValueError("redetect_every must be >= 1")
        self.crop_cfg, self.redetect_every = crop_cfg, redetect_every
        self.tracked: Optional[np.ndarray] = None
        self._since_detection = 0

    def needs_detection(self) -> bool:
        return self.tracked is None or self._since_detection + 1 >= self.redetect_every

    def choose_crop(self, box: Optional[np.ndarray], detector_ran: bool) -> Optional[np.ndarray]:
        """The square `(cx, cy, side)` for this frame, or None when there is no face."""
        self._since_detection = 0 if detector_ran else self._since_detection + 1
        if detector_ran and box is None:
            self.tracked = None
            return None
        from_box = None if box is None else FaceDetector.square(box)
        if self.tracked is None:
            return from_box
        if from_box is not None and not _contains(self.tracked, from_box[:2]):
            self.tracked = None
            return from_box
        return self.tracked

    def update(self, points: np.ndarray, used: np.ndarray) -> bool:
        """Feeds back this frame's landmarks `(K, 2)` and the square they came from; True if tracking goes on."""
        nxt = geometry.square_from_points(np.asarray(points, np.float32), self.crop_cfg.landmark_scale,
                                          self.crop_cfg.landmark_shift)
        self.tracked = nxt if plausible_step(used, nxt) else None
        return self.tracked is not None


def plausible_step(old: np.ndarray, new: np.ndarray) -> bool:
    """Whether the landmark square `new` can follow `old` (same face): side within a factor
    `MAX_SIDE_CHANGE`, centre moved less than `MAX_SHIFT` of the old side. A model without a
    face-presence score gives points on anything; this is the check that they still form that face."""
    ratio = float(new[2] / old[2])
    shift = float(np.hypot(*(new[:2] - old[:2])) / old[2])
    return 1 / MAX_SIDE_CHANGE < ratio < MAX_SIDE_CHANGE and shift < MAX_SHIFT


def _contains(square: np.ndarray, point: Tuple[float, float]) -> bool:
    return bool(np.all(np.abs(np.asarray(point) - square[:2]) <= square[2] / 2))


class OneEuroFilter:
    """The One-Euro filter (Casiez et al., CHI 2012), one per coordinate; a twin of `OneEuroFilter.java`.

    cutoff = min_cutoff + beta * |dx/dt|: a still face does not jitter, a moving one does not lag. The
    first sample passes unchanged; a time not after the previous one returns the previous output.
    """

    def __init__(self, min_cutoff: float = MIN_CUTOFF_HZ, beta: float = BETA, d_cutoff: float = D_CUTOFF_HZ):
        if not (min_cutoff > 0 and d_cutoff > 0 and beta >= 0):
            raise ValueError(f"need min_cutoff > 0, d_cutoff > 0, beta >= 0; got {min_cutoff}, {beta}, {d_cutoff}")
        self.min_cutoff, self.beta, self.d_cutoff = min_cutoff, beta, d_cutoff
        self.reset()

    def reset(self) -> None:
        self._x = self._dx = None
        self._time = 0.0

    def __call__(self, values: np.ndarray, time_seconds: float) -> np.ndarray:
        values = np.asarray(values, np.float64)
        if self._x is None:
            self._x, self._dx, self._time = values.copy(), np.zeros_like(values), time_seconds
            return values.astype(np.float32)
        if values.shape != self._x.shape:
            raise ValueError(f"expected shape {self._x.shape}, got {values.shape} (reset() when it changes)")
        dt = time_seconds - self._time
        if dt > 0:
            self._time = time_seconds
            self._dx = alpha(self.d_cutoff, dt) * (values - self._x) / dt + (1 - alpha(self.d_cutoff, dt)) * self._dx
            a = alpha(self.min_cutoff + self.beta * np.abs(self._dx), dt)
            self._x = a * values + (1 - a) * self._x
        return self._x.astype(np.float32)


def alpha(cutoff_hz, dt: float):
    """Smoothing factor of a first-order low-pass filter with cutoff `cutoff_hz` at step `dt` seconds."""
    return 1.0 / (1.0 + 1.0 / (2 * math.pi * np.asarray(cutoff_hz)) / dt)

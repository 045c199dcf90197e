"""Where the face is: OpenCV's bundled Haar face detector, its own box rule, and the video tracker.

The detector ships inside `opencv-python-headless` 4.x (`cv2.data.haarcascades`); OpenCV 5 dropped
both the cascade files and `cv2.CascadeClassifier`, so it needs `opencv-python-headless<5`.

Haar boxes are drawn differently from the CUHK boxes that a model card's `box_scale`/`box_shift`
were measured on (they are tighter and sit higher on the face), so the detector carries its own box
rule: `HAAR_BOX_SCALE` and `HAAR_BOX_SHIFT` turn a Haar box into the square the card's LANDMARK rule
would cut around that face. They were measured on the 3,466 CUHK test faces (the Haar box that holds
the annotated face centre, against the landmark-rule square of `CropConfig`'s defaults) with

  python benchmarks/calibrate_detector.py --data-root ../shared/data/mtfl

`FaceTracker` is the desktop twin of the Android core's `FaceTracker.java`: same rules, same numbers.
"""
from __future__ import annotations

import dataclasses
import os
from typing import List, Optional, Tuple

import cv2
import numpy as np

from fld_tf import geometry

CASCADE_FILE = "haarcascade_frontalface_default.xml"
# Medians over the CUHK test faces (see the module docstring): square side / Haar box width, and the
# square centre's offset from the box centre in units of the box width.
HAAR_BOX_SCALE = 1.21
HAAR_BOX_SHIFT = (0.020, 0.109)
# detectMultiScale settings of OpenCV's facedetect sample; the calibration used the same.
SCALE_FACTOR = 1.1
MIN_NEIGHBORS = 5
MIN_FACE = 24  # pixels: the cascade's own window is 24 x 24
# FaceTracker.java's limits on how far one landmark square may move from the last.
MAX_SIDE_CHANGE = 1.5
MAX_SHIFT = 0.35


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
        return sorted(found, key=lambda d: -float(d.box[2] - d.box[0]) * float(d.box[3] - d.box[1]))

    @staticmethod
    def square(box: np.ndarray) -> np.ndarray:
        """This detector's box rule: the crop square `(cx, cy, side)` for a Haar `box`."""
        return geometry.square_from_box(box, HAAR_BOX_SCALE, HAAR_BOX_SHIFT)


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

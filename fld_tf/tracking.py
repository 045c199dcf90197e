"""Video tracking: the One-Euro smoother and the crop tracker, with their settings in one place.

`TRACKING` holds the defaults, tuned by `benchmarks/smoothing.py` on videos made from real photos
(BENCHMARKS.md, "Video smoothing"): static jitter 0.28% of the inter-ocular distance (raw: 0.93%),
a moving and scaling face +0.19 pp NME over the raw points, a head turn -0.01 pp. They
travel in every model card as `card["tracking"]` (`TrackingConfig.to_dict()`), so the phone
(`OneEuroFilter.java`, `FaceTracker.java`) and `fld_tf.landmarker` run the same numbers; a card
without the key gets `TRACKING` (`tracking_of`).

The filter's cutoff is shared by all points of a face: `min_cutoff_hz + beta * speed / side`, where
`speed` is the RMS over points of each point's (low-passed) velocity and `side` the side of the face's
crop square. One speed for the face is far less noisy than one per coordinate (so a still face stays
still), yet any motion of any point, a head turn or an opening mouth as much as a slide, raises it;
measuring it in face sizes lets one `beta` fit a 96-pixel face in a phone frame and a 400-pixel one.
"""
from __future__ import annotations

import dataclasses
import math
from typing import Callable, Dict, Mapping, Optional, Tuple

import numpy as np

from fld_tf import geometry


@dataclasses.dataclass(frozen=True)
class TrackingConfig:
    """One-Euro and tracker settings.

    Attributes:
      min_cutoff_hz: the filter's cutoff for a still face (lower: less jitter, more lag when slow).
      beta: cutoff increase per unit of speed: the RMS point speed, in crop-square sides per second.
      d_cutoff_hz: cutoff of the low-pass on the speed estimate itself.
      redetect_every: run the detector at least every this many frames while tracking.
      max_side_change: a new landmark square may be at most this factor larger or smaller ...
      max_shift: ... and move less than this fraction of the old side, else tracking ends.
      crop_hold: the tracked crop stays put while the new landmark square is within this fraction of
        its side (centre and size): the model's own noise then does not move the next crop, which
        would add to the jitter, and a face held in the crop is found as well as a centred one.
    """

    min_cutoff_hz: float = 0.1
    beta: float = 40.0
    d_cutoff_hz: float = 1.0
    redetect_every: int = 10
    max_side_change: float = 1.5
    max_shift: float = 0.35
    crop_hold: float = 0.04

    def __post_init__(self):
        if not (self.min_cutoff_hz > 0 and self.d_cutoff_hz > 0 and self.beta >= 0):
            raise ValueError(f"tracking: need min_cutoff_hz > 0, d_cutoff_hz > 0, beta >= 0; got "
                             f"{self.min_cutoff_hz}, {self.beta}, {self.d_cutoff_hz}")
        if self.redetect_every < 1 or self.max_side_change <= 1 or self.max_shift <= 0 or self.crop_hold < 0:
            raise ValueError(f"tracking: need redetect_every >= 1, max_side_change > 1, max_shift > 0, crop_hold "
                             f">= 0; got {self.redetect_every}, {self.max_side_change}, {self.max_shift}, "
                             f"{self.crop_hold}")

    def to_dict(self) -> Dict:
        """The card's `tracking` section, with how `beta`'s speed is measured spelled out for other readers."""
        return {**dataclasses.asdict(self), "speed": "rms_over_points", "beta_speed_unit": "crop square sides per second"}

    @classmethod
    def from_dict(cls, values: Mapping) -> "TrackingConfig":
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in names})


TRACKING = TrackingConfig()


def tracking_of(card: Mapping) -> TrackingConfig:
    """The card's tracking settings, or `TRACKING` for a card made before they travelled in it."""
    values = card.get("tracking")
    if values is None:
        return TRACKING
    try:
        return TrackingConfig.from_dict(values)
    except (TypeError, ValueError) as e:
        raise ValueError(f"{card.get('model_file', 'model card')}: tracking: {e}") from None


def alpha(cutoff_hz, dt: float):
    """Smoothing factor of a first-order low-pass filter with cutoff `cutoff_hz` at step `dt` seconds."""
    return 1.0 / (1.0 + 1.0 / (2 * math.pi * np.asarray(cutoff_hz)) / dt)


class OneEuroFilter:
    """The One-Euro filter (Casiez et al., CHI 2012) over a face's points, with one cutoff for all of them.

    cutoff = min_cutoff + beta * speed / scale, speed = the RMS over points of the low-passed velocity
    (rows of a `(K, D)` input are points; a 1-D input is points of one coordinate): a still face does
    not jitter, a moving one does not lag. The first sample passes unchanged; a time not after the
    previous one returns the previous output.
    """

    def __init__(self, min_cutoff: float = TRACKING.min_cutoff_hz, beta: float = TRACKING.beta,
                 d_cutoff: float = TRACKING.d_cutoff_hz):
        if not (min_cutoff > 0 and d_cutoff > 0 and beta >= 0):
            raise ValueError(f"need min_cutoff > 0, d_cutoff > 0, beta >= 0; got {min_cutoff}, {beta}, {d_cutoff}")
        self.min_cutoff, self.beta, self.d_cutoff = min_cutoff, beta, d_cutoff
        self.reset()

    @classmethod
    def from_config(cls, cfg: TrackingConfig) -> "OneEuroFilter":
        return cls(cfg.min_cutoff_hz, cfg.beta, cfg.d_cutoff_hz)

    def reset(self) -> None:
        self._x = self._dx = None
        self._time = 0.0

    def __call__(self, values: np.ndarray, time_seconds: float, scale: float = 1.0) -> np.ndarray:
        """The filtered `values` at `time_seconds`; `scale` is the unit speeds are measured in (pixels
        per face size: the crop square's side)."""
        values = np.asarray(values, np.float64)
        if self._x is None:
            self._x, self._dx, self._time = values.copy(), np.zeros_like(values), time_seconds
            return values.astype(np.float32)
        if values.shape != self._x.shape:
            raise ValueError(f"expected shape {self._x.shape}, got {values.shape} (reset() when it changes)")
        dt = time_seconds - self._time
        if dt > 0:
            self._time = time_seconds
            a_d = alpha(self.d_cutoff, dt)
            self._dx = a_d * (values - self._x) / dt + (1 - a_d) * self._dx
            points = self._dx.size / (self._dx.shape[-1] if self._dx.ndim > 1 else 1)
            speed = float(np.sqrt(np.sum(self._dx ** 2) / points))
            a = alpha(self.min_cutoff + self.beta * speed / scale, dt)
            self._x = a * values + (1 - a) * self._x
        return self._x.astype(np.float32)


def plausible_step(old: np.ndarray, new: np.ndarray, cfg: TrackingConfig = TRACKING) -> bool:
    """Whether the landmark square `new` can follow `old` (same face): side within a factor
    `max_side_change`, centre moved less than `max_shift` of the old side."""
    ratio = float(new[2] / old[2])
    shift = float(np.hypot(*(new[:2] - old[:2])) / old[2])
    return 1 / cfg.max_side_change < ratio < cfg.max_side_change and shift < cfg.max_shift


def _within(old: np.ndarray, new: np.ndarray, fraction: float) -> bool:
    """Whether `new` is within `fraction` of `old`'s side from it, in centre and in size."""
    return bool(np.hypot(*(new[:2] - old[:2])) <= fraction * old[2] and abs(new[2] / old[2] - 1) <= fraction)


def _contains(square: np.ndarray, point: Tuple[float, float]) -> bool:
    return bool(np.all(np.abs(np.asarray(point) - square[:2]) <= square[2] / 2))


class FaceTracker:
    """Chooses each video frame's crop: from the previous frame's landmarks while tracking (as MediaPipe
    does), from the detector's box otherwise. Mirrors `FaceTracker.java` rule for rule.

    The re-detect rule: the detector still runs every `redetect_every` frames; no face there ends
    tracking, and a face whose crop centre is outside the tracked crop restarts from that box. A new
    landmark crop must also pass `plausible_step`, else the next frame is detected again; one within
    `crop_hold` of the tracked crop leaves it where it is.

    Per frame: `needs_detection()`, run the detector if so, `choose_crop`, run the model, `update`.
    """

    def __init__(self, crop_cfg, box_square: Callable[[np.ndarray], np.ndarray],
                 cfg: TrackingConfig = TRACKING):
        """`crop_cfg`: the card's crop rule (its landmark rule makes the tracked square); `box_square`:
        the detector's box rule, box -> square `(cx, cy, side)`."""
        self.crop_cfg, self.box_square, self.cfg = crop_cfg, box_square, cfg
        self.tracked: Optional[np.ndarray] = None
        self._since_detection = 0

    def reset(self) -> None:
        self.tracked, self._since_detection = None, 0

    def needs_detection(self) -> bool:
        return self.tracked is None or self._since_detection + 1 >= self.cfg.redetect_every

    def choose_crop(self, box: Optional[np.ndarray], detector_ran: bool) -> Optional[np.ndarray]:
        """The square `(cx, cy, side)` for this frame, or None when there is no face."""
        self._since_detection = 0 if detector_ran else self._since_detection + 1
        if detector_ran and box is None:
            self.tracked = None
            return None
        from_box = None if box is None else self.box_square(box)
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
        if not plausible_step(used, nxt, self.cfg):
            self.tracked = None
        elif self.tracked is None or not _within(self.tracked, nxt, self.cfg.crop_hold):
            self.tracked = nxt
        return self.tracked is not None

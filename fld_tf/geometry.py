"""Crop rule and coordinate mapping: the single definition shared by the training pipeline,
evaluation, export (model card, golden vectors) and the Android core.

Conventions (the Java core mirrors them exactly):
- Pixel coordinates are 0-based with the centre of the top-left pixel at (0, 0).
- A crop is a square `(cx, cy, side)` in image pixels; training also rotates its sampling grid
  by `angle` (radians, in the image plane, y pointing down) and may mirror it.
- The model input is `size x size`. Output pixel (u, v) samples the image at
  `(x, y) = (cx, cy) + (side / size) * R(angle) @ F @ (u + 0.5 - size / 2, v + 0.5 - size / 2)`
  with bilinear interpolation, black (0) outside the image, then `floor(value + 0.5)` to uint8.
  `F = diag(-1, 1)` when mirrored.
- Landmarks are encoded in normalised crop coordinates in [0, 1]: `n = (u + 0.5) / size`, so
  `n = R^T (p - c) / side` (then x -> -x if mirrored) `+ 0.5`; decoding is the inverse.
"""
from __future__ import annotations

from typing import Optional, Tuple

import numpy as np

CROP_SOURCES = ("auto", "box", "image", "landmarks")


def square_from_points(points: np.ndarray, scale: float, shift: Tuple[float, float]) -> np.ndarray:
    """Crop square `(cx, cy, side)` from the extent of the landmarks.

    Args:
      points: array with shape `(num_points, 2)`.
      scale: side as a multiple of the larger side of the points' bounding box.
      shift: centre offset from the bounding-box centre, as a fraction of that larger side.
    """
    lo, hi = points.min(axis=0), points.max(axis=0)
    extent = float(np.max(hi - lo))
    centre = (lo + hi) / 2 + np.asarray(shift) * extent
    return np.array([centre[0], centre[1], scale * extent], np.float32)


def square_from_box(box: np.ndarray, scale: float, shift: Tuple[float, float]) -> np.ndarray:
    """Crop square `(cx, cy, side)` from a face box `(x0, y0, x1, y1)`.

    The box width sets the scale (detectors agree on width more than on height).
    """
    x0, y0, x1, y1 = [float(v) for v in box]
    width = x1 - x0
    centre = np.array([(x0 + x1) / 2, (y0 + y1) / 2]) + np.asarray(shift) * width
    return np.array([centre[0], centre[1], scale * width], np.float32)


def square_from_image(width: int, height: int) -> np.ndarray:
    """The square that covers the whole image (for lists of pre-cropped faces)."""
    return np.array([(width - 1) / 2, (height - 1) / 2, max(width, height)], np.float32)


def crop_square(source: str, crop_cfg, points: Optional[np.ndarray], box: Optional[np.ndarray],
                image_size: Optional[Tuple[int, int]] = None) -> np.ndarray:
    """Applies the crop rule named by `source` (one of `CROP_SOURCES`).

    `auto` uses the box when there is one, else the landmarks. `image_size` is `(width, height)`.
    """
    if source == "auto":
        source = "box" if box is not None else "landmarks"
    if source == "box":
        if box is None:
            raise ValueError("crop source 'box' needs a face box, and this sample has none")
        return square_from_box(box, crop_cfg.box_scale, crop_cfg.box_shift)
    if source == "landmarks":
        return square_from_points(points, crop_cfg.landmark_scale, crop_cfg.landmark_shift)
    if source == "image":
        if image_size is None:
            raise ValueError("crop source 'image' needs the image size")
        return square_from_image(*image_size)
    raise ValueError(f"unknown crop source {source!r}; expected one of {', '.join(CROP_SOURCES)}")


def sampling_matrix(square: np.ndarray, size: int, angle: float = 0.0, mirror: bool = False) -> np.ndarray:
    """3x3 matrix mapping output pixel coordinates `(u, v, 1)` to image coordinates `(x, y, 1)`."""
    cx, cy, side = [float(v) for v in square]
    s = side / size
    c, n = np.cos(angle), np.sin(angle)
    a = s * np.array([[c, -n], [n, c]]) @ np.diag([-1.0 if mirror else 1.0, 1.0])
    offset = np.array([cx, cy]) + a @ np.array([0.5 - size / 2, 0.5 - size / 2])
    m = np.eye(3)
    m[:2, :2] = a
    m[:2, 2] = offset
    return m


def encode(points: np.ndarray, square: np.ndarray, size: int, angle: float = 0.0,
           mirror: bool = False) -> np.ndarray:
    """Image pixel coordinates -> normalised crop coordinates in [0, 1].

    Args:
      points: array with shape `(..., 2)`.

    Mirroring only moves coordinates; re-ordering left/right points is the scheme's job.
    """
    m = np.linalg.inv(sampling_matrix(square, size, angle, mirror))
    uv = points @ m[:2, :2].T + m[:2, 2]
    return ((uv + 0.5) / size).astype(np.float32)


def decode(normalised: np.ndarray, square: np.ndarray, size: int, angle: float = 0.0,
           mirror: bool = False) -> np.ndarray:
    """Normalised crop coordinates `(..., 2)` -> image pixel coordinates (inverse of `encode`)."""
    m = sampling_matrix(square, size, angle, mirror)
    uv = np.asarray(normalised, np.float64) * size - 0.5
    return (uv @ m[:2, :2].T + m[:2, 2]).astype(np.float32)


def decode_faces(outputs: np.ndarray, squares: np.ndarray, size: int) -> np.ndarray:
    """Model outputs of N faces, `(N, 2K)` or `(N, K, 2)` normalised, -> image pixels `(N, K, 2)`."""
    crop = np.asarray(outputs).reshape(len(squares), -1, 2)
    return np.stack([decode(c, sq, size) for c, sq in zip(crop, squares)])


def to_uint8(values: np.ndarray) -> np.ndarray:
    """Rounds resampled float pixels the way every consumer must: floor(v + 0.5), clipped."""
    return np.clip(np.floor(np.asarray(values, np.float32) + 0.5), 0, 255).astype(np.uint8)

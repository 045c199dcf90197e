"""Drawing landmarks with OpenCV: points, a scheme's contours, boxes. No matplotlib, so it imports fast.

Images are RGB uint8 arrays `(H, W, 3)` (or grey `(H, W)`); points are `(K, 2)` pixel coordinates of
that image, 0-based with the centre of the top-left pixel at (0, 0), as in `fld_tf.geometry`. Every
function draws on a copy and returns it.
"""
from __future__ import annotations

from typing import Iterable, List, Sequence, Tuple, Union

import cv2
import numpy as np

Color = Tuple[int, int, int]
GREEN: Color = (0, 255, 0)
RED: Color = (255, 0, 0)
CYAN: Color = (0, 220, 255)
# cv2 draws at 1/16 pixel precision with `shift=4`; rounding to whole pixels would move points by
# up to half a pixel, which is visible on 96-pixel crops.
SHIFT = 4


def as_rgb(image: np.ndarray) -> np.ndarray:
    """A writable contiguous `(H, W, 3)` uint8 copy of an RGB or grey image."""
    image = np.asarray(image)
    if image.dtype != np.uint8:
        raise ValueError(f"images must be uint8, got {image.dtype}")
    if image.ndim == 3 and image.shape[-1] == 1:
        image = image[..., 0]
    if image.ndim == 2:
        return np.repeat(image[..., None], 3, axis=-1)
    if image.ndim != 3 or image.shape[-1] != 3:
        raise ValueError(f"images must have shape (H, W, 3) or (H, W), got {image.shape}")
    return np.ascontiguousarray(image).copy()


def point_colors(num_points: int) -> List[Color]:
    """One RGB colour per point index along a rainbow (OpenCV's JET), so the point order shows."""
    ramp = np.linspace(0, 255, num_points).astype(np.uint8)[:, None]
    return [tuple(int(c) for c in rgb) for rgb in cv2.applyColorMap(ramp, cv2.COLORMAP_JET)[:, 0, ::-1]]


def _fixed(points: np.ndarray) -> np.ndarray:
    return np.round(np.asarray(points, np.float64) * (1 << SHIFT)).astype(np.int32)


def draw_points(image_rgb_uint8: np.ndarray, points: np.ndarray,
                color: Union[Color, Sequence[Color]] = GREEN, radius: float = 2) -> np.ndarray:
    """Draws filled discs at `points` on a copy of the image.

    Args:
      image_rgb_uint8: shape `(H, W, 3)` or `(H, W)`, uint8.
      points: shape `(K, 2)` in pixel coordinates; non-finite points are skipped.
      color: RGB, or one RGB per point (e.g. `point_colors(K)`).
      radius: disc radius in pixels.

    Returns:
      The drawn copy, shape `(H, W, 3)`; the input is left unchanged.
    """
    image = as_rgb(image_rgb_uint8)
    points = np.asarray(points, np.float64).reshape(-1, 2)
    colors = [color] * len(points) if np.ndim(color) == 1 else color
    for point, c in zip(points, colors):
        if np.all(np.isfinite(point)):
            cv2.circle(image, tuple(_fixed(point).tolist()), int(round(radius * (1 << SHIFT))),
                       tuple(int(v) for v in c), thickness=-1, lineType=cv2.LINE_8, shift=SHIFT)
    return image


def draw_contours(image_rgb_uint8: np.ndarray, points: np.ndarray, contours: Iterable,
                  color: Color = CYAN, thickness: int = 1) -> np.ndarray:
    """Draws polylines through `points` on a copy of the image, as a scheme's contours say.

    Args:
      points: shape `(K, 2)` in pixel coordinates.
      contours: `Contour`s, or their card form `{"indices": [...], "closed": bool}`.
      thickness: line width in pixels.
    """
    image = as_rgb(image_rgb_uint8)
    points = np.asarray(points, np.float64).reshape(-1, 2)
    for contour in contours:
        indices, closed = ((contour["indices"], contour["closed"]) if isinstance(contour, dict)
                           else (contour.indices, contour.closed))
        line = points[list(indices)]
        if len(line) > 1 and np.all(np.isfinite(line)):
            cv2.polylines(image, [_fixed(line)], bool(closed), color, max(1, int(thickness)), cv2.LINE_AA, SHIFT)
    return image


def draw_box(image_rgb_uint8: np.ndarray, box: Sequence[float], color: Color, thickness: int = 1) -> np.ndarray:
    """Draws the rectangle `(x0, y0, x1, y1)` (pixel coordinates) on a copy of the image."""
    image = as_rgb(image_rgb_uint8)
    (x0, y0), (x1, y1) = _fixed(np.reshape(box, (2, 2))).tolist()
    cv2.rectangle(image, (x0, y0), (x1, y1), color, max(1, int(thickness)), cv2.LINE_8, SHIFT)
    return image

"""The one record every list reader produces."""
from __future__ import annotations

import dataclasses
from typing import Optional

import numpy as np


class DataError(ValueError):
    """Bad input data; the message names the file and line at fault."""


@dataclasses.dataclass(frozen=True)
class Sample:
    """One annotated face.

    Attributes:
      image_path: absolute path of the image file.
      points: float32 array with shape `(num_points, 2)`, (x, y) in 0-based pixel coordinates
        (the centre of the top-left pixel is (0, 0)).
      box: optional float32 face box `(x0, y0, x1, y1)` in the same coordinates.
      attributes: optional int32 array of per-face flags (scheme's `attribute_names` order).
      source: where the record came from, `"file:line"`, for error messages.
    """

    image_path: str
    points: np.ndarray
    box: Optional[np.ndarray] = None
    attributes: Optional[np.ndarray] = None
    source: str = ""

"""A `.tflite` landmark model on one face crop: the input made as evaluation makes it, the points decoded
as the card says, and the face-presence score the model gives without a presence head.

`fld_tf.landmarker` builds the API on these; `benchmarks/face_presence.py` chose the threshold.
"""
from __future__ import annotations

from typing import Dict, Optional

import numpy as np

from fld_tf import geometry, model_card, runtime

# The presence check moves the crop by this fraction of its side, four ways.
PRESENCE_SHIFT = 0.15


def sample_crop(image: np.ndarray, square: np.ndarray, size: int) -> np.ndarray:
    """The model input for `square`: uint8 `(size, size, 3)`, as `fld_tf` evaluation makes it.

    The numpy twin of `fld_tf.warp.warp` + `round_pixels` (TF's ImageProjectiveTransformV3, BILINEAR,
    fill 0) and of `InputTensorizer.java`: float32 transform coefficients, the kernel's float32
    arithmetic in its order, neighbours outside the image read as black, then `floor(v + 0.5)`.

    Args:
      image: RGB uint8 `(H, W, 3)`.
      square: `(cx, cy, side)` in image pixels.
    """
    t = geometry.sampling_matrix(square, size).astype(np.float32)
    grid = np.arange(size, dtype=np.float32)
    x = t[0, 0] * grid[None, :] + t[0, 1] * grid[:, None] + t[0, 2]
    y = t[1, 0] * grid[None, :] + t[1, 1] * grid[:, None] + t[1, 2]
    x0, y0 = np.floor(x), np.floor(y)
    x1, y1 = x0 + 1, y0 + 1
    height, width = image.shape[:2]

    def read(yy, xx):
        inside = (yy >= 0) & (yy < height) & (xx >= 0) & (xx < width)
        rows = np.clip(yy, 0, height - 1).astype(np.intp)
        cols = np.clip(xx, 0, width - 1).astype(np.intp)
        return image[rows, cols].astype(np.float32) * inside[..., None]

    wx0, wx1, wy0, wy1 = [w[..., None] for w in (x1 - x, x - x0, y1 - y, y - y0)]
    top = wx0 * read(y0, x0) + wx1 * read(y0, x1)
    bottom = wx0 * read(y1, x0) + wx1 * read(y1, x1)
    return geometry.to_uint8(wy0 * top + wy1 * bottom)


class LandmarkModel:
    """A `.tflite` landmark model in LiteRT, fed and decoded as its card says."""

    def __init__(self, model: bytes, card: Dict, threads: Optional[int] = None):
        self.card, self.size = card, model_card.input_size(card)
        self.crop_cfg, self.scheme = model_card.crop_config(card), model_card.scheme_of(card)
        self.dtype = card["input"]["dtype"]
        self._interp = runtime.interpreter(model, threads)
        self._input = self._interp.get_input_details()[0]
        self._output = self._interp.get_output_details()[0]
        actual = np.dtype(self._input["dtype"]).name
        if actual != self.dtype or list(self._input["shape"]) != card["input"]["shape"]:
            raise model_card.CardError(f"{card['model_file']}: the card says input {self.dtype} "
                                       f"{card['input']['shape']}, the model takes {actual} {list(self._input['shape'])}")

    def run(self, image: np.ndarray, square: np.ndarray) -> np.ndarray:
        """Landmarks `(K, 2)` in image pixels for the face in `square` of the RGB `image`."""
        crop = sample_crop(image, square, self.size)
        self._interp.set_tensor(self._input["index"], runtime.as_input(crop[None], self.dtype))
        self._interp.invoke()
        out = self._interp.get_tensor(self._output["index"]).reshape(-1).astype(np.float32)
        scale, zero_point = self._output["quantization"]
        if np.issubdtype(self._output["dtype"], np.integer) and scale:
            out = (out - zero_point) * scale
        return geometry.decode(out.reshape(-1, 2), square, self.size)

    def landmark_square(self, points: np.ndarray) -> np.ndarray:
        return geometry.square_from_points(points, self.crop_cfg.landmark_scale, self.crop_cfg.landmark_shift)


def presence_score(model: LandmarkModel, image: np.ndarray, square: np.ndarray, points: np.ndarray) -> float:
    """How much the points stay on the image content when the crop moves: 1 = a face, 0 = no face.

    A landmark model finds the face wherever it sits in its crop; on a crop with no face it returns
    a mean-like shape in crop coordinates, which moves with the crop. So the crop is moved by
    `PRESENCE_SHIFT` of its side left, right, up and down; per move, `stay` is how far the points
    moved in the image and `follow` how far they are from where points glued to the crop would be;
    the score is 1 - mean(stay / (stay + follow)).
    """
    moves = []
    for dx, dy in ((1, 0), (-1, 0), (0, 1), (0, -1)):
        shift = np.array([dx, dy], np.float32) * PRESENCE_SHIFT * square[2]
        moved = model.run(image, np.array([square[0] + shift[0], square[1] + shift[1], square[2]], np.float32))
        stay = np.linalg.norm(moved - points, axis=1).mean()
        follow = np.linalg.norm(moved - (points + shift), axis=1).mean()
        moves.append(stay / max(stay + follow, 1e-9))
    return float(1.0 - np.mean(moves))

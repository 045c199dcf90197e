"""Figures: CED curves (matplotlib, Agg) and landmark sheets (OpenCV), each PNG written atomically.

Drawing on one image (points, contours, boxes) is `fld_tf.drawing`; this module lays images out.

Images are RGB uint8 arrays `(H, W, 3)` (or grey `(H, W)`); points are `(K, 2)` pixel coordinates
of that image, 0-based with the centre of the top-left pixel at (0, 0), as in `fld_tf.geometry`.
"""
from __future__ import annotations

from typing import Dict, List, Optional, Sequence, Tuple, Union

import cv2
import matplotlib

matplotlib.use("Agg")  # no display on training machines; must precede pyplot
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from fld_tf import metrics  # noqa: E402
from fld_tf.drawing import GREEN, RED, SHIFT, Color, as_rgb, draw_points, point_colors  # noqa: E402,F401
from fld_tf.io import atomic_path, write_bytes  # noqa: E402
from fld_tf.schemes import SCHEMES, PointScheme  # noqa: E402

# The OpenCV drawing lives in fld_tf.drawing (no matplotlib); re-exported for the sheets' callers.
_as_rgb, _SHIFT = as_rgb, SHIFT


def plot_ced(curves: Dict[str, np.ndarray], path: str,
             threshold: float = metrics.DEFAULT_THRESHOLD) -> None:
    """Writes overlaid CED curves to a PNG.

    Args:
      curves: name -> per-face NME with shape `(N,)`, as fractions.
      path: output `.png`.
      threshold: right end of the x axis and the AUC limit, as a fraction.
    """
    fig, ax = plt.subplots(figsize=(6, 4.5), dpi=100)
    try:
        for name, errors in curves.items():
            x, y = metrics.ced(errors, threshold)
            label = (f"{name}: NME {100 * np.mean(errors):.2f}%, "
                     f"AUC@{100 * threshold:g} {metrics.auc(errors, threshold):.3f}")
            ax.plot(100 * x, y, label=label)
        ax.set(xlim=(0, 100 * threshold), ylim=(0, 1), xlabel="NME (%)",
               ylabel="fraction of faces", title="Cumulative error distribution")
        ax.grid(alpha=0.3)
        ax.legend(loc="lower right", fontsize="small")
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format="png", bbox_inches="tight")
    finally:
        plt.close(fig)


def _label(image: np.ndarray, text: str) -> None:
    """Writes `text` in the top-left corner, white on a black outline so it reads on any face."""
    for colour, thickness in (((0, 0, 0), 3), ((255, 255, 255), 1)):
        cv2.putText(image, text, (3, 14), cv2.FONT_HERSHEY_SIMPLEX, 0.4, colour, thickness,
                    cv2.LINE_AA)


def _tile(image: np.ndarray, layers: Sequence[Tuple[Optional[np.ndarray], Color]],
          label: Optional[str], tile_size: int, radius: float, box: Optional[np.ndarray] = None) -> np.ndarray:
    """One `(tile_size, tile_size, 3)` tile: the image resized to fit, point layers, a box, a label."""
    image = _as_rgb(image)
    s = tile_size / max(image.shape[:2])
    height, width = max(1, round(image.shape[0] * s)), max(1, round(image.shape[1] * s))
    resized = cv2.resize(image, (width, height), interpolation=cv2.INTER_LINEAR)
    factor = (width / image.shape[1], height / image.shape[0])

    def scaled(points):  # pixel centres scale about the image corner (-0.5, -0.5), not pixel 0's centre
        return (np.asarray(points, np.float64).reshape(-1, 2) + 0.5) * factor - 0.5

    if box is not None:
        (x0, y0), (x1, y1) = (np.round(scaled(box) * (1 << _SHIFT))).astype(int).tolist()
        cv2.rectangle(resized, (x0, y0), (x1, y1), GREEN, 1, cv2.LINE_8, _SHIFT)
    for points, color in layers:
        if points is not None:
            resized = draw_points(resized, scaled(points), color, radius)
    tile = np.zeros((tile_size, tile_size, 3), np.uint8)
    tile[:height, :width] = resized
    if label:
        _label(tile, label)
    return tile


def _write_grid(tiles: Sequence[np.ndarray], path: str, cols: int) -> np.ndarray:
    """Lays tiles out row-major, `cols` wide, writes the PNG and returns the RGB sheet."""
    if not tiles:
        raise ValueError(f"{path}: no images to draw")
    cols = max(1, min(cols, len(tiles)))
    rows = -(-len(tiles) // cols)
    size = tiles[0].shape[0]
    sheet = np.zeros((rows * size, cols * size, 3), np.uint8)
    for i, tile in enumerate(tiles):
        r, c = divmod(i, cols)
        sheet[r * size:(r + 1) * size, c * size:(c + 1) * size] = tile
    ok, png = cv2.imencode(".png", cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR))
    if not ok:
        raise RuntimeError(f"{path}: OpenCV could not encode the PNG")
    write_bytes(path, png.tobytes())
    return sheet


def contact_sheet(images: Sequence[np.ndarray], points_list: Sequence[Optional[np.ndarray]],
                  path: str, cols: int = 8, color: Union[Color, Sequence[Color]] = GREEN,
                  labels: Optional[Sequence[str]] = None, tile_size: int = 192,
                  radius: float = 2, boxes: Optional[Sequence[Optional[np.ndarray]]] = None) -> np.ndarray:
    """Writes a grid of images, each with its points, to a PNG.

    Args:
      images: N images, RGB or grey uint8, any sizes (each is scaled to fit a square tile).
      points_list: N arrays with shape `(K, 2)` in pixel coordinates of their image, or None.
      path: output `.png`.
      cols: tiles per row.
      color: RGB colour of the points, or one per point index (`point_colors`).
      labels: optional N strings written on the tiles.
      tile_size: side of each square tile in pixels.
      radius: point radius in tile pixels.
      boxes: optional N face boxes `(x0, y0, x1, y1)` (or None), drawn green.

    Returns:
      The sheet, RGB uint8 with shape `(rows * tile_size, cols * tile_size, 3)`.
    """
    if len(points_list) != len(images):
        raise ValueError(f"{len(images)} images but {len(points_list)} point sets")
    labels = labels if labels is not None else [None] * len(images)
    boxes = boxes if boxes is not None else [None] * len(images)
    tiles = [_tile(image, [(points, color)], label, tile_size, radius, box)
             for image, points, label, box in zip(images, points_list, labels, boxes)]
    return _write_grid(tiles, path, cols)


def _scheme_for(num_points: int) -> PointScheme:
    """The registered scheme with `num_points` points; NME needs its normalising points."""
    found = [s for s in SCHEMES.values() if s.num_points == num_points]
    if len(found) != 1:
        raise ValueError(f"no single scheme has {num_points} points; pass scheme=")
    return found[0]


def prediction_grid(images: Sequence[np.ndarray], preds: np.ndarray, gts: np.ndarray, path: str,
                    cols: int = 8, scheme: Optional[PointScheme] = None, tile_size: int = 192,
                    radius: float = 2) -> np.ndarray:
    """Writes predictions (green) over ground truth (red), with each face's NME, to a PNG.

    To draw model outputs `n` (normalised, in [0, 1]) on the model's own `size x size` input crop,
    pass pixel coordinates `n * size - 0.5` (see `fld_tf.geometry`).

    Args:
      images: N RGB uint8 images.
      preds: shape `(N, K, 2)`, pixel coordinates.
      gts: shape `(N, K, 2)`, pixel coordinates.
      path: output `.png`.
      cols: tiles per row.
      scheme: normalises the NME; by default the registered scheme with K points.
      tile_size, radius: as in `contact_sheet`.

    Returns:
      The sheet, as from `contact_sheet`.
    """
    preds, gts = np.asarray(preds), np.asarray(gts)
    scheme = scheme or _scheme_for(gts.shape[1])
    errors = metrics.nme(preds, gts, scheme)
    if len(images) != len(errors):
        raise ValueError(f"{len(images)} images but {len(errors)} point sets")
    tiles = [_tile(image, [(gt, RED), (pred, GREEN)], f"NME {100 * e:.1f}%", tile_size, radius)
             for image, pred, gt, e in zip(images, preds, gts, errors)]
    return _write_grid(tiles, path, cols)

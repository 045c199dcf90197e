"""Looking at a landmark list before training on it: summary numbers, a face-scale histogram and a
contact sheet of images with their landmarks drawn.

Image coordinates follow `fld_tf.geometry`: the centre of the top-left pixel is (0, 0), so a
`W x H` image covers x in [-0.5, W - 0.5] and y in [-0.5, H - 0.5]; a point beyond that is "outside".
"""
from __future__ import annotations

import collections
import dataclasses
import math
from typing import Dict, List, Sequence, Tuple

import cv2
import numpy as np

from fld_tf.data.readers import ReadResult, image_size
from fld_tf.data.sample import DataError, Sample
from fld_tf.io import atomic_path, write_bytes
from fld_tf.schemes import PointScheme

TILE = 160  # contact-sheet cell side, pixels


@dataclasses.dataclass(frozen=True)
class ListStats:
    """Summary of one list.

    Attributes:
      count, skipped, with_box, with_attributes: record counts.
      sizes: number of images per `(width, height)`.
      iod: inter-ocular distance (`scheme.normalizing_distance`) per sample, pixels, shape `(N,)`.
      scale: `iod / image width` per sample, shape `(N,)`.
      outside_points, outside_samples: points beyond the image area, and samples with any.
      total_points: N x num_points.
    """

    count: int
    skipped: int
    with_box: int
    with_attributes: int
    sizes: Dict[Tuple[int, int], int]
    iod: np.ndarray
    scale: np.ndarray
    outside_points: int
    outside_samples: int
    total_points: int


def list_stats(result: ReadResult, scheme: PointScheme) -> ListStats:
    """Computes `ListStats`; reads every image header once."""
    samples = result.samples
    sizes = np.array([image_size(s.image_path) for s in samples], np.float64)  # (N, 2) width, height
    points = np.stack([s.points for s in samples])                            # (N, K, 2)
    outside = ((points < -0.5) | (points > sizes[:, None, :] - 0.5)).any(axis=-1)  # (N, K)
    iod = scheme.normalizing_distance(points)
    return ListStats(
        count=len(samples),
        skipped=len(result.skipped),
        with_box=sum(s.box is not None for s in samples),
        with_attributes=sum(s.attributes is not None for s in samples),
        sizes=dict(collections.Counter((int(w), int(h)) for w, h in sizes).most_common()),
        iod=iod,
        scale=iod / sizes[:, 0],
        outside_points=int(outside.sum()),
        outside_samples=int(outside.any(axis=1).sum()),
        total_points=int(outside.size),
    )


def _summary(values: np.ndarray, digits: int) -> str:
    return "  ".join(f"{name} {fn(values):.{digits}f}" for name, fn in
                     (("min", np.min), ("median", np.median), ("mean", np.mean), ("max", np.max)))


def format_stats(stats: ListStats) -> str:
    """The printed report (without the list's name)."""
    lines = [f"samples: {stats.count}  skipped: {stats.skipped}  with box: {stats.with_box}  "
             f"with attributes: {stats.with_attributes}",
             "image sizes (W x H: count):"]
    lines += [f"  {w} x {h}: {n}" for (w, h), n in stats.sizes.items()]
    lines += [f"inter-ocular distance (px): {_summary(stats.iod, 2)}",
              f"face scale (iod / image width): {_summary(stats.scale, 3)}",
              f"points outside the image: {stats.outside_points} of {stats.total_points} "
              f"(in {stats.outside_samples} samples)"]
    return "\n".join(lines)


def save_scale_histogram(scale: np.ndarray, path: str, title: str) -> None:
    """Writes a histogram PNG of face scale (iod / image width), atomically."""
    # The object API (no pyplot) needs no display and keeps no global figure state.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6, 4), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.hist(scale, bins=40, color="tab:blue")
    ax.set_xlabel("inter-ocular distance / image width")
    ax.set_ylabel("samples")
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png")


def _point_colours(num_points: int) -> List[Tuple[int, int, int]]:
    """One BGR colour per point index, along a rainbow, so the point order is visible."""
    ramp = np.linspace(0, 255, num_points).astype(np.uint8)[:, None]
    return [tuple(int(c) for c in bgr) for bgr in cv2.applyColorMap(ramp, cv2.COLORMAP_JET)[:, 0]]


def _tile(sample: Sample, size: int) -> np.ndarray:
    """The sample's image fitted into a `size x size` BGR tile, landmarks and box drawn."""
    image = cv2.imread(sample.image_path, cv2.IMREAD_COLOR)
    if image is None:
        raise DataError(f"{sample.source}: cannot decode image {sample.image_path}")
    h, w = image.shape[:2]
    s = size / max(w, h)
    new_w, new_h = max(1, round(w * s)), max(1, round(h * s))
    ox, oy = (size - new_w) // 2, (size - new_h) // 2
    tile = np.zeros((size, size, 3), np.uint8)
    tile[oy:oy + new_h, ox:ox + new_w] = cv2.resize(image, (new_w, new_h), interpolation=cv2.INTER_AREA)

    def to_tile(xy):  # pixel-centre coordinates survive scaling as (p + 0.5) * s - 0.5
        return [int(round(((v + 0.5) * s - 0.5 + o) * 16)) for v, o in zip(xy, (ox, oy))]

    if sample.box is not None:
        cv2.rectangle(tile, to_tile(sample.box[:2]), to_tile(sample.box[2:]), (0, 255, 0), 1, cv2.LINE_AA, 4)
    for point, colour in zip(sample.points, _point_colours(len(sample.points))):
        cv2.circle(tile, to_tile(point), 2 * 16, colour, -1, cv2.LINE_AA, 4)  # shift=4: 1/16 px
    label = sample.source.rsplit(":", 1)[-1]
    cv2.putText(tile, label, (3, 12), cv2.FONT_HERSHEY_SIMPLEX, 0.35, (255, 255, 255), 1, cv2.LINE_AA)
    return tile


def contact_sheet(samples: Sequence[Sample], n: int = 16, tile: int = TILE) -> np.ndarray:
    """A grid of up to `n` samples spread evenly over the list, each with its line number.

    Returns:
      uint8 BGR image with shape `(rows * tile, cols * tile, 3)`, `cols = ceil(sqrt(m))`,
      `rows = ceil(m / cols)` for `m = min(n, len(samples))`.
    """
    if n < 1 or not samples:
        raise ValueError(f"contact sheet needs n >= 1 and samples, got n={n}, {len(samples)} samples")
    picks = np.unique(np.linspace(0, len(samples) - 1, min(n, len(samples))).round().astype(int))
    cols = math.ceil(math.sqrt(len(picks)))
    rows = math.ceil(len(picks) / cols)
    sheet = np.zeros((rows * tile, cols * tile, 3), np.uint8)
    for i, index in enumerate(picks):
        r, c = divmod(i, cols)
        sheet[r * tile:(r + 1) * tile, c * tile:(c + 1) * tile] = _tile(samples[index], tile)
    return sheet


def save_png(path: str, image: np.ndarray) -> None:
    """Writes a BGR image as PNG, atomically."""
    ok, data = cv2.imencode(".png", image)
    if not ok:
        raise DataError(f"{path}: PNG encoding failed")
    write_bytes(path, data.tobytes())

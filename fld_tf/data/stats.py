"""Looking at a landmark list before training on it: summary numbers, a face-scale histogram and a
contact sheet of images with their landmarks drawn.

Image coordinates follow `fld_tf.geometry`: the centre of the top-left pixel is (0, 0), so a
`W x H` image covers x in [-0.5, W - 0.5] and y in [-0.5, H - 0.5]; a point beyond that is "outside".
"""
from __future__ import annotations

import collections
import dataclasses
import math
from typing import Dict, Sequence, Tuple

import cv2
import numpy as np

from fld_tf import plots
from fld_tf.data.readers import ReadResult, image_size
from fld_tf.data.sample import DataError, Sample
from fld_tf.io import atomic_path
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


def contact_sheet(samples: Sequence[Sample], path: str, n: int = 16, tile: int = TILE) -> np.ndarray:
    """Writes a grid of up to `n` samples spread evenly over the list (`fld_tf.plots.contact_sheet`):
    landmarks in point-order colours, the face box if any, each tile labelled with its line number.

    Returns:
      the RGB sheet, `cols = ceil(sqrt(m))` tiles wide for `m = min(n, len(samples))`.
    """
    if n < 1 or not samples:
        raise ValueError(f"contact sheet needs n >= 1 and samples, got n={n}, {len(samples)} samples")
    spread = np.linspace(0, len(samples) - 1, min(n, len(samples))).round().astype(int)
    picks = [samples[i] for i in np.unique(spread)]
    images = []
    for sample in picks:
        image = cv2.imread(sample.image_path, cv2.IMREAD_COLOR)
        if image is None:
            raise DataError(f"{sample.source}: cannot decode image {sample.image_path}")
        images.append(cv2.cvtColor(image, cv2.COLOR_BGR2RGB))
    return plots.contact_sheet(images, [s.points for s in picks], path, cols=math.ceil(math.sqrt(len(picks))),
                               color=plots.point_colors(len(picks[0].points)), tile_size=tile,
                               labels=[s.source.rsplit(":", 1)[-1] for s in picks],
                               boxes=[s.box for s in picks])

"""Looking at a landmark list before training on it: summary numbers, a face-scale histogram and a
contact sheet of images with their landmarks drawn.

Image coordinates follow `fld_tf.geometry`: the centre of the top-left pixel is (0, 0), so a
`W x H` image covers x in [-0.5, W - 0.5] and y in [-0.5, H - 0.5]; a point beyond that is "outside".
"""
from __future__ import annotations

import collections
import dataclasses
import math
import os
from typing import Dict, List, Sequence, Tuple

import cv2
import numpy as np

from fld_tf import plots
from fld_tf.data.readers import ReadResult, image_size
from fld_tf.data.sample import DataError, Sample
from fld_tf.io import atomic_path
from fld_tf.schemes import PointScheme

TILE = 160  # contact-sheet cell side, pixels


PERCENTILES = (5, 25, 50, 75, 95)
COMMON_SIZES = 3  # most frequent image sizes listed


@dataclasses.dataclass(frozen=True)
class ListStats:
    """Summary of one list.

    Attributes:
      count, skipped, with_box, with_attributes: record counts.
      sizes: `(width, height)` of each sample's image, shape `(N, 2)`.
      iod: inter-ocular distance (`scheme.normalizing_distance`) per sample, pixels, shape `(N,)`.
      scale: `iod / image width` per sample, shape `(N,)`.
      outside_points, outside_samples: points beyond the image area (yet within
        `readers.OUTSIDE_TOLERANCE`: further out is a read error), and samples with any.
      total_points: N x num_points.
    """

    count: int
    skipped: int
    with_box: int
    with_attributes: int
    sizes: np.ndarray
    iod: np.ndarray
    scale: np.ndarray
    outside_points: int
    outside_samples: int
    total_points: int

    def common_sizes(self, n: int = COMMON_SIZES) -> List[Tuple[Tuple[int, int], int]]:
        """The `n` most frequent `((width, height), count)`, most frequent first."""
        return collections.Counter(map(tuple, self.sizes.astype(int).tolist())).most_common(n)


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
        sizes=sizes.astype(np.int64),
        iod=iod,
        scale=iod / sizes[:, 0],
        outside_points=int(outside.sum()),
        outside_samples=int(outside.any(axis=1).sum()),
        total_points=int(outside.size),
    )


def _range(values: np.ndarray) -> str:
    return f"{np.min(values):.0f}..{np.max(values):.0f} (median {np.median(values):.0f})"


def _percentiles(values: np.ndarray, digits: int) -> str:
    return "  ".join(f"p{p} {v:.{digits}f}" for p, v in zip(PERCENTILES, np.percentile(values, PERCENTILES)))


def format_stats(stats: ListStats) -> str:
    """The printed summary (without the list's name): a few lines, whatever the list's size."""
    distinct = len({tuple(s) for s in stats.sizes.tolist()})
    common = ", ".join(f"{w}x{h} ({n})" for (w, h), n in stats.common_sizes())
    return "\n".join([
        f"samples: {stats.count}  skipped: {stats.skipped}  with box: {stats.with_box}  "
        f"with attributes: {stats.with_attributes}",
        f"image sizes: {distinct} distinct; width {_range(stats.sizes[:, 0])}; "
        f"height {_range(stats.sizes[:, 1])}; most common {common}",
        f"inter-ocular distance (px): {_percentiles(stats.iod, 1)}  (min {stats.iod.min():.1f}, "
        f"max {stats.iod.max():.1f})",
        f"face scale (iod / image width): {_percentiles(stats.scale, 3)}",
        f"points outside the image: {stats.outside_points} of {stats.total_points} "
        f"(in {stats.outside_samples} samples)",
    ])


def save_histograms(lists: Dict[str, ListStats], path: str) -> None:
    """Writes one PNG, each list in its own colour: image sizes (width against height), and
    histograms of inter-ocular distance and face scale (iod / image width); atomically."""
    # The object API (no pyplot) needs no display and keeps no global figure state.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(12, 3.6), dpi=100)
    FigureCanvasAgg(fig)
    names = {name: f"{os.path.basename(os.path.normpath(name))} ({s.count})" for name, s in lists.items()}
    ax = fig.add_subplot(1, 3, 1)
    for name, s in lists.items():
        ax.scatter(s.sizes[:, 0], s.sizes[:, 1], s=8, alpha=0.5, label=names[name])
    ax.set_xlabel("image width (px)")
    ax.set_ylabel("image height (px)")
    ax.legend(fontsize=8)
    for i, (label, values) in enumerate((("inter-ocular distance (px)", lambda s: s.iod),
                                         ("face scale: iod / image width", lambda s: s.scale))):
        ax = fig.add_subplot(1, 3, i + 2)
        data = [np.asarray(values(s), np.float64) for s in lists.values()]
        bins = np.histogram_bin_edges(np.concatenate(data), bins=30)
        for name, d in zip(lists, data):
            ax.hist(d, bins=bins, alpha=0.6, label=names[name])
        ax.set_xlabel(label)
        ax.set_ylabel("samples")
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

"""Point schemes: the one place that names landmarks, flip partners and NME reference points.

Augmentation (flip), metrics (NME normalisation), export (model card) and the Android core (through
the card) all read these facts from here.
"""
from __future__ import annotations

import dataclasses
from typing import Dict, Sequence, Tuple

import numpy as np


@dataclasses.dataclass(frozen=True)
class PointScheme:
    """A landmark layout.

    Attributes:
      name: registry key, e.g. `"mtfl5"`.
      point_names: one name per point, in output order.
      flip_pairs: index pairs that swap under a horizontal flip (points not listed map to themselves).
      nme_indices: two point indices (or two groups of indices, averaged) whose distance normalises NME.
      attribute_names: per-sample attribute flags that lists of this scheme may carry.
    """

    name: str
    point_names: Tuple[str, ...]
    flip_pairs: Tuple[Tuple[int, int], ...]
    nme_indices: Tuple[Tuple[int, ...], Tuple[int, ...]]
    attribute_names: Tuple[str, ...] = ()

    @property
    def num_points(self) -> int:
        return len(self.point_names)

    @property
    def flip_indices(self) -> np.ndarray:
        """Permutation `p` so that `flipped_points = points[p]` after mirroring x."""
        perm = np.arange(self.num_points)
        for a, b in self.flip_pairs:
            perm[a], perm[b] = b, a
        return perm

    def normalizing_distance(self, points: np.ndarray) -> np.ndarray:
        """Distance used to normalise NME.

        Args:
          points: array with shape `(..., num_points, 2)`.

        Returns:
          Array with shape `(...)`: distance between the two reference points (or group means).
        """
        a = points[..., list(self.nme_indices[0]), :].mean(axis=-2)
        b = points[..., list(self.nme_indices[1]), :].mean(axis=-2)
        return np.linalg.norm(a - b, axis=-1)

    def to_dict(self) -> Dict:
        """The scheme as plain JSON types, for the model card."""
        return {
            "name": self.name,
            "num_points": self.num_points,
            "point_names": list(self.point_names),
            "flip_pairs": [list(p) for p in self.flip_pairs],
            "flip_indices": self.flip_indices.tolist(),
            "nme_indices": [list(g) for g in self.nme_indices],
            "attribute_names": list(self.attribute_names),
        }


def _pairs_by_name(names: Sequence[str], left: str = "left", right: str = "right"):
    """Flip pairs for names that differ only by a left/right word."""
    index = {n: i for i, n in enumerate(names)}
    pairs = []
    for i, n in enumerate(names):
        if left in n.split("_"):
            j = index[n.replace(left, right)]
            pairs.append((i, j))
    return tuple(pairs)


_MTFL5_NAMES = ("left_eye", "right_eye", "nose_tip", "left_mouth", "right_mouth")

# 68-point iBUG/300-W layout, indices as in the 300-W .pts files (0-based here).
_IBUG68_FLIP = tuple(
    [(i, 16 - i) for i in range(8)]
    + [(17 + i, 26 - i) for i in range(5)]
    + [(31, 35), (32, 34)]
    + [(36, 45), (37, 44), (38, 43), (39, 42), (40, 47), (41, 46)]
    + [(48, 54), (49, 53), (50, 52), (55, 59), (56, 58), (60, 64), (61, 63), (65, 67)]
)

# 98-point WFLW layout.
_WFLW98_FLIP = tuple(
    [(i, 32 - i) for i in range(16)]
    + [(33 + i, 46 - i) for i in range(5)]
    + [(38 + i, 50 - i) for i in range(4)]
    + [(55, 59), (56, 58)]
    + [(60, 72), (61, 71), (62, 70), (63, 69), (64, 68), (65, 75), (66, 74), (67, 73)]
    + [(76, 82), (77, 81), (78, 80), (83, 87), (84, 86), (88, 92), (89, 91), (95, 93)]
    + [(96, 97)]
)

SCHEMES: Dict[str, PointScheme] = {
    "mtfl5": PointScheme(
        name="mtfl5",
        point_names=_MTFL5_NAMES,
        flip_pairs=_pairs_by_name(_MTFL5_NAMES),
        nme_indices=((0,), (1,)),  # eye centres: the inter-ocular (pupil) distance
        attribute_names=("gender", "smile", "glasses", "pose"),
    ),
    "ibug68": PointScheme(
        name="ibug68",
        point_names=tuple(f"p{i}" for i in range(68)),
        flip_pairs=_IBUG68_FLIP,
        nme_indices=((36,), (45,)),  # outer eye corners: inter-ocular
    ),
    "wflw98": PointScheme(
        name="wflw98",
        point_names=tuple(f"p{i}" for i in range(98)),
        flip_pairs=_WFLW98_FLIP,
        nme_indices=((60,), (72,)),  # outer eye corners: inter-ocular
        attribute_names=("pose", "expression", "illumination", "makeup", "occlusion", "blur"),
    ),
}


def get_scheme(name: str) -> PointScheme:
    """Looks up a scheme by name, with an error that lists the known ones."""
    try:
        return SCHEMES[name]
    except KeyError:
        raise ValueError(f"unknown point scheme {name!r}; known: {', '.join(sorted(SCHEMES))}") from None

"""Point schemes: the one place that names landmarks and states their facts.

Names, flip pairs, NME reference points (and the protocol's other normalisations), contour groups,
the 5-point subset and each scheme's measured crop constants live here. Augmentation (flip),
metrics (NME, per-region error), the crop rule's defaults, export (model card) and every consumer
of the card (`fld_tf.predict`, the Android core) read them from here, never from tables of their own.

"left" and "right" are image-left and image-right in every scheme (as MTFL defines them): the
subject's right eye is the image-left eye. Flip pairs are derived from the names.
"""
from __future__ import annotations

import dataclasses
from typing import Dict, Optional, Sequence, Tuple

import numpy as np

IndexGroup = Tuple[int, ...]


@dataclasses.dataclass(frozen=True)
class Contour:
    """A polyline through points of a scheme, for drawing and per-region error.

    Attributes:
      name: e.g. `"left_eye"`.
      indices: point indices in drawing order.
      closed: whether the last point joins the first.
      region: the coarse region it belongs to (`jaw`, `brows`, `nose`, `eyes`, `mouth`).
    """

    name: str
    indices: IndexGroup
    closed: bool
    region: str

    def to_dict(self) -> Dict:
        return {"name": self.name, "indices": list(self.indices), "closed": self.closed,
                "region": self.region}


@dataclasses.dataclass(frozen=True)
class CropDefaults:
    """The crop rule's constants measured for a scheme (see `fld_tf.config.CropConfig`)."""

    landmark_scale: float
    landmark_shift: Tuple[float, float]
    box_scale: float
    box_shift: Tuple[float, float]
    measured_on: str  # what they were measured on (benchmarks/calibrate_crop.py)


@dataclasses.dataclass(frozen=True)
class PointScheme:
    """A landmark layout.

    Attributes:
      name: registry key, e.g. `"mtfl5"`.
      point_names: one name per point, in output order.
      flip_pairs: index pairs that swap under a horizontal flip (points not listed map to themselves).
      nme_indices: two point indices (or two groups of indices, averaged) whose distance normalises NME.
      attribute_names: per-sample attribute flags that lists of this scheme may carry.
      contours: polylines (eyes, brows, lips, ...); empty for sparse schemes.
      subset5: for each MTFL point (eye centres, nose tip, mouth corners, image-left first), the
        points of this scheme whose mean defines it; lets any scheme feed 5-point consumers.
      nme_variants: other normalisations the scheme's protocol reports, `(name, group_a, group_b)`.
      failure_thresholds: failure-rate thresholds the protocol reports, as fractions.
      crop: the measured crop-rule defaults for this scheme (None: not measured).
    """

    name: str
    point_names: Tuple[str, ...]
    flip_pairs: Tuple[Tuple[int, int], ...]
    nme_indices: Tuple[IndexGroup, IndexGroup]
    attribute_names: Tuple[str, ...] = ()
    crop: Optional[CropDefaults] = None
    contours: Tuple[Contour, ...] = ()
    subset5: Tuple[IndexGroup, ...] = ((0,), (1,), (2,), (3,), (4,))
    nme_variants: Tuple[Tuple[str, IndexGroup, IndexGroup], ...] = ()
    failure_thresholds: Tuple[float, ...] = (0.10,)

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

    @property
    def regions(self) -> Dict[str, IndexGroup]:
        """Region name -> the sorted point indices of its contours, in first-seen order."""
        out: Dict[str, set] = {}
        for c in self.contours:
            out.setdefault(c.region, set()).update(c.indices)
        return {r: tuple(sorted(i)) for r, i in out.items()}

    def normalizing_distance(self, points: np.ndarray, groups=None) -> np.ndarray:
        """Distance used to normalise NME.

        Args:
          points: array with shape `(..., num_points, 2)`.
          groups: two index groups; default `nme_indices`.

        Returns:
          Array with shape `(...)`: distance between the two reference points (or group means).
        """
        groups = groups or self.nme_indices
        a = points[..., list(groups[0]), :].mean(axis=-2)
        b = points[..., list(groups[1]), :].mean(axis=-2)
        return np.linalg.norm(a - b, axis=-1)

    def to_subset5(self, points: np.ndarray) -> np.ndarray:
        """`(..., num_points, 2)` -> `(..., 5, 2)` in MTFL's point order (`subset5`)."""
        return np.stack([points[..., list(g), :].mean(axis=-2) for g in self.subset5], axis=-2)

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
            "contours": [c.to_dict() for c in self.contours],
            "subset5": [list(g) for g in self.subset5],
        }


def _pairs_by_name(names: Sequence[str], left: str = "left", right: str = "right"):
    """Flip pairs for names that differ only by a left/right word."""
    index = {n: i for i, n in enumerate(names)}
    pairs = []
    for i, n in enumerate(names):
        words = n.split("_")
        if left in words:
            j = index["_".join(right if w == left else w for w in words)]
            pairs.append((i, j))
    return tuple(pairs)


def _contours(*specs) -> Tuple[Contour, ...]:
    """`(name, first, last, closed, region)` spans -> contours over `first..last`."""
    return tuple(Contour(n, tuple(range(a, b + 1)), closed, region) for n, a, b, closed, region in specs)


def _side(prefix: str, count: int, mirror: bool = False) -> Tuple[str, ...]:
    """`left_jaw_1..count` then `right_jaw_count..1` style names around a midline point."""
    names = [f"{prefix}_{i}" for i in range(1, count + 1)]
    return tuple(reversed(names)) if mirror else tuple(names)


_MTFL5_NAMES = ("left_eye", "right_eye", "nose_tip", "left_mouth", "right_mouth")

# Shared by the 68- and 98-point markups, in both files' order.
_NOSE_BRIDGE = ("nose_bridge_top", "nose_bridge_2", "nose_bridge_3", "nose_tip")
_NOSTRILS = ("left_nostril_outer", "left_nostril", "nose_base", "right_nostril", "right_nostril_outer")
_OUTER_LIPS = ("left_mouth_corner", "left_upper_lip_outer", "left_upper_lip_mid", "upper_lip_top",
               "right_upper_lip_mid", "right_upper_lip_outer", "right_mouth_corner",
               "right_lower_lip_outer", "right_lower_lip_mid", "lower_lip_bottom", "left_lower_lip_mid",
               "left_lower_lip_outer")
_INNER_LIPS = ("left_inner_mouth_corner", "left_inner_upper_lip", "inner_upper_lip", "right_inner_upper_lip",
               "right_inner_mouth_corner", "right_inner_lower_lip", "inner_lower_lip", "left_inner_lower_lip")

# The i-bug 68-point markup of 300-W, in its order (0-based); image-left first within a pair.
_IBUG68_NAMES = (
    _side("left_jaw", 8) + ("chin",) + _side("right_jaw", 8, mirror=True)                      # 0-16
    + ("left_brow_outer", "left_brow_2", "left_brow_mid", "left_brow_4", "left_brow_inner")    # 17-21
    + ("right_brow_inner", "right_brow_4", "right_brow_mid", "right_brow_2", "right_brow_outer")  # 22-26
    + _NOSE_BRIDGE  # 27-30
    + _NOSTRILS  # 31-35
    + ("left_eye_outer", "left_eye_upper_outer", "left_eye_upper_inner", "left_eye_inner",
       "left_eye_lower_inner", "left_eye_lower_outer")                                         # 36-41
    + ("right_eye_inner", "right_eye_upper_inner", "right_eye_upper_outer", "right_eye_outer",
       "right_eye_lower_outer", "right_eye_lower_inner")                                       # 42-47
    + _OUTER_LIPS  # 48-59
    + _INNER_LIPS  # 60-67
)

# WFLW's 98 points, in its order.
_WFLW98_NAMES = (
    _side("left_contour", 16) + ("chin",) + _side("right_contour", 16, mirror=True)            # 0-32
    + _side("left_brow_upper", 5) + _side("left_brow_lower", 4, mirror=True)                   # 33-41
    + _side("right_brow_upper", 5, mirror=True) + _side("right_brow_lower", 4)                 # 42-50
    + _NOSE_BRIDGE  # 51-54
    + _NOSTRILS  # 55-59
    + ("left_eye_outer", "left_eye_upper_outer", "left_eye_upper", "left_eye_upper_inner",
       "left_eye_inner", "left_eye_lower_inner", "left_eye_lower", "left_eye_lower_outer")     # 60-67
    + ("right_eye_inner", "right_eye_upper_inner", "right_eye_upper", "right_eye_upper_outer",
       "right_eye_outer", "right_eye_lower_outer", "right_eye_lower", "right_eye_lower_inner")  # 68-75
    + _OUTER_LIPS  # 76-87
    + _INNER_LIPS  # 88-95
    + ("left_pupil", "right_pupil")                                                            # 96-97
)

# Measured by benchmarks/calibrate_crop.py (see BENCHMARKS.md): for mtfl5 so that landmark crops of
# the MTFL training photos look like the tight AFLW test crops; for the dense schemes so that their
# crop is the same face square as the mtfl5 rule gives on their 5-point subset.
_MTFL5_CROP = CropDefaults(2.87, (0.024, 0.043), 1.61, (0.023, 0.034),
                           "MTFL: AFLW test crops (landmarks), CUHK train boxes (box)")
_IBUG68_CROP = CropDefaults(1.42, (0.015, -0.045), 1.61, (0.023, 0.034),
                            "HELEN trainset: the mtfl5 square of its 5-point subset")

SCHEMES: Dict[str, PointScheme] = {
    "mtfl5": PointScheme(
        name="mtfl5",
        point_names=_MTFL5_NAMES,
        flip_pairs=_pairs_by_name(_MTFL5_NAMES),
        nme_indices=((0,), (1,)),  # eye centres: the inter-ocular (pupil) distance
        crop=_MTFL5_CROP,
        attribute_names=("gender", "smile", "glasses", "pose"),
    ),
    "ibug68": PointScheme(
        name="ibug68",
        point_names=_IBUG68_NAMES,
        flip_pairs=_pairs_by_name(_IBUG68_NAMES),
        nme_indices=((36,), (45,)),  # outer eye corners: 300-W's inter-ocular distance
        crop=_IBUG68_CROP,
        contours=_contours(
            ("jaw", 0, 16, False, "jaw"),
            ("left_brow", 17, 21, False, "brows"), ("right_brow", 22, 26, False, "brows"),
            ("nose_bridge", 27, 30, False, "nose"), ("nostrils", 31, 35, False, "nose"),
            ("left_eye", 36, 41, True, "eyes"), ("right_eye", 42, 47, True, "eyes"),
            ("outer_lips", 48, 59, True, "mouth"), ("inner_lips", 60, 67, True, "mouth")),
        subset5=(tuple(range(36, 42)), tuple(range(42, 48)), (30,), (48,), (54,)),
        nme_variants=(("pupils", tuple(range(36, 42)), tuple(range(42, 48))),),
        failure_thresholds=(0.08, 0.10),
    ),
    "wflw98": PointScheme(
        name="wflw98",
        point_names=_WFLW98_NAMES,
        flip_pairs=_pairs_by_name(_WFLW98_NAMES),
        nme_indices=((60,), (72,)),  # outer eye corners: inter-ocular
        # Not measured on WFLW (not on this machine): the 68-point values, whose extent is alike.
        crop=dataclasses.replace(_IBUG68_CROP, measured_on="not measured: ibug68's values"),
        attribute_names=("pose", "expression", "illumination", "makeup", "occlusion", "blur"),
        contours=_contours(
            ("jaw", 0, 32, False, "jaw"),
            ("left_brow", 33, 41, True, "brows"), ("right_brow", 42, 50, True, "brows"),
            ("nose_bridge", 51, 54, False, "nose"), ("nostrils", 55, 59, False, "nose"),
            ("left_eye", 60, 67, True, "eyes"), ("right_eye", 68, 75, True, "eyes"),
            ("outer_lips", 76, 87, True, "mouth"), ("inner_lips", 88, 95, True, "mouth"),
            ("pupils", 96, 97, False, "eyes")),
        subset5=((96,), (97,), (54,), (76,), (82,)),
        nme_variants=(("pupils", (96,), (97,)),),
        failure_thresholds=(0.08, 0.10),
    ),
}


def get_scheme(name: str) -> PointScheme:
    """Looks up a scheme by name, with an error that lists the known ones."""
    try:
        return SCHEMES[name]
    except KeyError:
        raise ValueError(f"unknown point scheme {name!r}; known: {', '.join(sorted(SCHEMES))}") from None

"""Landmark accuracy: NME, failure rate, CED and its AUC.

Shape legend: N faces, K points, 2 coordinates (x, y). The numpy functions are the reference;
evaluation, export parity and the Keras metric (`fld_tf.keras_metrics`) all compute the same numbers;
this module needs only numpy, so drawing and prediction do not load TensorFlow.

Every error here is a fraction of the scheme's normalising distance (inter-ocular for mtfl5), not a
percentage: 0.05 means 5 % of the eye distance. Only `summarize` converts to percent, and its keys
say so.
"""
from __future__ import annotations

from typing import Dict, Tuple

import numpy as np

from fld_tf.schemes import PointScheme

DEFAULT_THRESHOLD = 0.10


def point_errors(pred: np.ndarray, gt: np.ndarray, scheme: PointScheme, groups=None) -> np.ndarray:
    """Euclidean error of every point, divided by the normalising distance of its ground truth.

    Args:
      pred: predicted points with shape `(N, K, 2)`.
      gt: ground-truth points with shape `(N, K, 2)`, in the same units as `pred`.
      scheme: the layout; `scheme.normalizing_distance(gt)` sets each face's scale.
      groups: two index groups to normalise by instead of `scheme.nme_indices` (one of the
        scheme's `nme_variants`).

    Returns:
      Array with shape `(N, K)`, as fractions of the normalising distance.

    Raises:
      ValueError: mismatched shapes, `K != scheme.num_points`, or a face whose normalising
        distance is not positive (its error would be infinite).
    """
    pred = np.asarray(pred, np.float64)
    gt = np.asarray(gt, np.float64)
    if gt.ndim != 3 or gt.shape[1:] != (scheme.num_points, 2) or pred.shape != gt.shape:
        raise ValueError(f"pred {pred.shape} and gt {gt.shape} must both have shape "
                         f"(N, {scheme.num_points}, 2) for scheme {scheme.name!r}")
    norm = scheme.normalizing_distance(gt, groups)
    bad = np.flatnonzero(~(norm > 0))
    if bad.size:
        raise ValueError(f"faces {bad[:10].tolist()} have a normalising distance of zero "
                         f"(scheme {scheme.name!r}, points {groups or scheme.nme_indices})")
    return np.linalg.norm(pred - gt, axis=-1) / norm[:, None]


def nme(pred: np.ndarray, gt: np.ndarray, scheme: PointScheme) -> np.ndarray:
    """Normalised mean error of each face: mean over its K points of `point_errors`.

    Args:
      pred: shape `(N, K, 2)`.
      gt: shape `(N, K, 2)`.
      scheme: the layout that names the normalising points.

    Returns:
      Array with shape `(N,)`, as fractions (multiply by 100 for percent).
    """
    return point_errors(pred, gt, scheme).mean(axis=1)


def per_point_error(pred: np.ndarray, gt: np.ndarray, scheme: PointScheme) -> np.ndarray:
    """Mean over faces of each point's normalised error.

    Returns:
      Array with shape `(K,)`, as fractions; its mean equals `nme(...).mean()`.
    """
    return point_errors(pred, gt, scheme).mean(axis=0)


def _checked_errors(errors: np.ndarray) -> np.ndarray:
    """Errors as a flat float array; an empty set has no rate, so it is an error."""
    errors = np.asarray(errors, np.float64).reshape(-1)
    if errors.size == 0:
        raise ValueError("no errors given: cannot summarise an empty set of faces")
    return errors


def failure_rate(errors: np.ndarray, threshold: float = DEFAULT_THRESHOLD) -> float:
    """Fraction of faces whose error is above `threshold` (strictly).

    Args:
      errors: per-face NME with shape `(N,)`, as fractions.
      threshold: failure threshold, as a fraction (0.10 = 10 %).

    Returns:
      A fraction in [0, 1].
    """
    return float(np.mean(_checked_errors(errors) > threshold))


def auc(errors: np.ndarray, threshold: float = DEFAULT_THRESHOLD) -> float:
    """Area under the CED curve from 0 to `threshold`, divided by `threshold`.

    Computed exactly, not by sampling a grid: the CED is the step function
    `F(x) = mean(errors <= x)`, and each face contributes `1/N` on `[e_i, threshold]`, so
    `integral_0^t F(x) dx / t = mean(clip(1 - e_i / t, 0, 1))`.

    Args:
      errors: per-face NME with shape `(N,)`, as fractions (non-negative).
      threshold: upper integration limit, as a fraction.

    Returns:
      A value in [0, 1]; 1.0 when every error is 0, 0.0 when every error is >= `threshold`.
    """
    if not threshold > 0:
        raise ValueError(f"threshold must be positive, got {threshold}")
    return float(np.mean(np.clip(1.0 - _checked_errors(errors) / threshold, 0.0, 1.0)))


def ced(errors: np.ndarray, threshold: float = DEFAULT_THRESHOLD,
        steps: int = 1000) -> Tuple[np.ndarray, np.ndarray]:
    """Cumulative error distribution on an even grid.

    Args:
      errors: per-face NME with shape `(N,)`, as fractions.
      threshold: right end of the grid, as a fraction.
      steps: number of grid points, both ends included.

    Returns:
      `(x, y)`, each with shape `(steps,)`: `x` runs from 0 to `threshold`, and `y[i]` is the
      fraction of faces with error `<= x[i]` (non-decreasing, in [0, 1]).
    """
    if steps < 2:
        raise ValueError(f"steps must be at least 2, got {steps}")
    ordered = np.sort(_checked_errors(errors))
    x = np.linspace(0.0, threshold, steps)
    y = np.searchsorted(ordered, x, side="right") / ordered.size
    return x, y


def summarize(pred: np.ndarray, gt: np.ndarray, scheme: PointScheme,
              threshold: float = DEFAULT_THRESHOLD) -> Dict:
    """All headline numbers for one evaluation set, as plain JSON types.

    Args:
      pred: shape `(N, K, 2)`.
      gt: shape `(N, K, 2)`.
      scheme: the layout; its point names key the per-point errors.
      threshold: failure / AUC threshold, as a fraction.

    Returns:
      A dict with `count`, `nme_percent`, `failure_rate_percent`, `threshold_percent`,
      `auc_at_<threshold in %>` (e.g. `auc_at_10`, a fraction in [0, 1]) and
      `per_point_nme_percent` (point name -> percent); then what the scheme's protocol also
      reports: `failure_rate_percent_at` (threshold in % -> rate, for `failure_thresholds`),
      `nme_percent_by` (variant name -> NME, for `nme_variants`) and, for schemes with contours,
      `per_region_nme_percent` (region -> mean NME of its points).
    """
    errors = point_errors(pred, gt, scheme)
    per_face = errors.mean(axis=1)
    per_point = errors.mean(axis=0)
    pct = 100.0 * threshold
    return {
        "count": int(per_face.size),
        "nme_percent": 100.0 * float(per_face.mean()),
        "failure_rate_percent": 100.0 * failure_rate(per_face, threshold),
        "threshold_percent": float(pct),
        f"auc_at_{pct:g}": auc(per_face, threshold),
        "per_point_nme_percent": {name: 100.0 * float(e) for name, e in zip(scheme.point_names, per_point)},
        "failure_rate_percent_at": {
            f"{100 * t:g}": 100.0 * failure_rate(per_face, t) for t in scheme.failure_thresholds},
        "nme_percent_by": {
            name: 100.0 * float(point_errors(pred, gt, scheme, (a, b)).mean())
            for name, a, b in scheme.nme_variants},
        "per_region_nme_percent": {
            region: 100.0 * float(per_point[list(ix)].mean()) for region, ix in scheme.regions.items()},
    }


def reference_weights(scheme: PointScheme) -> np.ndarray:
    """Weights `w` with shape `(K,)` so that `sum_k w_k p_k` is the normalising vector.

    `PointScheme.normalizing_distance` takes the distance between two group means, which is the
    norm of a fixed linear combination of the points; as weights, it needs no fancy indexing in TF.
    """
    weights = np.zeros(scheme.num_points, np.float32)
    for sign, group in zip((1.0, -1.0), scheme.nme_indices):
        weights[list(group)] += sign / len(group)
    return weights

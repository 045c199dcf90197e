"""Training losses: wing / L1 / L2 on landmarks, with online hard-example mining, and the
auxiliary attribute loss.

Shape legend: B samples, K points. The landmark head outputs `(B, 2K)` normalised crop coordinates,
interleaved `x0, y0, x1, y1, ...`; the attribute head outputs `(B, sum(class_counts))` logits.

Both losses are `keras.losses.Loss` subclasses whose `call` returns one value per sample, shape
`(B,)`, already weighted so that the plain mean over the batch is the intended loss. Any reduction
is therefore correct: `fit` (AUTO / SUM_OVER_BATCH_SIZE, also under `tf.distribute`, where Keras
divides by the replica count), or `reduction=NONE` followed by `tf.nn.compute_average_loss` in a
custom loop. Hard-example mining is per replica: each replica keeps the hardest of its own samples.
"""
from __future__ import annotations

import math
from typing import Callable, Sequence

import numpy as np
import tensorflow as tf
import tf_keras as keras

LOSS_KINDS = ("wing", "l1", "l2")

# Slack when rounding fraction * batch up: 0.55 * 100 is 55.00000000000001 in floating point, and a
# plain ceil would keep 56 samples instead of 55. Batches are far smaller than 1 / slack.
_CEIL_SLACK = 1e-6


def wing_loss(w: float, epsilon: float) -> Callable[[tf.Tensor], tf.Tensor]:
    """Element-wise wing loss (Feng et al., CVPR 2018) of an error `x`, any shape.

    `wing(x) = w * ln(1 + |x| / epsilon)` when `|x| < w`, else `|x| - C`, with
    `C = w - w * ln(1 + w / epsilon)`.

    Args:
      w: half-width of the log region, in the units of `x` (input pixels here).
      epsilon: curvature of the log region; smaller is sharper near 0.

    Returns:
      A function mapping a tensor of errors to a tensor of losses of the same shape.
    """
    if not (w > 0 and epsilon > 0):
        raise ValueError(f"wing loss needs w > 0 and epsilon > 0, got w={w}, epsilon={epsilon}")
    # C makes the two branches meet at |x| = w (both equal w * ln(1 + w / epsilon)). It depends only
    # on the hyper-parameters, so it is a Python constant folded into the graph, not a per-batch op.
    c = w - w * math.log1p(w / epsilon)

    def loss(x):
        x = tf.abs(x)
        return tf.where(x < w, w * tf.math.log1p(x / epsilon), x - c)

    return loss


def l1_loss(x):
    """Element-wise absolute error."""
    return tf.abs(x)


def l2_loss(x):
    """Element-wise squared error."""
    return tf.square(x)


def hard_example_weights(per_sample: tf.Tensor, fraction: float) -> tf.Tensor:
    """Weights that keep the hardest `ceil(fraction * B)` samples (MTCNN's online mining, 0.7).

    Args:
      per_sample: losses with shape `(B,)`.
      fraction: share of the batch to keep, in (0, 1].

    Returns:
      Weights with shape `(B,)`: `B / k` on the `k` largest losses and 0 elsewhere, so that
      `mean(weights * per_sample)` is the mean over the kept samples. Ties go to the lower index.
    """
    batch = tf.shape(per_sample)[0]
    wanted = tf.math.ceil(fraction * tf.cast(batch, tf.float64) - _CEIL_SLACK)
    # At least one sample, at most the batch (an empty last batch on a replica keeps none).
    k = tf.minimum(tf.maximum(tf.cast(wanted, tf.int32), 1), batch)
    # Rank by a double argsort rather than top_k: XLA (jit_compile) needs top_k's k to be static.
    rank = tf.argsort(tf.argsort(-per_sample, stable=True), stable=True)
    scale = tf.math.divide_no_nan(tf.cast(batch, per_sample.dtype), tf.cast(k, per_sample.dtype))
    return tf.where(rank < k, scale, tf.zeros_like(per_sample))


class LandmarkLoss(keras.losses.Loss):
    """Per-sample landmark loss on flat `(B, 2K)` normalised coordinates.

    Both tensors are scaled to input pixels first, so `wing_w` and `wing_epsilon` are in pixels (as
    in the wing-loss paper) and L1 / L2 read as pixel errors. The element-wise loss is averaged over
    the 2K coordinates of each sample, then hard-example mining (if `hard_fraction < 1`) reweights
    the samples; see the module docstring for reductions.
    """

    def __init__(self, kind: str = "wing", input_size: int = 96, wing_w: float = 10.0,
                 wing_epsilon: float = 2.0, hard_fraction: float = 1.0, name: str = None, **kwargs):
        if kind not in LOSS_KINDS:
            raise ValueError(f"unknown loss {kind!r}; known: {', '.join(LOSS_KINDS)}")
        if not 0 < hard_fraction <= 1:
            raise ValueError(f"hard_fraction must be in (0, 1], got {hard_fraction}")
        super().__init__(name=name or f"{kind}_loss", **kwargs)
        self.kind = kind
        self.input_size = input_size
        self.wing_w = wing_w
        self.wing_epsilon = wing_epsilon
        self.hard_fraction = hard_fraction
        self._elementwise = {
            "wing": lambda: wing_loss(wing_w, wing_epsilon),
            "l1": lambda: l1_loss,
            "l2": lambda: l2_loss,
        }[kind]()

    def call(self, y_true, y_pred):
        # float32 even under mixed precision: a float16 log1p of sub-pixel errors is too coarse.
        diff = (tf.cast(y_pred, tf.float32) - tf.cast(y_true, tf.float32)) * float(self.input_size)
        per_sample = tf.reduce_mean(self._elementwise(diff), axis=-1)
        if self.hard_fraction < 1:
            per_sample *= tf.stop_gradient(hard_example_weights(per_sample, self.hard_fraction))
        return per_sample

    def get_config(self):
        return {**super().get_config(), "kind": self.kind, "input_size": self.input_size,
                "wing_w": self.wing_w, "wing_epsilon": self.wing_epsilon,
                "hard_fraction": self.hard_fraction}


def build_loss(train_cfg, input_size: int) -> LandmarkLoss:
    """The landmark loss named by `train_cfg.loss` (`TrainConfig`), for `input_size` crops."""
    return LandmarkLoss(kind=train_cfg.loss, input_size=input_size, wing_w=train_cfg.wing_w,
                        wing_epsilon=train_cfg.wing_epsilon, hard_fraction=train_cfg.hard_fraction)


class AttributeLoss(keras.losses.Loss):
    """Sparse softmax cross-entropy per attribute over concatenated logits; labels < 0 are missing.

    `y_true` has shape `(B, A)`: 0-based class labels, -1 where missing. `y_pred` has shape
    `(B, sum(class_counts))`: attribute `a`'s logits are the `class_counts[a]` columns after those
    of attributes `0..a-1`. A sample's loss is the sum of its present attributes' cross-entropies
    divided by `A`, so the batch mean weighs every present label alike and a missing label adds 0.
    """

    def __init__(self, class_counts: Sequence[int], name: str = "attribute_loss", **kwargs):
        if not class_counts or min(class_counts) < 2:
            raise ValueError(f"class_counts needs at least one attribute of >= 2 classes, "
                             f"got {class_counts!r}")
        super().__init__(name=name, **kwargs)
        self.class_counts = tuple(int(c) for c in class_counts)

    def call(self, y_true, y_pred):
        labels = tf.cast(y_true, tf.int32)
        logits = tf.split(tf.cast(y_pred, tf.float32), self.class_counts, axis=-1)
        total = 0.0
        for a, attribute_logits in enumerate(logits):
            label = labels[:, a]
            # A missing label is replaced by class 0 so the op stays valid, then masked out.
            ce = tf.nn.sparse_softmax_cross_entropy_with_logits(
                labels=tf.maximum(label, 0), logits=attribute_logits)
            total += tf.where(label >= 0, ce, tf.zeros_like(ce))
        return total / len(self.class_counts)

    def get_config(self):
        return {**super().get_config(), "class_counts": list(self.class_counts)}


def attribute_loss(class_counts: Sequence[int]) -> AttributeLoss:
    """The attribute-head loss for `class_counts` (mtfl5: `(2, 2, 2, 5)`)."""
    return AttributeLoss(class_counts)


def class_balance_weights(values: np.ndarray, power: float) -> np.ndarray:
    """Loss weights per class of one attribute, for `tf.gather(table, value + 1)`.

    Args:
      values: `(N,)` int class of each training sample, -1 where unknown.
      power: weight = (class frequency) ** -power; 0 gives all ones, 1 full inverse frequency.

    Returns:
      `(1 + C,)` float32: entry 0 (unknown) is 1, the rest are scaled so that the mean weight over
      the known samples is 1, which keeps the loss scale (and so the learning rate) unchanged.
    """
    known = values[values >= 0].astype(np.int64)
    counts = np.bincount(known, minlength=int(values.max(initial=0)) + 1).astype(np.float64)
    weights = np.where(counts > 0, np.maximum(counts, 1) ** -float(power), 0.0)
    if known.size:
        weights /= (counts * weights).sum() / known.size
    return np.concatenate([[1.0], weights]).astype(np.float32)

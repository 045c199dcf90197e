"""The Keras training metric: NME computed in the graph, the same number as `fld_tf.metrics.nme`."""
from __future__ import annotations

import fld_tf  # noqa: F401  (sets TF_USE_LEGACY_KERAS before TensorFlow loads)
import tensorflow as tf
import tf_keras as keras

from fld_tf.metrics import reference_weights
from fld_tf.schemes import PointScheme, get_scheme


class NormalizedMeanError(keras.metrics.Metric):
    """Keras metric: mean over samples of `nme`, from the model's flat output.

    `y_true` and `y_pred` have shape `(B, 2K)`, interleaved `x0, y0, x1, y1, ...`, in normalised
    crop coordinates. Crop coordinates are a similarity transform of image pixels (shift, scale,
    rotation, mirror), which leaves a ratio of distances unchanged, so the value is the image NME.
    The result is a fraction, like `nme`. A face with coincident reference points gives `inf`
    (`nme` raises instead; a training batch cannot).
    """

    def __init__(self, scheme: PointScheme, name: str = "nme", **kwargs):
        super().__init__(name=name, **kwargs)
        self.scheme = scheme
        self._weights = tf.constant(reference_weights(scheme))
        self.total = self.add_weight(name="total", initializer="zeros")
        self.count = self.add_weight(name="count", initializer="zeros")

    def update_state(self, y_true, y_pred, sample_weight=None):
        k = self.scheme.num_points
        # Cast first: under mixed precision y_pred is float16, too coarse for small errors.
        gt = tf.reshape(tf.cast(y_true, self.dtype), (-1, k, 2))
        pred = tf.reshape(tf.cast(y_pred, self.dtype), (-1, k, 2))
        norm = tf.norm(tf.einsum("bkc,k->bc", gt, self._weights), axis=-1)
        per_face = tf.reduce_mean(tf.norm(pred - gt, axis=-1), axis=-1) / norm
        weights = tf.ones_like(per_face)
        if sample_weight is not None:
            weights = tf.reshape(tf.cast(sample_weight, self.dtype), tf.shape(per_face))
        self.total.assign_add(tf.reduce_sum(per_face * weights))
        self.count.assign_add(tf.reduce_sum(weights))

    def result(self):
        return tf.math.divide_no_nan(self.total, self.count)

    def reset_state(self):
        self.total.assign(0.0)
        self.count.assign(0.0)

    def get_config(self):
        return {**super().get_config(), "scheme": self.scheme.name}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        return cls(get_scheme(config.pop("scheme")), **config)

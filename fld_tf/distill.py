"""Knowledge distillation: a student trained towards a finished run's points (issue 13).

The teacher is what that run deploys (`fld_tf.model.deployable`: flip averaging included when its
config has it on), so a single-pass student can keep the gain of the teacher's mirror pass without
paying for it on the phone, and a bigger or slower teacher can lend its accuracy to a small model.
It runs on every augmented training batch, on the device the student trains on; the student's
landmark target becomes

    (1 - train.distill_weight) * annotation + train.distill_weight * teacher

Only training steps see the teacher: validation, checkpoints and the saved model are the student's
alone. The teacher may have another input size (the batch is resized for it; normalised crop
coordinates do not depend on the size) but must have the student's point scheme.
"""
from __future__ import annotations

import fld_tf  # noqa: F401  (TF_USE_LEGACY_KERAS before TensorFlow loads)
import tensorflow as tf
import tf_keras as keras

from fld_tf.config import ConfigError


def blend_targets(annotation, teacher_points, weight: float):
    """`(1 - weight) * annotation + weight * teacher_points`, the teacher's side without gradient."""
    return (1.0 - weight) * annotation + weight * tf.stop_gradient(tf.cast(teacher_points, annotation.dtype))


def load_teacher(path: str, scheme) -> keras.Model:
    """The deployable model of run directory (or model file) `path`, frozen.

    Raises:
      ConfigError: naming `train.distill_teacher`, when `path` holds no model or one of another scheme.
    """
    from fld_tf.evaluate import load_model, run_config
    from fld_tf.model import deployable
    from fld_tf.schemes import get_scheme

    where = f"train.distill_teacher: {path}"
    try:
        cfg = run_config(path)
        model = load_model(path)
    except (OSError, ValueError) as e:
        raise ConfigError(f"train.distill_teacher: {e}") from None
    if cfg.data.scheme != scheme.name:
        raise ConfigError(f"{where}: the teacher has scheme {cfg.data.scheme!r}, the student {scheme.name!r}")
    teacher = deployable(model, cfg.model, get_scheme(cfg.data.scheme))
    if tuple(teacher.output_shape) != (None, 2 * scheme.num_points):
        raise ConfigError(f"{where}: teacher outputs {teacher.output_shape}, expected (None, "
                          f"{2 * scheme.num_points})")
    teacher.trainable = False
    return teacher


def distilling_model_class(teacher: keras.Model, weight: float):
    """A `keras.Model` class (for `fld_tf.model.build_model(model_class=...)`) whose training step
    first replaces the `landmarks` target by `blend_targets(annotation, teacher(images), weight)`.

    The teacher is held by the step's closure, not as an attribute: the student's weights,
    checkpoints and training-state backups stay exactly those of a plain run.
    """
    size = teacher.input_shape[1]

    class DistilledModel(keras.Model):
        def train_step(self, data):
            x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
            images = x if x.shape[1] == size else tf.image.resize(x, (size, size), antialias=True)
            y = {**y, "landmarks": blend_targets(y["landmarks"], teacher(images, training=False), weight)}
            return super().train_step(keras.utils.pack_x_y_sample_weight(x, y, sample_weight))

    return DistilledModel


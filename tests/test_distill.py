"""fld_tf.distill: the blended target, the training step that uses it, and the teacher checks."""
import numpy as np
import pytest
import tensorflow as tf
import tf_keras as keras

from fld_tf import distill
from fld_tf.config import ConfigError, load_config
from fld_tf.losses import build_loss
from fld_tf.model import build_model
from fld_tf.schemes import get_scheme
from fld_tf.train import compile_model

MTFL5 = get_scheme("mtfl5")


def test_blend_targets_hand_computed():
    annotation = tf.constant([[0.2, 0.4, 1.0]])
    teacher = tf.constant([[0.6, 0.0, 1.0]])
    # 0.75 * 0.2 + 0.25 * 0.6 = 0.3; 0.75 * 0.4 + 0.25 * 0 = 0.3; 1 stays 1.
    np.testing.assert_allclose(distill.blend_targets(annotation, teacher, 0.25).numpy(), [[0.3, 0.3, 1.0]],
                               rtol=1e-6)
    np.testing.assert_allclose(distill.blend_targets(annotation, teacher, 1.0).numpy(), teacher.numpy())


def _constant_teacher(size, value):
    """A teacher of another input size whose points are all `value`."""
    image = keras.Input((size, size, 3))
    points = keras.layers.Lambda(lambda x: tf.zeros([tf.shape(x)[0], 10]) + value)(image)
    return keras.Model(image, points, name="constant")


@pytest.mark.parametrize("weight", [1.0, 0.5])
def test_training_step_fits_the_blended_target(weight):
    cfg = load_config(None, ["model.input_size=64", "model.alpha=0.35", "model.attribute_head=false",
                             "model.dropout=0", "train.loss=l2", "model.heatmap_sigma=0"])  # the landmark loss alone
    model_class = distill.distilling_model_class(_constant_teacher(48, 0.75), weight)
    model = build_model(cfg.model, MTFL5, model_class=model_class)
    compile_model(model, cfg, MTFL5, steps_per_epoch=10)
    plain = build_model(cfg.model, MTFL5)
    assert len(model.weights) == len(plain.weights)  # the teacher is no part of the student's state

    rng = np.random.default_rng(0)
    images = rng.uniform(0, 255, (8, 64, 64, 3)).astype(np.float32)
    annotation = rng.uniform(0.2, 0.8, (8, 10)).astype(np.float32)
    before = model(images, training=True)["landmarks"]  # the step's forward pass: batch statistics, no dropout
    loss = build_loss(cfg.train, 64)
    target = (1 - weight) * annotation + weight * 0.75
    want = float(loss(target, before))
    got = model.train_on_batch(images, {"landmarks": annotation}, return_dict=True)["loss"]
    assert got == pytest.approx(want, rel=1e-4)
    assert abs(want - float(loss(annotation, before))) > 1.0  # the annotation alone gives another loss


def test_load_teacher_checks_path_and_scheme(tmp_path):
    with pytest.raises(ConfigError, match=r"^train.distill_teacher: .*nowhere: no such model"):
        distill.load_teacher(str(tmp_path / "nowhere"), MTFL5)
    cfg = load_config(None, ["model.input_size=64", "model.alpha=0.35", "model.attribute_head=false"])
    build_model(cfg.model, MTFL5).save(str(tmp_path / "model.keras"))
    (tmp_path / "config.yaml").write_text(
        "data: {scheme: mtfl5}\nmodel: {input_size: 64, alpha: 0.35, attribute_head: false}\n")
    teacher = distill.load_teacher(str(tmp_path), MTFL5)
    assert teacher.name.endswith("_flip") and not teacher.trainable_weights  # flip averaged, frozen
    with pytest.raises(ConfigError, match=r"teacher has scheme 'mtfl5', the student 'ibug68'"):
        distill.load_teacher(str(tmp_path), get_scheme("ibug68"))


def test_distill_weight_is_checked():
    with pytest.raises(ConfigError, match=r"train.distill_weight must be in \[0, 1\], got 1.5"):
        load_config(None, ["train.distill_weight=1.5"])
    with pytest.raises(ConfigError, match=r"train.distill_weight 0 distils nothing from train.distill_teacher"):
        load_config(None, ["train.distill_weight=0", "train.distill_teacher=runs/teacher"])
    assert load_config(None, ["train.distill_weight=0", "train.teacher_recipe=x"]).train.distill_weight == 0

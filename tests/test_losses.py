"""Hand-computed checks of fld_tf.losses."""
import math

import numpy as np
import pytest
import tensorflow as tf
import tf_keras as keras

from fld_tf import losses
from fld_tf.config import TrainConfig

LN2, LN6 = math.log(2), math.log(6)


def _np(x):
    return np.asarray(x, np.float64)


def test_wing_values_in_both_branches():
    wing = losses.wing_loss(10.0, 2.0)
    x = tf.constant([0.0, 2.0, -2.0, 12.0, -30.0], tf.float64)
    # |x| < 10: 10 ln(1 + |x| / 2): 0, 10 ln 2, 10 ln 2.
    # |x| >= 10: |x| - C with C = 10 - 10 ln 6: 12 - 10 + 10 ln 6 = 2 + 10 ln 6; 20 + 10 ln 6.
    expected = [0.0, 10 * LN2, 10 * LN2, 2 + 10 * LN6, 20 + 10 * LN6]
    np.testing.assert_allclose(_np(wing(x)), expected, rtol=1e-12)


def test_wing_is_continuous_at_w():
    wing = losses.wing_loss(10.0, 2.0)
    x = tf.constant([10 - 1e-9, 10.0, 10 + 1e-9], tf.float64)
    # Both branches equal 10 ln(1 + 10 / 2) = 10 ln 6 at |x| = w.
    np.testing.assert_allclose(_np(wing(x)), [10 * LN6] * 3, rtol=1e-9)


def test_wing_rejects_bad_parameters():
    with pytest.raises(ValueError):
        losses.wing_loss(10.0, 0.0)


def _cfg(**kwargs):
    return TrainConfig(**kwargs)


def test_wing_landmark_loss_is_in_input_pixels():
    loss = losses.build_loss(_cfg(loss="wing"), input_size=100)
    y_true = np.zeros((1, 4), np.float32)
    y_pred = np.array([[0.02, 0.0, -0.12, 0.0]], np.float32)  # 2 and -12 pixels at size 100
    # Mean over 4 coordinates: (10 ln 2 + 0 + 2 + 10 ln 6 + 0) / 4.
    expected = (10 * LN2 + 2 + 10 * LN6) / 4
    assert float(loss(y_true, y_pred)) == pytest.approx(expected, rel=1e-5)


@pytest.mark.parametrize("kind, expected", [
    ("l1", [1.5, 0.5]),   # (1 + 2 + 3 + 0) / 4; (0 + 0 + 0 + 2) / 4
    ("l2", [3.5, 1.0]),   # (1 + 4 + 9 + 0) / 4; (0 + 0 + 0 + 4) / 4
])
def test_l1_l2_per_sample_and_batch_mean(kind, expected):
    y_true = np.zeros((2, 4), np.float32)
    y_pred = np.array([[1, -2, 3, 0], [0, 0, 0, -2]], np.float32) / 10  # pixels at size 10
    loss = losses.build_loss(_cfg(loss=kind), input_size=10)
    np.testing.assert_allclose(_np(loss.call(y_true, y_pred)), expected, rtol=1e-6)
    assert float(loss(y_true, y_pred)) == pytest.approx(np.mean(expected), rel=1e-6)


def test_unknown_loss_and_fraction_rejected():
    with pytest.raises(ValueError, match="known: wing, l1, l2"):
        losses.build_loss(_cfg(loss="huber"), 96)
    with pytest.raises(ValueError, match="hard_fraction"):
        losses.build_loss(_cfg(hard_fraction=0.0), 96)


def _batch_with_l1(per_sample):
    """A (B, 2) batch whose L1 loss at input_size 1 is `per_sample` (the same error on x and y)."""
    y_pred = np.repeat(np.asarray(per_sample, np.float32)[:, None], 2, axis=1)
    return np.zeros_like(y_pred), y_pred


def test_hard_example_mining_keeps_the_hardest():
    per_sample = np.array([3, 9, 1, 7, 10, 2, 5, 8, 4, 6], np.float32)  # a shuffled 1..10
    y_true, y_pred = _batch_with_l1(per_sample)
    loss = losses.build_loss(_cfg(loss="l1", hard_fraction=0.7), input_size=1)
    # ceil(0.7 * 10) = 7 kept: 4..10, mean 49 / 7 = 7; kept samples weighted 10 / 7, others 0.
    kept = per_sample >= 4
    np.testing.assert_allclose(_np(loss.call(y_true, y_pred)),
                               np.where(kept, per_sample * 10 / 7, 0), rtol=1e-6)
    assert float(loss(y_true, y_pred)) == pytest.approx(7.0, rel=1e-6)
    # The easy samples get no gradient.
    y_pred = tf.Variable(y_pred)
    with tf.GradientTape() as tape:
        value = loss(y_true, y_pred)
    grad = tape.gradient(value, y_pred).numpy()
    assert np.all(grad[~kept] == 0) and np.all(grad[kept, 0] != 0)


def test_hard_example_weights_rounding_and_edges():
    # 0.55 * 100 is 55.00000000000001 in floating point: still 55 samples, weight 100 / 55.
    weights = _np(losses.hard_example_weights(tf.range(100, dtype=tf.float32), 0.55))
    np.testing.assert_allclose(weights, [0.0] * 45 + [100 / 55] * 55, rtol=1e-6)
    # ceil(0.7 * 3) = 3: the whole batch, weight 1. ceil(0.01 * 3) = 1 sample kept.
    np.testing.assert_allclose(_np(losses.hard_example_weights(tf.ones(3), 0.7)), [1, 1, 1])
    np.testing.assert_allclose(_np(losses.hard_example_weights(tf.constant([1., 5., 2.]), 0.01)),
                               [0, 3, 0])
    assert losses.hard_example_weights(tf.zeros([0]), 0.7).shape == (0,)


def test_loss_config_round_trip():
    loss = losses.build_loss(_cfg(loss="wing", wing_w=5.0, hard_fraction=0.7), input_size=64)
    clone = losses.LandmarkLoss.from_config(loss.get_config())
    y_true, y_pred = _batch_with_l1(np.linspace(0, 0.3, 6))
    assert float(clone(y_true, y_pred)) == pytest.approx(float(loss(y_true, y_pred)))
    assert (clone.kind, clone.input_size, clone.wing_w) == ("wing", 64, 5.0)


def test_fit_under_distribution_strategy():
    # Keras rejects SUM_OVER_BATCH_SIZE losses under a strategy outside compile/fit; inside fit the
    # reported loss must still be the mined mean. A zero-kernel Dense makes predictions = bias = 0.
    _, y_true = _batch_with_l1([1, 2, 3, 4])  # targets 1..4 against predictions 0
    with tf.distribute.MirroredStrategy(["/cpu:0"]).scope():
        model = keras.Sequential([keras.layers.Dense(2, kernel_initializer="zeros",
                                                     input_shape=(1,))])
        model.compile(loss=losses.build_loss(_cfg(loss="l1", hard_fraction=0.5), 1))
    result = model.evaluate(np.zeros((4, 1), np.float32), y_true, batch_size=4, verbose=0)
    assert result == pytest.approx((4 + 3) / 2, rel=1e-6)  # the two hardest samples


def test_attribute_loss_by_hand():
    loss = losses.attribute_loss((2, 3))
    # Attribute 0 logits (0, 0): CE = ln 2 for either label.
    # Attribute 1 logits (0, ln 2, ln 5): softmax (1, 2, 5) / 8, so CE = ln 8, ln 4, ln 1.6.
    row = [0.0, 0.0, 0.0, math.log(2), math.log(5)]
    logits = np.array([row] * 4, np.float32)
    labels = np.array([[1, 2], [-1, 0], [-1, -1], [0, 1]], np.int32)
    expected = [(LN2 + math.log(1.6)) / 2, math.log(8) / 2, 0.0, (LN2 + math.log(4)) / 2]
    np.testing.assert_allclose(_np(loss.call(labels, logits)), expected, rtol=1e-6)
    assert float(loss(labels, logits)) == pytest.approx(np.mean(expected), rel=1e-6)


def test_attribute_loss_ignores_missing_labels_in_gradient():
    loss = losses.attribute_loss((2, 2, 2, 5))
    logits = tf.Variable(np.random.default_rng(0).normal(size=(2, 11)).astype(np.float32))
    labels = np.array([[0, 1, -1, 4], [-1, -1, -1, -1]], np.float32)  # float labels are cast
    with tf.GradientTape() as tape:
        value = loss(labels, logits)
    grad = tape.gradient(value, logits).numpy()
    assert np.all(grad[0, 4:6] == 0) and np.all(grad[1] == 0)
    assert np.all(grad[0, :4] != 0) and np.all(grad[0, 6:] != 0)
    assert np.isfinite(float(value))


def test_attribute_loss_rejects_bad_counts():
    with pytest.raises(ValueError):
        losses.attribute_loss(())
    with pytest.raises(ValueError):
        losses.attribute_loss((2, 1))



@pytest.mark.parametrize("power, expected", [
    # values: class 0 x3, class 2 x1, one unknown; class 1 absent. Power 1: raw 1/3 and 1, mean
    # over the 4 known samples (3 x 1/3 + 1) / 4 = 0.5, so 2/3 and 2. Unknown stays 1, absent 0.
    (1.0, [1.0, 2 / 3, 0.0, 2.0]),
    # power 0.5: raw 3 ** -0.5 = 0.57735 and 1; mean (3 x 0.57735 + 1) / 4 = 0.68301.
    (0.5, [1.0, 0.57735 / 0.68301, 0.0, 1 / 0.68301]),
    (0.0, [1.0, 1.0, 0.0, 1.0]),
])
def test_class_balance_weights_by_hand(power, expected):
    table = losses.class_balance_weights(np.array([0, 0, 2, 0, -1]), power)
    assert table.dtype == np.float32
    np.testing.assert_allclose(table, expected, rtol=1e-4)

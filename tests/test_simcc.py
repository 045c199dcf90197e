"""The simcc head (`model.head: simcc`): shapes, the bin-centre expectation, its regulariser, int8 export."""
import fld_tf  # noqa: F401
import numpy as np
import pytest
import tf_keras as keras

from fld_tf.config import load_config
from fld_tf.model import build_model, deployable, landmark_model
from fld_tf.schemes import get_scheme

MTFL5 = get_scheme("mtfl5")


def _config(*overrides, size=64):
    return load_config(None, [f"model.input_size={size}", "model.alpha=0.35", "model.head=simcc", *overrides])


def _model(*overrides, size=64):
    return build_model(_config(*overrides, size=size).model, MTFL5)


@pytest.mark.parametrize("stride", [8, 4])
def test_shapes_from_the_top_down_features_to_interleaved_points(stride):
    model = _model(f"model.heatmap_stride={stride}")
    n = 64 // stride
    assert model.get_layer("simcc_maps").output.shape[1:] == (n, n, 5)  # the heatmap head's features
    assert model.get_layer("head_fuse_relu").output.shape[1:3] == (n, n)
    # One Dense shared by the points: each point's n*n map -> 128 x logits, then 128 y logits.
    assert model.get_layer("simcc_logits").kernel.shape == (n * n, 2 * 128)
    assert model.get_layer("simcc_softmax").output.shape[1:] == (5, 2, 128)
    assert sorted(model.output_names) == ["attributes", "landmarks"]
    assert model.output_shape["landmarks"] == (None, 10)
    assert "soft_argmax" not in [layer.name for layer in model.layers]
    x = np.random.default_rng(0).uniform(0, 255, (2, 64, 64, 3)).astype(np.float32)
    deploy = landmark_model(model)
    assert deploy.output_names == ["landmarks"]
    # Untrained, the bin distributions are near-uniform: every point near the crop centre.
    np.testing.assert_allclose(deploy(x).numpy(), 0.5, atol=0.05)


def test_expectation_of_a_one_hot_bin_is_its_centre():
    """64 px x split 2 = 128 bins: bin i -> (i + 0.5) / 128, exact in float32 (powers of two)."""
    layer = _model().get_layer("simcc_expectation")
    assert not layer.trainable
    x_bins, y_bins = [0, 127, 40, 63, 64], [127, 0, 1, 100, 64]
    p = np.zeros((1, 5, 2, 128), np.float32)
    for k, (i, j) in enumerate(zip(x_bins, y_bins)):
        p[0, k, 0, i] = p[0, k, 1, j] = 1.0
    xy = layer(p).numpy().reshape(5, 2)
    expected = [[0.00390625, 0.99609375], [0.99609375, 0.00390625], [0.31640625, 0.01171875],
                [0.49609375, 0.78515625], [0.50390625, 0.50390625]]
    np.testing.assert_array_equal(xy, expected)


def test_split_sets_the_bin_count():
    model = _model("model.simcc_split=1.5")  # 96 bins
    layer = model.get_layer("simcc_expectation")
    p = np.zeros((1, 5, 2, 96), np.float32)
    p[0, :, 0, 10] = p[0, :, 1, 95] = 1.0
    np.testing.assert_allclose(layer(p).numpy().reshape(5, 2), np.tile([10.5 / 96, 95.5 / 96], (5, 1)), atol=1e-7)


def test_missing_mass_pulls_towards_the_centre():
    """As the soft-argmax's: 2% of the mass rounded away moves a point 2% of its offset from the centre."""
    layer = _model().get_layer("simcc_expectation")
    p = np.zeros((1, 5, 2, 128), np.float32)
    p[0, :, 0, 100] = p[0, :, 1, 20] = 0.98  # centres 100.5 / 128 = 0.78515625, 20.5 / 128 = 0.16015625
    expected = 0.5 + 0.98 * (np.array([0.78515625, 0.16015625]) - 0.5)
    np.testing.assert_allclose(layer(p).numpy().reshape(5, 2), np.tile(expected, (5, 1)), atol=1e-6)


def test_spread_loss_is_the_squared_log_variance_ratio_in_bins():
    """4 bins; x shares its mass between bins 1 and 2 (variance 0.25 bins^2), y is one-hot (0, clamped)."""
    import tensorflow as tf
    from fld_tf.model import _simcc_spread_loss
    p = np.zeros((1, 1, 2, 4), np.float32)
    p[0, 0, 0, 1] = p[0, 0, 0, 2] = 0.5
    p[0, 0, 1, 0] = 1.0
    centres = ((np.arange(4) + 0.5) / 4 - 0.5).astype(np.float32)
    xy = tf.constant([[[[0.5], [0.125]]]])  # the expectation of p: x at the centre, y at bin 0
    cfg = load_config(None, ["model.heatmap_sigma=0.5", "model.heatmap_sigma_weight=2.0"]).model
    loss = float(_simcc_spread_loss(tf.constant(p), centres, xy, cfg))
    assert loss == pytest.approx(2.0 * (0.0 + np.log(1e-3 / 0.25) ** 2) / 2, rel=1e-4)


def test_spread_loss_is_training_only():
    model = _model("model.heatmap_sigma=0.6", "model.attribute_head=false")
    assert len(model.losses) == 1
    plain = landmark_model(model)
    assert not plain.losses and "simcc_second_moment" not in [layer.name for layer in plain.layers]
    x = np.random.default_rng(0).uniform(0, 255, (2, 64, 64, 3)).astype(np.float32)
    np.testing.assert_allclose(plain.predict(x, verbose=0), model.predict(x, verbose=0)["landmarks"])


def test_int8_export_is_integer_only_and_runs_in_litert(tmp_path):
    """The tiny model (32 px, alpha 0.35, flip-averaged as exported) through export's int8 converter:
    no float op between the uint8 input and the float32 output, and LiteRT gives the float points."""
    from export import quantize, variants
    from fld_tf import runtime, tflite_graph

    cfg = _config("model.heatmap_stride=4", "model.attribute_head=false", size=32).model
    model = deployable(build_model(cfg, MTFL5), cfg, MTFL5)
    path = str(tmp_path / "simcc.keras")
    model.save(path)  # what training writes and export loads
    model = keras.models.load_model(path)
    images = np.random.default_rng(0).integers(0, 256, (16, 32, 32, 3)).astype(np.float32)
    data = variants.convert(model, "int8", quantize.representative_fn(images))
    assert runtime.float_ops(data) == []
    ops = {op.name for op in tflite_graph.read_graph(data).ops}
    assert {"TRANSPOSE", "FULLY_CONNECTED", "SOFTMAX"} <= ops
    assert ops <= {"QUANTIZE", "DEQUANTIZE", "MUL", "ADD", "CONV_2D", "DEPTHWISE_CONV_2D", "RESIZE_BILINEAR",
                   "RESHAPE", "TRANSPOSE", "FULLY_CONNECTED", "SOFTMAX", "PACK", "REVERSE_V2"}
    int8 = runtime.predict(data, images.astype(np.uint8))
    assert int8.shape == (16, 10)
    np.testing.assert_allclose(int8, model.predict(images, verbose=0), atol=2 * runtime.output_step(data))

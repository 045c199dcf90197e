"""Model structure: raw-pixel input, flat graph, BN momentum, soft-argmax geometry, heads."""
import fld_tf  # noqa: F401
import numpy as np
import pytest
import tf_keras as keras

from fld_tf.config import load_config
from fld_tf.model import MergeMirrored, build_model, deployable, landmark_model
from fld_tf.schemes import get_scheme

MTFL5 = get_scheme("mtfl5")


def _config(*overrides):
    return load_config(None, ["model.input_size=64", "model.alpha=0.35", *overrides])


def _model(*overrides):
    return build_model(_config(*overrides).model, MTFL5)


def test_flat_graph_with_normalisation_inside_and_fast_batchnorm():
    model = _model()
    assert not any(isinstance(layer, keras.Model) for layer in model.layers)  # TFMOT needs flat
    norm = model.get_layer("normalize")
    np.testing.assert_allclose(norm(np.array([[0.0, 127.5, 255.0]])).numpy(), [[-1, 0, 1]])
    momenta = {layer.momentum for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)}
    assert momenta == {0.99}
    assert sorted(model.output_names) == ["attributes", "landmarks"]
    assert model.get_layer("attributes").output.shape[-1] == 2 + 2 + 2 + 5


@pytest.mark.parametrize("stride", [8, 4])
def test_soft_argmax_returns_cell_centres(stride):
    model = _model(f"model.heatmap_stride={stride}")
    layer = model.get_layer("soft_argmax")
    h, w = layer.kernel_size
    n = 64 // stride
    assert (h, w) == (n, n)  # the map of a 64-pixel input at this stride
    if stride == 4:  # one more top-down step, from the stride-4 bottleneck
        assert model.get_layer("head_lateral3_conv").input.shape[1:3] == (16, 16)
    heat = np.zeros((1, h, w, 5), np.float32)
    cells = [(0, 0), (n - 1, n - 1), (2, 5), (6, 1), (3, 3)]  # (row, col) per point
    for k, (i, j) in enumerate(cells):
        heat[0, i, j, k] = 1.0
    xy = layer(heat).numpy().reshape(5, 2)
    np.testing.assert_allclose(xy, [[(j + 0.5) / w, (i + 0.5) / h] for i, j in cells], atol=1e-6)
    assert not layer.trainable


def test_heatmap_stride_is_8_or_4():
    from fld_tf.config import ConfigError

    with pytest.raises(ConfigError, match="model.heatmap_stride must be one of 8, 4, got 2"):
        _config("model.heatmap_stride=2")


@pytest.mark.parametrize("size, stride, maps", [(112, 4, (4, 7, 14, 28)), (80, 8, (3, 5, 10))])
def test_inputs_that_are_not_multiples_of_32_crop_the_extra_upsampled_cell(size, stride, maps):
    # 112 px: stride-32 map 4x4 ('same' padding rounds 3.5 up), stride-16 map 7x7, so the 8x8
    # upsampled map loses its last row and column.
    model = build_model(_config(f"model.input_size={size}", f"model.heatmap_stride={stride}").model, MTFL5)
    laterals = [model.get_layer(f"head_lateral{i}_conv").output.shape[1] for i in range(len(maps))]
    assert tuple(laterals) == maps
    assert model.get_layer("soft_argmax").kernel_size == (maps[-1], maps[-1])
    crops = [layer.name for layer in model.layers if isinstance(layer, keras.layers.Cropping2D)]
    assert crops == [f"head_crop{i}" for i in range(1, len(maps)) if maps[i] % 2]
    assert model(np.zeros((1, size, size, 3), np.float32))["landmarks"].shape == (1, 10)


def test_input_size_must_be_a_multiple_of_the_heatmap_stride():
    from fld_tf.config import ConfigError

    with pytest.raises(ConfigError, match=r"model.input_size must be a multiple of model.heatmap_stride \(8\)"
                                          r" for the heatmap head, got 100"):
        _config("model.input_size=100", "model.heatmap_stride=8")
    _config("model.input_size=100")  # the default stride 4: 25 cells of 4 px
    with pytest.raises(ConfigError, match=r"model.heatmap_stride \(4\) for the heatmap head, got 98"):
        _config("model.input_size=98")


def test_deployable_model_has_only_landmarks_and_same_outputs():
    model = _model()
    deploy = landmark_model(model)
    x = np.random.default_rng(0).uniform(0, 255, (2, 64, 64, 3)).astype(np.float32)
    assert deploy.output_names == ["landmarks"]
    np.testing.assert_allclose(deploy(x).numpy(), model(x)["landmarks"].numpy(), atol=1e-6)
    # Untrained, the softmax is near-uniform: the soft-argmax sits near the crop centre.
    np.testing.assert_allclose(deploy(x).numpy(), 0.5, atol=0.1)


@pytest.mark.parametrize("head", ["spatial", "gap"])
def test_regression_heads_start_at_the_mean_shape(head):
    cfg = load_config(None, ["model.input_size=64", "model.alpha=0.35", f"model.head={head}",
                             "model.attribute_head=false", "model.dropout=0"])
    mean = np.linspace(0.2, 0.8, 10)
    model = build_model(cfg.model, MTFL5, mean_shape=mean)
    np.testing.assert_allclose(model.get_layer("landmarks").bias.numpy(), mean, atol=1e-7)
    assert model.output_names == ["landmarks"]


def test_unknown_backbone_and_head_are_named():
    with pytest.raises(ValueError, match="model.backbone: unknown 'resnet'"):
        _model("model.backbone=resnet")
    with pytest.raises(ValueError, match="model.head: unknown 'fancy'"):
        _model("model.head=fancy")


def test_soft_argmax_missing_mass_pulls_towards_the_centre_not_the_corner():
    """An int8 softmax rounds tail cells to zero; with 2% of the mass gone, a point 0.2 from the
    centre moves 0.004 towards it (2% of 0.2), where absolute kernels would move it 2% of 0.7."""
    layer = _model("model.heatmap_stride=8").get_layer("soft_argmax")  # an 8x8 map
    h, w = layer.kernel_size
    heat = np.zeros((1, h, w, 5), np.float32)
    heat[0, 1, 6, :] = 0.98  # cell centre x = 6.5 / 8 = 0.8125, y = 1.5 / 8 = 0.1875
    xy = layer(heat).numpy().reshape(5, 2)
    expected = 0.5 + 0.98 * (np.array([0.8125, 0.1875]) - 0.5)
    np.testing.assert_allclose(xy, np.tile(expected, (5, 1)), atol=1e-6)
    assert np.abs(xy - [0.8125, 0.1875]).max() < 0.007


def test_fuse_is_depthwise_separable_and_the_1280_expansion_is_not_deployed():
    model = _model()
    deploy = landmark_model(model)
    names = {layer.name for layer in deploy.layers}
    assert "Conv_1" in {layer.name for layer in model.layers}  # still feeds the attribute head
    assert "Conv_1" not in names and "out_relu" not in names
    assert isinstance(deploy.get_layer("head_fuse_dw"), keras.layers.DepthwiseConv2D)
    assert deploy.get_layer("head_fuse_conv").kernel_size == (1, 1)
    assert {deploy.get_layer(f"head_up{i}").interpolation for i in (1, 2)} == {"bilinear"}


def test_merge_mirrored_maps_the_mirrored_half_back_and_averages():
    # Points (x, y) in MTFL5 order: left eye, right eye, nose, left mouth, right mouth.
    plain = np.array([[0.30, 0.40, 0.70, 0.40, 0.50, 0.60, 0.35, 0.80, 0.65, 0.80]], np.float32)
    # The same face predicted on the mirrored crop, slightly off: x -> 1 - x and left <-> right.
    mirrored = np.array([[0.32, 0.42, 0.72, 0.40, 0.50, 0.62, 0.35, 0.78, 0.67, 0.80]], np.float32)
    merged = MergeMirrored(MTFL5.flip_indices)(np.concatenate([plain, mirrored])).numpy()
    # Mirrored mapped back by hand: left eye = 1 - right eye's x (1 - 0.72 = 0.28) at y 0.40, ...
    back = np.array([[0.28, 0.40, 0.68, 0.42, 0.50, 0.62, 0.33, 0.80, 0.65, 0.78]])
    np.testing.assert_allclose(merged, (plain + back) / 2, atol=1e-6)


def test_flip_test_averages_with_the_mirrored_image_and_is_mirror_consistent():
    # A dense stand-in: its points depend on where pixels are, so a wrong mirror, permutation or
    # x -> 1 - x shows (an untrained backbone's heatmaps are near-uniform and could not tell).
    image = keras.Input((8, 8, 3))
    dense = keras.layers.Dense(10, name="landmarks")
    plain = keras.Model(image, dense(keras.layers.Flatten()(image)))
    rng = np.random.default_rng(0)
    dense.set_weights([rng.normal(0, 0.01, (192, 10)).astype(np.float32), np.full(10, 0.5, np.float32)])
    flip = deployable(plain, _config().model, MTFL5)
    assert flip.output_names == ["landmarks"] and flip.output_shape == (None, 10)
    off = deployable(plain, _config("model.flip_test=false").model, MTFL5)
    assert not any(isinstance(layer, MergeMirrored) for layer in off.layers)

    x = rng.uniform(0, 1, (2, 8, 8, 3)).astype(np.float32)
    a = plain(x).numpy().reshape(2, 5, 2)
    b = plain(x[:, :, ::-1]).numpy().reshape(2, 5, 2)[:, MTFL5.flip_indices]
    b[..., 0] = 1 - b[..., 0]
    assert np.abs(a - b).max() > 0.01  # the two halves differ, so the average is not trivial
    np.testing.assert_allclose(off(x).numpy().reshape(2, 5, 2), a, atol=1e-6)
    out = flip(x).numpy().reshape(2, 5, 2)
    np.testing.assert_allclose(out, (a + b) / 2, atol=1e-5)
    mirrored = flip(x[:, :, ::-1]).numpy().reshape(2, 5, 2)[:, MTFL5.flip_indices]
    mirrored[..., 0] = 1 - mirrored[..., 0]
    np.testing.assert_allclose(mirrored, out, atol=1e-5)


def test_spread_loss_is_the_squared_log_variance_ratio_in_cells():
    """Two adjacent cells of one row share the mass: variance 0.25 cells^2 in x, 0 (clamped) in y."""
    import tensorflow as tf
    from fld_tf.model import _spread_loss
    p = np.zeros((1, 4, 4, 1), np.float32)
    p[0, 0, 1, 0] = p[0, 0, 2, 0] = 0.5
    grid = np.zeros((4, 4, 1, 2), np.float32)
    grid[..., 0] = ((np.arange(4) + 0.5) / 4 - 0.5)[None, :, None]
    grid[..., 1] = ((np.arange(4) + 0.5) / 4 - 0.5)[:, None, None]
    xy = tf.constant([[[[0.5, 0.5 - 0.375]]]])           # the soft-argmax of p: x centre, y row 0
    cfg = load_config(None, ["model.heatmap_sigma=0.5", "model.heatmap_sigma_weight=2.0"]).model
    loss = float(_spread_loss(tf.constant(p), grid, xy, cfg))
    assert loss == pytest.approx(2.0 * (0.0 + np.log(1e-3 / 0.25) ** 2) / 2, rel=1e-4)


def test_spread_loss_is_training_only():
    cfg = load_config(None, ["model.heatmap_sigma=0.6", "model.attribute_head=false"]).model
    model = build_model(cfg, get_scheme("ibug68"))
    assert len(model.losses) == 1
    plain = landmark_model(model)
    assert not plain.losses and "heatmap_second_moment" not in [layer.name for layer in plain.layers]
    x = np.random.default_rng(0).uniform(0, 255, (2, 96, 96, 3)).astype(np.float32)
    np.testing.assert_allclose(plain.predict(x, verbose=0), model.predict(x, verbose=0)["landmarks"])

"""Keras (tf_keras) landmark model: MobileNetV2 backbone, heatmap + soft-argmax head (or SimCC, or regression heads).

The model takes raw RGB pixels (float 0..255, shape `(B, S, S, 3)`) and normalises them itself, so
the exported `.tflite` takes camera pixels directly. It outputs `landmarks`: `(B, 2K)` normalised
crop coordinates, interleaved x, y. With `attribute_head` it has a second, training-only output
`attributes` of concatenated attribute logits. `deployable` turns it into what evaluation and export
run: landmarks only, averaged with the mirrored image's prediction when `flip_test` is on.
"""
from __future__ import annotations

import fld_tf  # noqa: F401  (sets TF_USE_LEGACY_KERAS before TensorFlow loads)
import numpy as np
import tensorflow as tf
import tf_keras as keras

from fld_tf.schemes import PointScheme

# Classes per MTFL attribute (gender, smile, glasses, pose); the reader stores them 0-based.
ATTRIBUTE_CLASSES = {"mtfl5": (2, 2, 2, 5)}

BACKBONES = {"mobilenet_v2": keras.applications.MobileNetV2}


def build_model(model_cfg, scheme: PointScheme, mean_shape=None, model_class=keras.Model) -> keras.Model:
    """Builds the landmark model described by `model_cfg` (a `ModelConfig`).

    Args:
      mean_shape: optional `(2K,)` mean target; the regression bias starts there, so training
        learns offsets from the average face instead of first having to find it.
      model_class: the functional `keras.Model` subclass to build (e.g.
        `fld_tf.distill.distilling_model_class`, which changes only the training step).
    """
    if model_cfg.backbone not in BACKBONES:
        raise ValueError(f"model.backbone: unknown {model_cfg.backbone!r}; known: {', '.join(BACKBONES)}")
    size = model_cfg.input_size
    inputs = keras.Input((size, size, 3), name="image")
    # MobileNetV2 expects [-1, 1]; doing it here keeps the .tflite input as raw pixels.
    x = keras.layers.Rescaling(1 / 127.5, offset=-1.0, name="normalize")(inputs)
    # Built on our tensor (not nested as a sub-model) so the model stays one flat graph:
    # TFMOT's quantize_model cannot wrap a model inside a model.
    backbone = BACKBONES[model_cfg.backbone](
        input_tensor=x, alpha=model_cfg.alpha, include_top=False, weights=None)
    for layer in backbone.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            # Keras builds these with momentum 0.999: in a from-scratch run of a few thousand steps
            # the moving statistics lag the weights and evaluation error stays several times the
            # training error.
            layer.momentum = model_cfg.bn_momentum
    features = backbone.output
    spread = None
    if model_cfg.head in TOP_DOWN_HEADS:
        landmarks, spread = TOP_DOWN_HEADS[model_cfg.head](backbone, model_cfg, scheme)
    else:
        landmarks = _landmark_head(features, model_cfg, scheme, mean_shape)
    outputs = {"landmarks": landmarks}
    classes = ATTRIBUTE_CLASSES.get(scheme.name)
    if model_cfg.attribute_head and classes:
        pooled = keras.layers.GlobalAveragePooling2D(name="attr_pool")(features)
        outputs["attributes"] = keras.layers.Dense(sum(classes), name="attributes")(pooled)
    name = f"{model_cfg.backbone}_a{model_cfg.alpha:g}_{scheme.name}_{size}"
    model = model_class(inputs, outputs, name=name)
    if spread is not None:
        model.add_loss(spread)
    return model


def _landmark_head(features, model_cfg, scheme: PointScheme, mean_shape=None):
    """Regression head to `(B, 2K)`.

    `spatial` keeps the final feature map's layout (a 1x1 conv, then flatten) so the dense layer
    knows where features are; `gap` pools it away, which measured far worse for localisation.
    """
    if model_cfg.head == "spatial":
        x = _conv_bn_relu(features, model_cfg.head_channels, 1, model_cfg.bn_momentum, "head")
        x = keras.layers.Flatten(name="head_flatten")(x)
    else:  # gap (`ModelConfig` rejects any other head)
        x = keras.layers.GlobalAveragePooling2D(name="head_pool")(features)
    if model_cfg.dropout:
        x = keras.layers.Dropout(model_cfg.dropout, name="head_dropout")(x)
    bias = "zeros" if mean_shape is None else keras.initializers.Constant(list(map(float, mean_shape)))
    return keras.layers.Dense(2 * scheme.num_points, dtype="float32", bias_initializer=bias,
                              name="landmarks")(x)


# Backbone taps at strides 32, 16, 8 and 4 for the heatmap head's top-down path, down to
# `model.heatmap_stride`. The stride-32 tap is the last bottleneck, not the 1280-channel `out_relu`:
# that 1x1 expansion held a third of the weights (40% of the int8 file) for a 3x3 map; it now only
# feeds the training-only attribute head.
HEATMAP_TAPS = {"mobilenet_v2": ((32, "block_16_project_BN"), (16, "block_12_add"), (8, "block_5_add"),
                                 (4, "block_2_add"))}


def _conv_bn_relu(x, channels, kernel, momentum, name):
    x = keras.layers.Conv2D(channels, kernel, padding="same", use_bias=False, name=f"{name}_conv")(x)
    x = keras.layers.BatchNormalization(momentum=momentum, name=f"{name}_bn")(x)
    return keras.layers.ReLU(6.0, name=f"{name}_relu")(x)


def _top_down_features(backbone, model_cfg):
    """The heatmap and simcc heads' shared feature path: a 1x1 lateral conv on each backbone tap
    from stride 32 down to `model.heatmap_stride`, each coarser sum upsampled and added to the next,
    then a depthwise-separable fuse. `(B, S / stride, S / stride, head_channels)`."""
    c, momentum = model_cfg.head_channels, model_cfg.bn_momentum
    x = None
    taps = [tap for stride, tap in HEATMAP_TAPS[model_cfg.backbone] if stride >= model_cfg.heatmap_stride]
    for i, tap in enumerate(taps):
        lateral = _conv_bn_relu(backbone.get_layer(tap).output, c, 1, momentum, f"head_lateral{i}")
        if x is None:
            x = lateral
        else:
            # Bilinear: its gradient has an XLA kernel (nearest's has none on CPU), and int8 TFLite
            # runs it as RESIZE_BILINEAR.
            x = keras.layers.UpSampling2D(2, interpolation="bilinear", name=f"head_up{i}")(x)
            extra = x.shape[1] - lateral.shape[1], x.shape[2] - lateral.shape[2]
            if any(extra):
                # An input that is not a multiple of 32 (e.g. 112): the odd map's 'same'-padded
                # stride-2 child has one cell more, at the bottom and right; cell 2i stays on i.
                x = keras.layers.Cropping2D(((0, extra[0]), (0, extra[1])), name=f"head_crop{i}")(x)
            x = keras.layers.Add(name=f"head_add{i}")([x, lateral])
    # Depthwise-separable fuse: a full 3x3 convolution here held 37k weights and as many MACs as a
    # quarter of the backbone.
    x = keras.layers.DepthwiseConv2D(3, padding="same", use_bias=False, name="head_fuse_dw")(x)
    x = keras.layers.BatchNormalization(momentum=momentum, name="head_fuse_dw_bn")(x)
    x = keras.layers.ReLU(6.0, name="head_fuse_dw_relu")(x)
    return _conv_bn_relu(x, c, 1, momentum, "head_fuse")


def _heatmap_head(backbone, model_cfg, scheme: PointScheme):
    """Heatmaps at stride `model.heatmap_stride` (8 or 4), then soft-argmax to `(B, 2K)`
    coordinates (integral regression).

    Convolutional heatmaps keep the backbone's translation equivariance, which a dense layer on
    pooled features must learn from data; from scratch this converges several times faster. The
    soft-argmax is a spatial softmax followed by a fixed depthwise convolution whose kernels hold
    the cell-centre x and y coordinates: plain Softmax + DepthwiseConv2D, both integer kernels in
    TFLite (benchmarks/int8_head.py measures what int8 costs this head).
    """
    x = _top_down_features(backbone, model_cfg)
    k = scheme.num_points
    logits = keras.layers.Conv2D(k, 1, name="heatmap_logits")(x)
    h, w = logits.shape[1], logits.shape[2]
    p = keras.layers.Reshape((h * w, k), name="heatmap_flat")(logits)
    p = keras.layers.Softmax(axis=1, dtype="float32", name="heatmap_softmax")(p)
    p = keras.layers.Reshape((h, w, k), dtype="float32", name="heatmap")(p)
    # Integral regression in int8: the softmax output has a fixed 1/256 step, so tail cells round
    # to zero and the quantised mass falls short of 1 (measured here: by ~2%). The kernels hold
    # coordinates relative to the crop centre (plus a 0.5 bias), so missing mass pulls a point
    # towards the centre by 2% of its small offset from it, not towards the corner by 2% of its
    # position. The same in float; in int8 it is most of the difference between a head that needs
    # float ops and one that does not (benchmarks/int8_head.py).
    grid = np.zeros((h, w, k, 2), np.float32)
    grid[..., 0] = ((np.arange(w) + 0.5) / w - 0.5)[None, :, None]
    grid[..., 1] = ((np.arange(h) + 0.5) / h - 0.5)[:, None, None]
    argmax = keras.layers.DepthwiseConv2D((h, w), depth_multiplier=2, trainable=False, dtype="float32",
                                          name="soft_argmax")
    xy = argmax(p)
    argmax.set_weights([grid, np.full(2 * k, 0.5, np.float32)])  # channel 2k + m: x, y of point k
    spread = _spread_loss(p, grid, xy, model_cfg) if model_cfg.heatmap_sigma > 0 else None
    return keras.layers.Reshape((2 * k,), dtype="float32", name="landmarks")(xy), spread


def _spread_loss(p, grid, xy, model_cfg):
    """DSNT's variance regulariser (Nibali et al. 2018) as a model loss: the log of each map's
    variance, in cells squared, pulled towards that of `heatmap_sigma` squared. Training-only: `landmark_model` drops it.

    The int8 softmax output has a fixed 1/256 step; a broad map spreads its mass over many cells
    that each round by up to half a step, a sharp one over few.
    """
    h, w = grid.shape[:2]
    second = keras.layers.DepthwiseConv2D((h, w), depth_multiplier=2, use_bias=False, trainable=False,
                                          dtype="float32", name="heatmap_second_moment")
    second.build(p.shape)
    second.set_weights([np.square(grid)])
    m2 = second(p)
    centred = xy - 0.5
    var = (m2 - tf.square(centred)) * float(h * w)  # grid units are 1/w (x), 1/h (y): cells^2 ~ h*w
    return _sigma_penalty(var, model_cfg)


def _sigma_penalty(var, model_cfg):
    """`heatmap_sigma_weight` x the mean squared log ratio of `var` to `heatmap_sigma` squared
    (both in the head's own units: cells, or bins): scale-free, and bounded where a flat
    distribution at initialisation is far off."""
    target = model_cfg.heatmap_sigma ** 2
    return model_cfg.heatmap_sigma_weight * tf.reduce_mean(tf.square(tf.math.log(tf.maximum(var, 1e-3) / target)))


def _simcc_head(backbone, model_cfg, scheme: PointScheme):
    """SimCC (Li et al. 2022, as in RTMPose): each coordinate classified into `model.simcc_bins`
    bins (`input_size` x `simcc_split`), then the expected bin centre, to `(B, 2K)`.

    On the heatmap head's features, a 1x1 conv makes one map per point; each point's flattened map
    goes through one Dense, shared by the points as RTMPose's `cls_x` / `cls_y` are, to x and y
    logits. A softmax over the bins and a fixed Dense holding the bin centres give the
    coordinate. In TFLite: TRANSPOSE, FULLY_CONNECTED, RESHAPE, SOFTMAX, all integer kernels.
    """
    x = _top_down_features(backbone, model_cfg)
    k, bins = scheme.num_points, model_cfg.simcc_bins
    maps = keras.layers.Conv2D(k, 1, name="simcc_maps")(x)
    h, w = maps.shape[1], maps.shape[2]
    v = keras.layers.Reshape((h * w, k), name="simcc_flat")(maps)
    v = keras.layers.Permute((2, 1), name="simcc_points")(v)                   # (B, K, h*w)
    logits = keras.layers.Dense(2 * bins, name="simcc_logits")(v)             # x bins, then y bins
    logits = keras.layers.Reshape((k, 2, bins), name="simcc_xy_logits")(logits)
    p = keras.layers.Softmax(axis=-1, dtype="float32", name="simcc_softmax")(logits)
    # Centred bin coordinates plus a 0.5 bias, as the soft-argmax's: mass an int8 softmax rounds
    # away pulls a point towards the crop centre, not the corner.
    centres = ((np.arange(bins) + 0.5) / bins - 0.5).astype(np.float32)
    expectation = keras.layers.Dense(1, trainable=False, dtype="float32", name="simcc_expectation")
    xy = expectation(p)                                                       # (B, K, 2, 1)
    expectation.set_weights([centres[:, None], np.full(1, 0.5, np.float32)])
    spread = _simcc_spread_loss(p, centres, xy, model_cfg) if model_cfg.heatmap_sigma > 0 else None
    return keras.layers.Reshape((2 * k,), dtype="float32", name="landmarks")(xy), spread


def _simcc_spread_loss(p, centres, xy, model_cfg):
    """`_spread_loss` for the simcc head: each 1-D distribution's variance, in bins squared,
    pulled towards `heatmap_sigma` squared. Training-only, as the heatmap head's."""
    second = keras.layers.Dense(1, use_bias=False, trainable=False, dtype="float32", name="simcc_second_moment")
    second.build(p.shape)
    second.set_weights([np.square(centres)[:, None]])
    bins = len(centres)
    var = (second(p) - tf.square(xy - 0.5)) * float(bins * bins)  # centres are in units of 1/bins
    return _sigma_penalty(var, model_cfg)


# The heads on the top-down features: `(backbone, model_cfg, scheme) -> (landmarks, training-only loss or None)`.
TOP_DOWN_HEADS = {"heatmap": _heatmap_head, "simcc": _simcc_head}


def landmark_model(model: keras.Model) -> keras.Model:
    """Image in, `landmarks` out (drops training-only outputs); the model that is saved and
    quantisation-aware trained."""
    if len(model.outputs) == 1 and not model.losses:  # already is (TFMOT's QAT copy names its output quant_landmarks)
        return model
    return keras.Model(model.input, model.get_layer("landmarks").output, name=model.name)


@keras.saving.register_keras_serializable("fld_tf")
class MirrorBatch(keras.layers.Layer):
    """`(B, H, W, C)` images -> `(2B, H, W, C)`: each image followed by its mirror image."""

    def call(self, images):
        pairs = tf.stack([images, tf.reverse(images, axis=[2])], axis=1)
        return tf.reshape(pairs, [-1, *images.shape[1:]])


@keras.saving.register_keras_serializable("fld_tf")
class MergeMirrored(keras.layers.Layer):
    """`(2B, 2K)` crop points predicted on a `MirrorBatch` -> `(B, 2K)`: the mirror image's points
    mapped back (x -> 1 - x, left and right points swapped) and averaged with the image's own.

    All of it is one fixed linear map of each image's `4K` values (a single FULLY_CONNECTED in
    TFLite): in int8 every further op would round the points to the output step once more.
    """

    def __init__(self, flip_indices, **kwargs):
        super().__init__(**kwargs)
        self.flip_indices = [int(i) for i in flip_indices]
        k = len(self.flip_indices)
        weights, bias = np.zeros((4 * k, 2 * k), np.float32), np.zeros(2 * k, np.float32)
        for j, m in enumerate(self.flip_indices):  # point j of the image is point m of its mirror
            weights[2 * j, 2 * j] = weights[2 * j + 1, 2 * j + 1] = 0.5
            weights[2 * k + 2 * m, 2 * j], bias[2 * j] = -0.5, 0.5  # x = (x + 1 - x_mirror) / 2
            weights[2 * k + 2 * m + 1, 2 * j + 1] = 0.5
        self._matrix, self._offset = tf.constant(weights), tf.constant(bias)

    def call(self, points):
        pairs = tf.reshape(points, [-1, 2 * points.shape[-1]])
        return tf.matmul(pairs, self._matrix) + self._offset

    def get_config(self):
        return {**super().get_config(), "flip_indices": self.flip_indices}


def deployable(model: keras.Model, model_cfg, scheme: PointScheme) -> keras.Model:
    """What evaluation and export run: `landmark_model`, wrapped in test-time flip averaging when
    `model_cfg.flip_test` is on (mmpose's `flip_test`).

    The flip runs inside the model, as a batch of two per image, so the exported `.tflite` keeps its
    one-image interface and every runtime gets the averaged points without code of its own; it
    doubles the backbone's work per face.
    """
    model = landmark_model(model)
    if not model_cfg.flip_test:
        return model
    image = keras.Input(model.input_shape[1:], name="image")
    # float32 under a mixed-precision policy too, like the soft-argmax: pixels and points in float16
    # would lose what the flip gains.
    points = model(MirrorBatch(dtype="float32", name="mirror")(image))
    if isinstance(points, dict):  # a model built without the attribute head keeps a dict output
        points = points["landmarks"]
    points = MergeMirrored(scheme.flip_indices, dtype="float32", name="landmarks")(points)
    return keras.Model(image, points, name=f"{model.name}_flip")

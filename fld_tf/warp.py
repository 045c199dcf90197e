"""TF twins of `fld_tf.geometry`: the crop rule and the sampling grid, used inside tf.data graphs."""
from __future__ import annotations

import tensorflow as tf


def sampling_matrix(square, size, angle=0.0, mirror=False):
    """TF twin of `geometry.sampling_matrix`: `(3, 3)` output-pixel -> image-pixel map."""
    square = tf.cast(square, tf.float32)
    s = square[2] / size
    c, n = tf.cos(angle) * s, tf.sin(angle) * s
    f = tf.where(tf.cast(mirror, tf.bool), -1.0, 1.0)
    a = tf.stack([[c * f, -n], [n * f, c]])
    offset = square[:2] + tf.linalg.matvec(a, tf.fill([2], 0.5 - size / 2))
    top = tf.concat([a, offset[:, None]], axis=1)
    return tf.concat([top, tf.constant([[0.0, 0.0, 1.0]])], axis=0)


def warp(image, matrix, size: int):
    """Bilinear resample of `image` `(H, W, C)` onto a `size x size` grid; black outside."""
    flat = tf.concat([tf.reshape(matrix[:2, :], [6]), tf.zeros([2])], axis=0)
    out = tf.raw_ops.ImageProjectiveTransformV3(
        images=tf.cast(image, tf.float32)[None], transforms=flat[None], output_shape=[size, size],
        fill_value=0.0, interpolation="BILINEAR", fill_mode="CONSTANT")
    return out[0]


def to_crop(points, matrix, size: int):
    """Image points `(K, 2)` -> normalised crop coordinates for the grid `matrix` describes."""
    inv = tf.linalg.inv(matrix)
    uv = tf.linalg.matmul(points, inv[:2, :2], transpose_b=True) + inv[:2, 2]
    return (uv + 0.5) / size


def round_pixels(image):
    """floor(v + 0.5) to uint8 values: what a camera frame resampled on the phone looks like."""
    return tf.clip_by_value(tf.floor(image + 0.5), 0.0, 255.0)


def crop_square(source: str, crop_cfg, points, box, has_box, size):
    """TF twin of `geometry.crop_square`: the crop square `(cx, cy, side)` float32, shape `(3,)`.

    Computed in the same precision steps as the numpy rule (float32 extents, float64 arithmetic after)
    so both give the same float32 square. `auto` takes the box when `has_box`, else the landmarks.

    Args:
      points: `(K, 2)` float32; box: `(4,)` float32; has_box: bool scalar; size: `(2,)` width, height.
    """
    def from_points():
        lo, hi = tf.reduce_min(points, axis=0), tf.reduce_max(points, axis=0)
        extent = tf.cast(tf.reduce_max(hi - lo), tf.float64)
        centre = tf.cast((lo + hi) / 2, tf.float64) + tf.constant(crop_cfg.landmark_shift, tf.float64) * extent
        return tf.cast(tf.concat([centre, [crop_cfg.landmark_scale * extent]], 0), tf.float32)

    def from_box():
        b = tf.cast(box, tf.float64)
        width = b[2] - b[0]
        centre = tf.stack([(b[0] + b[2]) / 2, (b[1] + b[3]) / 2]) + \
            tf.constant(crop_cfg.box_shift, tf.float64) * width
        return tf.cast(tf.concat([centre, [crop_cfg.box_scale * width]], 0), tf.float32)

    if source == "auto":
        return tf.cond(has_box, from_box, from_points)
    if source == "box":
        with tf.control_dependencies([tf.debugging.Assert(has_box, ["crop source 'box' needs a face box"])]):
            return from_box()
    if source == "landmarks":
        return from_points()
    if source == "image":
        w, h = tf.cast(size[0], tf.float32), tf.cast(size[1], tf.float32)
        return tf.stack([(w - 1) / 2, (h - 1) / 2, tf.maximum(w, h)])
    raise ValueError(f"unknown crop source {source!r}; expected auto, box, image or landmarks")

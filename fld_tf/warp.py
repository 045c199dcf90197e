"""TF twins of `fld_tf.geometry`'s sampling grid, used inside tf.data graphs."""
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
